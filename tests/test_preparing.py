"""Batch intake on two cores (services/preparing.py): a child process prepares a batch's parts ahead
while the caller registers, the caller prepares the parts the child has not started, and whichever
side prepared a part, what is registered is the same. A child that dies or fails leaves its parts to
the caller; a caller killed with -9 leaves no child behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from factories import BANK_BIN, document_row
from sqlalchemy import func, select

import casedraw.services.intake as intake
import casedraw.services.preparing as preparing
from casedraw.ledger.events import EventKind
from casedraw.services.intake import prepare_with, submit_documents
from casedraw.services.preparing import PreparingProcess
from casedraw.store import schema
from casedraw.store.repository import Store


@pytest.fixture
def preparer() -> Iterator[PreparingProcess]:
    with PreparingProcess() as process:
        yield process


def rows_with_mistakes_and_repeats() -> list[tuple[int, dict[str, object]]]:
    """Twenty rows: two refused (no debtor, a bad amount) and three repeating an earlier row of another part or chunk."""
    fields = [document_row(n) for n in range(17)]
    fields[4]["debtor_idn"] = ""
    fields[9]["amount_kzt"] = "a lot"
    fields += [document_row(1), document_row(6), document_row(12)]
    return list(enumerate(fields, start=2))


def document_count(store: Store) -> int:
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(schema.documents)).scalar_one()


def expected_statuses() -> list[str]:
    statuses = ["accepted"] * 17 + ["duplicate"] * 3
    statuses[4] = statuses[9] = "rejected"
    return statuses


def test_what_the_child_prepares_is_what_the_caller_would(store, ctx, preparer):
    rows = rows_with_mistakes_and_repeats()
    day = ctx.stamp()[1]
    submitters = [("claimant", BANK_BIN)] * len(rows)
    parts = [(rows[p : p + 3], submitters[p : p + 3]) for p in range(0, len(rows), 3)]
    ahead = preparer.ahead(store.intake_settings(day), day, parts)
    ahead._feeder.join(timeout=120)  # the feeder ends when the child has answered every part
    assert not ahead._feeder.is_alive()
    assert all(state == preparing.DONE for state in ahead._state), "the child did not prepare every part"
    by_child = ahead.take(range(len(parts)))
    here = [prepare_with(store.intake_settings(day), part_rows, day, part_submitters) for part_rows, part_submitters in parts]
    assert by_child == here
    assert sum(isinstance(item, intake.Prepared) for part in by_child for item in part) == 18


def test_the_caller_prepares_what_the_child_has_not_started_and_registers_the_same(store, ctx, preparer, monkeypatch):
    """The child is stopped: the caller prepares every part but the ones already sent to it, then waits
    for those; once the child goes on, the batch registers as prepared on one core."""
    monkeypatch.setattr(intake, "PART", 3)
    rows = rows_with_mistakes_and_repeats()  # 20 rows, chunks of 8: parts of 3, 3, 2 | 3, 3, 2 | 3, 1
    here, local_parts = threading.Event(), []
    real = preparing.prepare_with

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        local_parts.append(len(args[1]))
        if len(local_parts) == 1:
            here.set()
        return real(*args, **kwargs)

    monkeypatch.setattr(preparing, "prepare_with", counted)
    os.kill(preparer._process.pid, signal.SIGSTOP)
    reports = []
    try:
        thread = threading.Thread(target=lambda: reports.append(submit_documents(store, rows, ctx, chunk_size=8, preparer=preparer)))
        thread.start()
        assert here.wait(timeout=120), "the caller did not prepare while the child was stopped"
        assert document_count(store) == 0  # the first chunk's first parts are with the child
    finally:
        os.kill(preparer._process.pid, signal.SIGCONT)
    thread.join(timeout=120)
    assert [o.status for o in reports[0].outcomes] == expected_statuses()
    assert [o.row for o in reports[0].outcomes] == [n for n, _ in rows]
    duplicates = reports[0].outcomes[17:]
    assert [o.key for o in duplicates] == [reports[0].outcomes[i].key for i in (1, 6, 12)]
    assert document_count(store) == 15
    assert local_parts and sum(local_parts) < len(rows), "the child prepared nothing"


def test_a_child_that_died_leaves_its_parts_to_the_caller(store, ctx, preparer):
    preparer._process.kill()
    preparer._process.join(timeout=60)
    report = submit_documents(store, rows_with_mistakes_and_repeats(), ctx, chunk_size=8, preparer=preparer)
    assert [o.status for o in report.outcomes] == expected_statuses()
    assert preparer.broken and document_count(store) == 15
    again = submit_documents(store, [(2, document_row(40))], ctx, preparer=preparer)  # no child now: prepared here
    assert [o.status for o in again.outcomes] == ["accepted"]


def test_a_part_the_child_fails_on_is_prepared_here_and_fails_here(store, ctx, preparer):
    """The child answers an error; the caller prepares the part itself, so the error is raised where
    it can be handled, and the pipe stays in step for the next batch."""
    day = ctx.stamp()[1]
    rows = [(2, document_row(0))]
    broken_settings = None  # preparing with no settings raises, on either side
    ahead = preparer.ahead(broken_settings, day, [(rows, [("claimant", BANK_BIN)])])  # type: ignore[arg-type]
    ahead._feeder.join(timeout=120)
    assert ahead._state == [preparing.FAILED]
    with pytest.raises(TypeError):
        ahead.take([0])
    assert not preparer.broken
    report = submit_documents(store, rows_with_mistakes_and_repeats(), ctx, chunk_size=8, preparer=preparer)
    assert [o.status for o in report.outcomes] == expected_statuses()


def test_a_batch_that_crosses_midnight_prepares_the_new_day_here(store, ctx, clock, preparer, monkeypatch):
    """What the child prepared was for the batch's first day: after midnight the caller prepares again."""
    prepared_here = []
    real = intake.prepare
    monkeypatch.setattr(intake, "prepare",
                        lambda store, chunk, day, submitters: prepared_here.append(day) or real(store, chunk, day, submitters))
    first_day = ctx.stamp()[1]
    report = submit_documents(store, rows_with_mistakes_and_repeats(), ctx, chunk_size=8, preparer=preparer,
                              progress=lambda n: clock.advance(days=1))
    assert [o.status for o in report.outcomes] == expected_statuses()
    assert prepared_here and first_day not in prepared_here  # the later chunks, for their own day
    with store.read() as conn:
        days = conn.execute(select(func.count(func.distinct(func.substr(schema.events.c.at, 1, 10))))
                            .where(schema.events.c.kind == str(EventKind.DOCUMENT_REGISTERED))).scalar_one()
    assert days == 3


def test_a_caller_killed_with_minus_nine_leaves_no_child_behind(tmp_path):
    script = tmp_path / "caller.py"
    script.write_text(
        "import sys, time\n"
        "from casedraw.services.preparing import PreparingProcess\n"
        "p = PreparingProcess()\n"
        "print(p._process.pid, flush=True)\n"
        "sys.stdin.read()\n"
    )
    caller = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    child = int(caller.stdout.readline())  # type: ignore[union-attr]
    caller.kill()
    caller.wait(timeout=60)
    deadline = time.monotonic() + 60
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for the child to notice; nothing is asserted on when
    assert not _alive(child), "the preparing process outlived its caller"


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie, whose parent has not reaped it, has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
