"""Export and independent verification: a clean export verifies; every kind of tampering is caught."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from conftest import acting, fixed_context, ministry
from factories import BANK_BIN, bailiff_row, document_row
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casedraw.ledger import canonical
from casedraw.ledger.checkpoint import NoteSigner, NoteVerifier
from casedraw.ledger.publish import LOG_FILE, Discrepancy, VerificationFailed, verify_export, write_export
from casedraw.services.intake import submit_documents
from casedraw.services.procedures import decide_application, file_application, licence_action, record_absence, set_member
from casedraw.services.registry import import_bailiffs
from casedraw.services.rounds import run_round
from casedraw.services.setup import LOG_ORIGIN
from casedraw.store.repository import Store

SIGNER = NoteSigner.from_seed("casedraw-test-log", bytes(range(32)))
VERIFIER = NoteVerifier.from_vkey(SIGNER.verifier_key())


def numbered(rows):
    return list(enumerate(rows, start=2))


def build_history(store: Store) -> None:
    """Registry changes, a conflict of interest, three rounds, a region where nobody is eligible for a while."""
    ctx = fixed_context()
    import_bailiffs(store, numbered([bailiff_row(i, conflicts=BANK_BIN if i == 0 else "") for i in range(6)]
                                    + [bailiff_row(10, region="KZ-71", status="suspended")]), ctx)
    submit_documents(store, numbered([document_row(n) for n in range(25)] + [document_row(90, region="KZ-71")]), ctx)
    run_round(store, ctx)
    # The procedures: an absence, a paragraph 12 replacement granted (document 1 is drawn again).
    set_member(store, ministry(ctx), "KZ-75", "commission-almaty-1", "commission")
    today = dt.date(2026, 11, 27)
    record_absence(store, acting(ctx, "bailiff", "PB-00001"), "PB-00001", today, today + dt.timedelta(days=3), "leave")
    filed = file_application(store, acting(ctx, "claimant", "halyk-api"), 1, BANK_BIN, "inaction", "No action", ["DC-1"])
    decide_application(store, acting(ctx, "commission", "commission-almaty-1"), filed.application, "granted", "DC-KZ75-1", "Confirmed")
    import_bailiffs(store, numbered([bailiff_row(2, allocation_share="0.5")]), ctx)
    submit_documents(store, numbered([document_row(n) for n in range(25, 40)] + [document_row(0, doc_number="again")]), ctx)
    run_round(store, ctx)
    licence_action(store, ministry(ctx), "PB-00010", "reinstated", "MJ order 17")  # back: the pending document is drawn
    submit_documents(store, numbered([document_row(n, claimant_kind="state_body", category="state_claim", amount_kzt="1000")
                                      for n in range(40, 43)]), ctx)
    run_round(store, ctx)


@pytest.fixture
def export_dir(store, tmp_path) -> Path:
    build_history(store)
    out = tmp_path / "export"
    write_export((e.body() for _, e in store.events()), out, SIGNER, LOG_ORIGIN)
    return out


def lines(directory: Path) -> list[bytes]:
    return (directory / LOG_FILE).read_bytes().splitlines()


def rewrite(directory: Path, new_lines: list[bytes]) -> None:
    (directory / LOG_FILE).write_bytes(b"".join(line + b"\n" for line in new_lines))


def edit_event(directory: Path, kind: str, change) -> int:
    """Apply `change` to the data of the first event of `kind`, re-encoded canonically; returns its index."""
    all_lines = lines(directory)
    for index, line in enumerate(all_lines):
        event = json.loads(line)
        if event["kind"] == kind:
            change(event["data"])
            all_lines[index] = canonical.encode(event)
            rewrite(directory, all_lines)
            return index
    raise AssertionError(f"no {kind} event")


def test_a_clean_export_verifies_and_holds_no_personal_data(export_dir, store):
    result = verify_export(export_dir, VERIFIER, LOG_ORIGIN)
    assert result.size == len(lines(export_dir)) == sum(1 for _ in store.events())
    assert (result.summary.rounds, result.summary.documents, result.summary.pending) == (3, 45, 0)
    assert result.summary.assignments == 43  # 25 + 16 + document 1 again + the once-pending KZ-71 document; 3 state claims went to the robot bailiff
    assert (result.summary.applications, result.summary.released) == (1, 1)
    text = (export_dir / LOG_FILE).read_bytes()
    for personal in (BANK_BIN.encode(), "Ахметов".encode(), b"Halyk", b"District court", b"Bailiff 0"):
        assert personal not in text


def test_changed_assignment_is_caught_at_its_event(export_dir):
    def steal(data):
        data["regions"]["KZ-75"]["assigned"][0][1] = "PB-00005" if data["regions"]["KZ-75"]["assigned"][0][1] != "PB-00005" else "PB-00004"

    index = edit_event(export_dir, "round.drawn", steal)
    with pytest.raises(Discrepancy) as caught:
        verify_export(export_dir, VERIFIER)
    assert caught.value.index == index and "draw differs at .regions.KZ-75" in str(caught.value)


def test_changed_weight_is_caught(export_dir):
    index = edit_event(export_dir, "document.registered", lambda d: d.update(weight=d["weight"] + 1))
    with pytest.raises(Discrepancy, match="weight does not match the weight table") as caught:
        verify_export(export_dir, VERIFIER)
    assert caught.value.index == index


def test_changed_beacon_value_is_caught(export_dir):
    index = edit_event(export_dir, "round.randomness", lambda d: d.update(value="00" * 32))
    with pytest.raises(Discrepancy, match="randomness does not verify") as caught:
        verify_export(export_dir, VERIFIER)
    assert caught.value.index == index


def test_changed_roster_input_is_caught_at_the_next_seal(export_dir):
    index = edit_event(export_dir, "bailiff.changed", lambda d: d["changes"].update(share_milli=1000))
    with pytest.raises(Discrepancy, match="seal differs at .roster") as caught:
        verify_export(export_dir, VERIFIER)
    assert caught.value.index > index


def test_changed_checkpoint_signature_is_caught(export_dir):
    note = (export_dir / "checkpoint").read_bytes()
    signature_line = note.rstrip(b"\n").rsplit(b"\n", 1)[1]
    forged = signature_line[:-6] + (b"AAAAA=" if not signature_line.endswith(b"AAAAA=") else b"BBBBB=")
    (export_dir / "checkpoint").write_bytes(note.replace(signature_line, forged))
    with pytest.raises(VerificationFailed, match="checkpoint"):
        verify_export(export_dir, VERIFIER)


def test_a_checkpoint_signed_by_another_key_is_refused(export_dir, store):
    other = NoteSigner.from_seed("casedraw-test-log", bytes(32))
    write_export((e.body() for _, e in store.events()), export_dir, other, LOG_ORIGIN)
    with pytest.raises(VerificationFailed):
        verify_export(export_dir, VERIFIER)


@pytest.mark.parametrize("mutation", ["delete", "insert", "duplicate", "reorder", "truncate"])
def test_structural_tampering_is_caught(export_dir, mutation):
    all_lines = lines(export_dir)
    registered = [i for i, line in enumerate(all_lines) if b'"kind":"bailiff.registered"' in line]
    if mutation == "delete":
        del all_lines[registered[3]]
    elif mutation == "insert":
        extra = json.loads(all_lines[registered[3]])
        extra["data"]["licence"] = "PB-99999"
        all_lines.insert(registered[3] + 1, canonical.encode(extra))
    elif mutation == "duplicate":
        all_lines.insert(registered[3], all_lines[registered[3]])
    elif mutation == "reorder":
        all_lines[registered[1]], all_lines[registered[2]] = all_lines[registered[2]], all_lines[registered[1]]
    else:
        all_lines = all_lines[:-2]
    rewrite(export_dir, all_lines)
    with pytest.raises((Discrepancy, VerificationFailed)):
        verify_export(export_dir, VERIFIER)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_mutations_are_always_caught(export_dir, tmp_path_factory, data):
    work = tmp_path_factory.mktemp("mutated")
    shutil.copytree(export_dir, work, dirs_exist_ok=True)
    all_lines = lines(work)
    index = data.draw(st.integers(0, len(all_lines) - 1))
    action = data.draw(st.sampled_from(["flip", "delete", "duplicate", "swap"]))
    if action == "flip":
        line = bytearray(all_lines[index])
        position = data.draw(st.integers(0, len(line) - 1))
        line[position] ^= 1 << data.draw(st.integers(0, 6))
        if b"\n" in line:
            return
        all_lines[index] = bytes(line)
    elif action == "delete":
        del all_lines[index]
    elif action == "duplicate":
        all_lines.insert(index, all_lines[index])
    else:
        other = data.draw(st.integers(0, len(all_lines) - 1))
        if all_lines[other] == all_lines[index]:
            return
        all_lines[index], all_lines[other] = all_lines[other], all_lines[index]
    rewrite(work, all_lines)
    with pytest.raises((Discrepancy, VerificationFailed)) as parallel:
        verify_export(work, VERIFIER)
    with pytest.raises((Discrepancy, VerificationFailed)) as sequential:
        verify_export(work, VERIFIER, parallel=False)
    assert str(parallel.value) == str(sequential.value)  # the same first failure either way


def drand_history(store: Store) -> None:
    """A round whose randomness is the recorded drand quicknet round 123, with every event in time order."""
    from importlib import resources

    from casedraw.draw.beacons import QUICKNET, DrandFileFeed, round_time
    from casedraw.ledger.events import Actor
    from casedraw.services import Context

    sealing_time = dt.datetime.fromtimestamp(round_time(QUICKNET, 121), dt.UTC)  # the seal commits to round 123
    early = Context(Actor("operator", "test"), clock=lambda: sealing_time - dt.timedelta(minutes=5), salt=lambda: bytes(16))
    import_bailiffs(store, numbered([bailiff_row(i) for i in range(4)]), early)
    submit_documents(store, numbered([document_row(n, doc_date="2023-08-01") for n in range(12)]), early)
    feed = DrandFileFeed(str(resources.files("casedraw.data").joinpath("drand-quicknet.json")))
    run_round(store, Context(Actor("system", "test"), clock=lambda: sealing_time), source="drand-quicknet", drand=feed)


@pytest.fixture
def drand_export(db_url, tmp_path) -> Path:
    from casedraw.ledger.events import Actor
    from casedraw.services import Context
    from casedraw.services.setup import initialise

    store = Store.open(db_url)
    try:
        initialise(store, Context(Actor("ministry", "test"), clock=lambda: dt.datetime(2023, 8, 23, tzinfo=dt.UTC)))
        drand_history(store)
        out = tmp_path / "drand-export"
        write_export((e.body() for _, e in store.events()), out, SIGNER, LOG_ORIGIN)
        return out
    finally:
        store.close()


def test_a_drand_round_verifies_and_a_changed_drand_signature_is_caught(drand_export):
    result = verify_export(drand_export, VERIFIER)
    assert (result.summary.rounds, result.summary.assignments) == (1, 12)

    def forge(data):
        signature = data["proof"]["signature"]
        data["proof"]["signature"] = signature[:-1] + ("0" if signature[-1] != "0" else "1")

    index = edit_event(drand_export, "round.randomness", forge)
    with pytest.raises(Discrepancy, match="randomness does not verify") as caught:
        verify_export(drand_export, VERIFIER)
    assert caught.value.index == index
