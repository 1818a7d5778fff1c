"""The HTTP API's intake process registers a bulk chunk from parts streamed to it: one transaction for the
whole chunk, duplicates found across parts, nothing registered when a part fails to prepare or the
process refuses the chunk, the pipe still in step afterwards, and a chunk that waits for the process
prepared meanwhile."""

from __future__ import annotations

import multiprocessing
import pickle
import threading
from collections.abc import Iterator

import pytest
from factories import BANK_BIN, document_row
from sqlalchemy import func, select

import casedraw.services.intake as intake
from casedraw.api.batcher import IntakeProcess, _answer, _message, _part_message, _serve_intake
from casedraw.ledger.events import Actor, EventKind
from casedraw.services import Context
from casedraw.services.intake import DayChanged, prepared_parts, submit_documents
from casedraw.store import schema
from casedraw.store.repository import Store


@pytest.fixture
def registrar(store: Store) -> Iterator[IntakeProcess]:
    process = IntakeProcess(store.engine.url.render_as_string(hide_password=False))
    yield process
    process.close()


def bank() -> Context:
    return Context(Actor("claimant", BANK_BIN))  # the real clock, which the intake process stamps with


def numbered(rows: list[dict[str, object]]) -> list[tuple[int, dict[str, object]]]:
    return list(enumerate(rows, start=2))


def registrations(store: Store) -> list[tuple[int, str]]:
    """The log index and time of every registration."""
    e = schema.events
    with store.read() as conn:
        return [tuple(r) for r in conn.execute(select(e.c.seq, e.c.at).where(e.c.kind == str(EventKind.DOCUMENT_REGISTERED)).order_by(e.c.seq))]


def document_count(store: Store) -> int:
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(schema.documents)).scalar_one()


def test_a_chunk_in_parts_is_one_registration_and_finds_duplicates_across_parts(store, registrar, monkeypatch):
    monkeypatch.setattr(intake, "PART", 3)
    rows = numbered([document_row(n) for n in range(7)] + [document_row(1)])  # the last repeats the second, two parts earlier
    report = submit_documents(store, rows, bank(), chunk_size=100, register=registrar.register_prepared, idempotency_key="bank-1")
    assert [o.status for o in report.outcomes] == ["accepted"] * 7 + ["duplicate"]
    assert [o.row for o in report.outcomes] == list(range(2, 10))
    assert report.outcomes[-1].key == report.outcomes[1].key
    logged = registrations(store)
    assert len(logged) == 7 == document_count(store)
    assert len({at for _, at in logged}) == 1  # stamped once: one transaction
    assert [seq for seq, _ in logged] == list(range(logged[0][0], logged[0][0] + 7))
    again = submit_documents(store, rows, bank(), chunk_size=100, register=registrar.register_prepared, idempotency_key="bank-1")
    assert again.outcomes == report.outcomes and document_count(store) == 7


def test_a_part_that_fails_to_prepare_registers_nothing_of_its_chunk(store, registrar, monkeypatch):
    monkeypatch.setattr(intake, "PART", 2)
    real_prepare, calls = intake.prepare, []

    def third_fails(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("preparing failed")
        return real_prepare(*args, **kwargs)

    monkeypatch.setattr(intake, "prepare", third_fails)
    with pytest.raises(RuntimeError, match="preparing failed"):
        submit_documents(store, numbered([document_row(n) for n in range(6)]), bank(), chunk_size=100, register=registrar.register_prepared)
    assert len(calls) == 3 and document_count(store) == 0 and registrations(store) == []
    monkeypatch.setattr(intake, "prepare", real_prepare)
    later = submit_documents(store, numbered([document_row(n) for n in range(5)]), bank(), chunk_size=100, register=registrar.register_prepared)
    assert [o.status for o in later.outcomes] == ["accepted"] * 5 and document_count(store) == 5


def test_a_chunk_the_process_refuses_is_read_to_its_end_and_the_next_one_registers(store, registrar, monkeypatch):
    monkeypatch.setattr(intake, "PART", 2)
    today = bank().stamp()[1]
    yesterday = today.fromordinal(today.toordinal() - 1)
    rows = numbered([document_row(n) for n in range(5)])
    with pytest.raises(DayChanged) as refused:
        registrar.register_prepared(yesterday, prepared_parts(store, rows, yesterday, [("claimant", BANK_BIN)] * len(rows)))
    assert refused.value.day == today and document_count(store) == 0
    accepted = registrar.register_prepared(today, prepared_parts(store, rows, today, [("claimant", BANK_BIN)] * len(rows)))
    assert [o.status for o in accepted] == ["accepted"] * 5 and document_count(store) == 5


def test_a_chunk_waiting_for_the_busy_process_is_prepared_meanwhile(store, registrar, monkeypatch):
    monkeypatch.setattr(intake, "PART", 2)
    today = bank().stamp()[1]
    rows = numbered([document_row(n) for n in range(7)])
    all_prepared = threading.Event()

    def parts():  # type: ignore[no-untyped-def]
        yield from prepared_parts(store, rows, today, [("claimant", BANK_BIN)] * len(rows))
        all_prepared.set()

    answers: list[object] = []
    registrar._exchanging.acquire()  # another request's exchange is under way
    try:
        thread = threading.Thread(target=lambda: answers.append(registrar.register_prepared(today, parts())))
        thread.start()
        assert all_prepared.wait(timeout=60), "the chunk was not prepared while it waited"
        assert document_count(store) == 0
    finally:
        registrar._exchanging.release()
    thread.join(timeout=60)
    assert [o.status for o in answers[0]] == ["accepted"] * 7  # type: ignore[attr-defined]
    assert document_count(store) == 7


def test_a_server_gone_in_the_middle_of_a_chunk_leaves_none_of_it(store, monkeypatch):
    """The server process dies (its end of the pipe closes) after sending part of a chunk: the intake
    process rolls the chunk back and ends."""
    monkeypatch.setattr(intake, "PART", 2)
    process = IntakeProcess(store.engine.url.render_as_string(hide_password=False))
    today = bank().stamp()[1]
    rows = numbered([document_row(n) for n in range(6)])
    parts = prepared_parts(store, rows, today, [("claimant", BANK_BIN)] * len(rows))
    process._conn.send_bytes(_message("prepared", today, None, None))
    process._conn.send_bytes(_part_message(next(parts)))
    process._conn.send_bytes(_part_message(next(parts)))
    process._conn.close()
    process._process.join(timeout=60)
    assert process._process.exitcode is not None, "the intake process outlived its server"
    assert document_count(store) == 0 and registrations(store) == []


def test_the_intake_process_writes_each_part_as_it_arrives(store, monkeypatch):
    """The point of parts: the intake process registers part 1 while the server is still preparing
    part 2, instead of waiting for the whole chunk. Its loop runs in a thread here, so the test can see
    a part registered before the chunk's end is sent."""
    monkeypatch.setattr(intake, "PART", 2)
    first_part_written = threading.Event()
    register_part = intake._register_part

    def registering(*args, **kwargs):
        outcomes = register_part(*args, **kwargs)
        first_part_written.set()
        return outcomes

    monkeypatch.setattr(intake, "_register_part", registering)
    server, child = multiprocessing.Pipe()
    loop = threading.Thread(target=_serve_intake, args=(store, child), daemon=True)
    loop.start()
    today = bank().stamp()[1]
    rows = numbered([document_row(n) for n in range(4)])
    parts = prepared_parts(store, rows, today, [("claimant", BANK_BIN)] * len(rows))
    server.send_bytes(_message("prepared", today, None, None))
    server.send_bytes(_part_message(next(parts)))
    assert first_part_written.wait(timeout=60), "the first part waited for the rest of the chunk"
    server.send_bytes(_part_message(next(parts)))
    server.send_bytes(_message("end"))
    assert [o.status for o in _answer(server.recv_bytes())] == ["accepted"] * 4
    server.send_bytes(pickle.dumps(None))
    loop.join(timeout=60)
    assert document_count(store) == 4
