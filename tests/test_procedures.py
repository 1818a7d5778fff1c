"""Scenarios for the procedures around the draw (paragraphs 12 and 17, absences, licence events,
territoriality, no eligible bailiff). Each ends by exporting the log and verifying it, then shows
that a forged history, even one the operator re-signs, fails `verify` at the forged event."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from conftest import acting, ministry
from factories import BANK_BIN, bailiff_row, document_row
from sqlalchemy import select

from casedraw.domain.calendar import add_working_days, holiday_name
from casedraw.draw.engine import UNIT
from casedraw.ledger import canonical
from casedraw.ledger.checkpoint import NoteSigner, NoteVerifier
from casedraw.ledger.events import EventKind
from casedraw.ledger.publish import Discrepancy, verify_export, write_export
from casedraw.services.intake import submit_documents
from casedraw.services.procedures import (
    ProcedureRefused,
    cancel_absence,
    change_absence,
    decide_application,
    file_application,
    forward_document,
    licence_action,
    pending_alerts,
    record_absence,
    set_member,
    set_self_suspension,
    timeline,
)
from casedraw.services.registry import import_bailiffs
from casedraw.services.rounds import run_round
from casedraw.services.setup import LOG_ORIGIN
from casedraw.store import schema

SIGNER = NoteSigner.from_seed("casedraw-test-log", bytes(range(32)))
VERIFIER = NoteVerifier.from_vkey(SIGNER.verifier_key())
KZ = dt.timezone(dt.timedelta(hours=5))


def numbered(rows):
    return list(enumerate(rows, start=2))


def region_of(store, ctx, n: int, region: str = "KZ-75", first: int = 0) -> list[str]:
    rows = [bailiff_row(first + i, region=region, chamber_head="yes" if i == 0 else "no") for i in range(n)]
    assert import_bailiffs(store, numbered(rows), acting(ctx, "chamber", "registry")).counts() == {"registered": n}
    return [r["licence"] for r in rows]


def submit(store, ctx, numbers, **changes) -> None:
    report = submit_documents(store, numbered([document_row(n, **changes) for n in numbers]), acting(ctx, "claimant", "halyk-api"))
    assert not report.rejected


def documents(store) -> dict[int, tuple[str, str | None, str]]:
    d = schema.documents
    with store.read() as conn:
        return {r.id: (r.status, r.assigned_to, r.region) for r in conn.execute(select(d.c.id, d.c.status, d.c.assigned_to, d.c.region))}


def events_of(store, kind):
    return [(seq, e) for seq, e in store.events() if e.kind is kind]


def verified(store, directory: Path):
    write_export((e.body() for _, e in store.events()), directory, SIGNER, LOG_ORIGIN)
    return verify_export(directory, VERIFIER, LOG_ORIGIN)


def forged_fails_at(store, directory: Path, index: int, change) -> Discrepancy:
    """Re-sign a history whose event `index` was changed by `change(event)`; verify must fail there."""
    bodies = [e.body() for _, e in store.events()]
    event = json.loads(bodies[index])
    change(event)
    bodies[index] = canonical.encode(event)
    write_export(iter(bodies), directory, SIGNER, LOG_ORIGIN)
    with pytest.raises(Discrepancy) as caught:
        verify_export(directory, VERIFIER, LOG_ORIGIN)
    assert caught.value.index == index, str(caught.value)
    return caught.value


def refused_without_trace(store, action, match: str) -> None:
    size = sum(1 for _ in store.events())
    with pytest.raises(ProcedureRefused, match=match):
        action()
    assert sum(1 for _ in store.events()) == size


# --- paragraph 12 ------------------------------------------------------------------------


def test_replacement_granted_redraws_without_the_bailiff_and_refused_changes_nothing(store, ctx, tmp_path):
    region_of(store, ctx, 5)
    region_of(store, ctx, 2, region="KZ-71", first=10)
    submit(store, ctx, range(10))
    run_round(store, ctx)
    set_member(store, ministry(ctx), "KZ-75", "commission-almaty-1", "commission")
    set_member(store, ministry(ctx), "KZ-71", "commission-astana-1", "commission")
    before = documents(store)
    replaced = before[1][1]
    claimant = acting(ctx, "claimant", "halyk-api")

    refused_without_trace(store, lambda: file_application(store, claimant, 1, "850412300704", "inaction", "No action", []), "claimant: not the claimant")
    refused_without_trace(store, lambda: file_application(store, acting(ctx, "bailiff", "PB-00001"), 1, BANK_BIN, "inaction", "x", []), "filed by the claimant")
    filed = file_application(store, claimant, 1, BANK_BIN, "inaction", "No enforcement action for three months", ["DC-2026/17"])
    refused_without_trace(store, lambda: file_application(store, claimant, 1, BANK_BIN, "inaction", "again", []), "still under review")

    # Only a member of that region's commission decides; nobody else can move the document.
    for outsider in (acting(ctx, "commission", "commission-astana-1"), acting(ctx, "commission", "someone"), acting(ctx, "ministry", "mj")):
        refused_without_trace(store, lambda o=outsider: decide_application(store, o, filed.application, "granted", "DC-1", "ok"), "only a member of the KZ-75")
    member = acting(ctx, "commission", "commission-almaty-1")
    released = decide_application(store, member, filed.application, "granted", "DC-KZ75-2026-004", "Inaction confirmed")
    assert released is not None and released.documents == [1] and released.licence == replaced
    assert documents(store)[1] == ("released", None, "KZ-75")

    second = file_application(store, claimant, 2, BANK_BIN, "misconduct", "Rude", [])
    assert decide_application(store, member, second.application, "refused", "DC-KZ75-2026-005", "Not confirmed") is None
    refused_without_trace(store, lambda: decide_application(store, member, second.application, "granted", "DC-x", "again"), "already refused")

    run_round(store, ctx)
    after = documents(store)
    assert after[1][0] == "assigned" and after[1][1] != replaced
    assert after[2] == before[2]  # refused: still with its bailiff
    seal = events_of(store, EventKind.ROUND_SEALED)[-1][1].data
    assert [1, replaced, "replaced"] in seal["excluded"] and seal["documents"] == [1]

    steps = [s["what"] for s in timeline(store, 1, BANK_BIN)]
    assert steps == ["document.registered", "proceeding.assigned", "application.filed", "application.decided", "proceeding.assigned", "now"]
    assert timeline(store, 1)[-1]["licence"] == after[1][1]
    with pytest.raises(ProcedureRefused, match="claimant"):
        timeline(store, 1, "850412300704")

    result = verified(store, tmp_path / "export")
    assert result.summary.applications == 2 and result.summary.released == 1
    decided = events_of(store, EventKind.APPLICATION_DECIDED)[0][0]
    failure = forged_fails_at(store, tmp_path / "forged", decided, lambda e: e["by"].update(id="intruder"))
    assert "disciplinary commission" in failure.what


def test_decision_deadline_counts_working_days_across_a_public_holiday(store, ctx, clock, tmp_path):
    region_of(store, ctx, 3)
    submit(store, ctx, range(3))
    run_round(store, ctx)
    clock.now = dt.datetime(2026, 12, 14, 10, tzinfo=KZ)  # Monday; 16 December is Independence Day
    filed = file_application(store, acting(ctx, "claimant", "halyk-api"), 1, BANK_BIN, "missed_deadlines", "Late", [])
    assert holiday_name(dt.date(2026, 12, 16)) is not None
    # 10 working days from Monday 14 December: 15, (16 holiday), 17, 18, 21, 22, 23, 24, 25, 28, 29.
    assert filed.deadline == dt.date(2026, 12, 29) == add_working_days(dt.date(2026, 12, 14), 10)
    weekdays_only = [d for d in (dt.date(2026, 12, 14) + dt.timedelta(days=i) for i in range(1, 20)) if d.weekday() < 5]
    assert weekdays_only[9] == dt.date(2026, 12, 28)  # without the holiday it would fall a day earlier
    verified(store, tmp_path / "export")
    filed_at = events_of(store, EventKind.APPLICATION_FILED)[0][0]
    forged_fails_at(store, tmp_path / "forged", filed_at, lambda e: e["data"].update(deadline="2026-12-28"))


# --- paragraph 17 ------------------------------------------------------------------------------


def test_chamber_head_suspends_only_himself_and_it_applies_to_later_rounds(store, ctx, clock, tmp_path):
    head, *others = region_of(store, ctx, 4)
    refused_without_trace(store, lambda: set_self_suspension(store, acting(ctx, "chamber_head", others[0]), head, True, "x"), "paragraph 17")
    refused_without_trace(store, lambda: set_self_suspension(store, acting(ctx, "chamber_head", others[0]), others[0], True, "x"), "is not the head")
    refused_without_trace(store, lambda: set_self_suspension(store, acting(ctx, "ministry", "mj"), head, True, "x"), "paragraph 17")
    set_self_suspension(store, acting(ctx, "chamber_head", head), head, True, "Chamber reporting season")
    refused_without_trace(store, lambda: set_self_suspension(store, acting(ctx, "chamber_head", head), head, True, "x"), "already suspended")

    submit(store, ctx, range(30))
    run_round(store, ctx)
    assert head not in {lic for _, lic, _ in documents(store).values()}
    drawn = events_of(store, EventKind.ROUND_DRAWN)[-1][1].data
    assert drawn["regions"]["KZ-75"]["excluded"] == {head: "self_suspended"}

    set_self_suspension(store, acting(ctx, "chamber_head", head), head, False, "Season over")
    clock.advance(hours=1)
    submit(store, ctx, range(30, 60))
    run_round(store, ctx)
    assert head in {lic for _, lic, _ in documents(store).values()}

    verified(store, tmp_path / "export")
    first = events_of(store, EventKind.SELF_SUSPENSION)[0][0]
    forged_fails_at(store, tmp_path / "forged", first, lambda e: e["by"].update(id=others[0]))


# --- absences ------------------------------------------------------------------------------------


def test_absences_apply_from_the_round_after_and_cannot_be_back_dated(store, ctx, clock, tmp_path):
    licences = region_of(store, ctx, 4)
    away = licences[1]
    today = clock().astimezone(KZ).date()
    as_bailiff = acting(ctx, "bailiff", away)
    refused_without_trace(store, lambda: record_absence(store, as_bailiff, away, today - dt.timedelta(days=1), today + dt.timedelta(days=3), "illness"),
                          "before today .* cannot be back-dated")
    refused_without_trace(store, lambda: record_absence(store, acting(ctx, "bailiff", licences[2]), away, today, today, "leave"), "only PB-00001")
    number = record_absence(store, as_bailiff, away, today + dt.timedelta(days=1), today + dt.timedelta(days=10), "illness", "flu")
    assert b"illness" not in events_of(store, EventKind.ABSENCE_RECORDED)[0][1].body()  # health data stays private

    submit(store, ctx, range(40))
    run_round(store, ctx)  # today: not absent yet
    assert away in {lic for _, lic, _ in documents(store).values()}

    clock.advance(days=1)
    submit(store, ctx, range(40, 80))
    run_round(store, ctx)
    drawn = events_of(store, EventKind.ROUND_DRAWN)[-1][1].data
    assert drawn["regions"]["KZ-75"]["excluded"] == {away: "absent"}
    clock.advance(days=1)  # the absence began yesterday: its past is fixed
    started = today + dt.timedelta(days=1)
    refused_without_trace(store, lambda: change_absence(store, as_bailiff, number, started + dt.timedelta(days=1), started + dt.timedelta(days=5)),
                          "keeps its start")
    refused_without_trace(store, lambda: cancel_absence(store, as_bailiff, number), "end it early")
    refused_without_trace(store, lambda: change_absence(store, as_bailiff, number, started, started - dt.timedelta(days=1)), "would end the absence before")
    change_absence(store, acting(ctx, "chamber_head", licences[0]), number, started, started + dt.timedelta(days=2), "back sooner")

    verified(store, tmp_path / "export")
    recorded = events_of(store, EventKind.ABSENCE_RECORDED)[0][0]
    forged_fails_at(store, tmp_path / "forged", recorded, lambda e: e["data"].update({"from": (today - dt.timedelta(days=2)).isoformat()}))
    # An absence date moved later than recorded: the seal's roster no longer follows from the log.
    second_seal = events_of(store, EventKind.ROUND_SEALED)[1][0]
    with pytest.raises(Discrepancy) as caught:
        bodies = [e.body() for _, e in store.events()]
        event = json.loads(bodies[recorded])
        event["data"]["from"] = (today + dt.timedelta(days=2)).isoformat()
        bodies[recorded] = canonical.encode(event)
        write_export(iter(bodies), tmp_path / "moved", SIGNER, LOG_ORIGIN)
        verify_export(tmp_path / "moved", VERIFIER, LOG_ORIGIN)
    assert caught.value.index == second_seal and "roster" in caught.value.what


# --- licence events and redistribution ---------------------------------------------------------------


def test_licence_revocation_redistributes_a_thousand_open_proceedings_evenly(store, ctx, tmp_path):
    licences = region_of(store, ctx, 6)
    submit(store, ctx, range(6_000), category="alimony")  # one weight, so counts show the balance
    run_round(store, ctx)
    gone = licences[3]
    held = sorted(doc for doc, (_, lic, _) in documents(store).items() if lic == gone)
    assert 900 <= len(held) <= 1100
    before = Counter(lic for _, lic, _ in documents(store).values())

    refused_without_trace(store, lambda: licence_action(store, acting(ctx, "chamber", "x"), gone, "revoked", "MJ order 1"), "ministry")
    refused_without_trace(store, lambda: licence_action(store, ministry(ctx), gone, "reinstated", "MJ order 1"), "not possible for a licence that is active")
    released = licence_action(store, ministry(ctx), gone, "revoked", "MJ order 2026-311", note="Court decision")
    assert released is not None and released.documents == held and released.cause == "licence"
    statuses = documents(store)
    assert {statuses[doc][0] for doc in held} == {"released"}

    result = run_round(store, ctx)
    assert (result.documents, result.assigned) == (len(held), len(held))
    after = documents(store)
    gained = Counter(after[doc][1] for doc in held)
    assert gone not in gained and len(gained) == 5
    assert max(gained.values()) - min(gained.values()) <= 24, gained  # balanced: the whole region stays level
    totals = Counter(lic for _, lic, _ in after.values())
    assert max(totals.values()) - min(totals.values()) <= 12 // 3 + 1 and gone not in totals  # guard of 12 units, weight 3
    moved = {(r.doc, r.cause, r.licence) for r in _rows(store, schema.document_moves)}
    assert moved == {(doc, "licence", gone) for doc in held}
    assert before[gone] == len(held)

    verified(store, tmp_path / "export")
    release = events_of(store, EventKind.PORTFOLIO_RELEASED)[0][0]
    forged_fails_at(store, tmp_path / "forged", release, lambda e: e["data"]["documents"].pop())
    revocation = events_of(store, EventKind.LICENCE_EVENT)[0][0]
    forged_fails_at(store, tmp_path / "forged2", revocation, lambda e: e["by"].update(role="operator"))


def test_transfer_and_long_absence_release_the_portfolio(store, ctx, clock, tmp_path):
    licences = region_of(store, ctx, 4)
    submit(store, ctx, range(40))
    run_round(store, ctx)
    mover, sick = licences[1], licences[2]
    held_by_mover = [d for d, (_, lic, _) in documents(store).items() if lic == mover]
    released = licence_action(store, ministry(ctx), mover, "transferred", "MJ order 9", district="Almaty, enforcement district 4")
    assert released is not None and released.cause == "transfer" and released.documents == sorted(held_by_mover)
    today = clock().astimezone(KZ).date()
    record_absence(store, acting(ctx, "bailiff", sick), sick, today + dt.timedelta(days=1), today + dt.timedelta(days=45), "illness")
    run_round(store, ctx)
    holders = documents(store)
    assert {holders[d][1] for d in held_by_mover} & {mover} == set()

    clock.advance(days=1)  # the long absence begins: the next seal releases first
    held_by_sick = [d for d, (_, lic, _) in documents(store).items() if lic == sick]
    submit(store, ctx, range(40, 44))
    run_round(store, ctx)
    release = events_of(store, EventKind.PORTFOLIO_RELEASED)[-1][1].data
    assert (release["licence"], release["cause"], release["documents"]) == (sick, "long_absence", sorted(held_by_sick))
    assert sick not in {lic for _, lic, _ in documents(store).values()}
    verified(store, tmp_path / "export")
    # Withholding the release makes the seal that follows unjustified.
    seq = events_of(store, EventKind.PORTFOLIO_RELEASED)[-1][0]
    bodies = [e.body() for _, e in store.events()]
    write_export(iter(bodies[:seq] + bodies[seq + 1:]), tmp_path / "withheld", SIGNER, LOG_ORIGIN)
    with pytest.raises(Discrepancy, match="still holds .* open documents due for redistribution"):
        verify_export(tmp_path / "withheld", VERIFIER, LOG_ORIGIN)


def test_a_long_absence_overlapping_a_short_one_releases_and_verifies(store, ctx, clock, tmp_path):
    """Found by the national-year benchmark: with a short leave entered first and a long illness over
    the same days, the operator released the portfolio (any covering absence that is long, as the spec
    says) while `verify` looked only at the first covering absence and refused the release."""
    licences = region_of(store, ctx, 3)
    submit(store, ctx, range(30))
    run_round(store, ctx)
    sick = licences[1]
    today = clock().astimezone(KZ).date()
    record_absence(store, acting(ctx, "bailiff", sick), sick, today + dt.timedelta(days=1), today + dt.timedelta(days=7), "leave")
    record_absence(store, acting(ctx, "bailiff", sick), sick, today + dt.timedelta(days=1), today + dt.timedelta(days=45), "illness")
    clock.advance(days=1)
    held = sorted(d for d, (_, lic, _) in documents(store).items() if lic == sick)
    submit(store, ctx, range(30, 33))
    run_round(store, ctx)
    release = events_of(store, EventKind.PORTFOLIO_RELEASED)[-1][1].data
    assert (release["licence"], release["cause"], release["documents"]) == (sick, "long_absence", held)
    verified(store, tmp_path / "export")


# --- no eligible bailiff -----------------------------------------------------------------------------


def test_no_eligible_bailiff_waits_visibly_then_is_drawn_when_one_returns(store, ctx, tmp_path):
    suspended, absent = region_of(store, ctx, 2, region="KZ-71", first=20)
    today = ctx.clock().astimezone(KZ).date()
    licence_action(store, ministry(ctx), suspended, "suspended", "MJ order 5")
    record_absence(store, acting(ctx, "bailiff", absent), absent, today, today + dt.timedelta(days=5), "leave")
    submit(store, ctx, range(5), region="KZ-71")
    result = run_round(store, ctx)
    assert (result.assigned, result.pending) == (0, 5)
    alerts = pending_alerts(store, "KZ-71")
    assert [doc for doc, _ in alerts["KZ-71"]] == [1, 2, 3, 4, 5]
    assert alerts["KZ-71"][0][1] == [["absent", 1], ["licence_not_active", 1]]

    licence_action(store, ministry(ctx), suspended, "reinstated", "MJ order 6")
    result = run_round(store, ctx)
    assert (result.documents, result.assigned) == (5, 5)
    assert {lic for _, lic, _ in documents(store).values()} == {suspended}
    assert pending_alerts(store) == {}
    verified(store, tmp_path / "export")
    reinstated = events_of(store, EventKind.LICENCE_EVENT)[-1][0]
    forged_fails_at(store, tmp_path / "forged", reinstated, lambda e: e["data"].update(action="suspended", changes={"status": "suspended"}))


# --- territoriality ------------------------------------------------------------------------------------


def test_documents_forwarded_by_territoriality_are_drawn_in_their_region(store, ctx, tmp_path):
    almaty = region_of(store, ctx, 3)
    astana = region_of(store, ctx, 3, region="KZ-71", first=10)
    submit(store, ctx, [0], region="KZ-71", lodged_with="KZ-75")  # lodged in Almaty, debtor lives in Astana
    forwarded = events_of(store, EventKind.DOCUMENT_FORWARDED)
    assert [(e.data["from"], e.data["to"], e.actor.role) for _, e in forwarded] == [("KZ-75", "KZ-71", "system")]
    run_round(store, ctx)
    status, holder, region = documents(store)[1]
    assert (status, region) == ("assigned", "KZ-71") and holder in astana

    refused_without_trace(store, lambda: forward_document(store, acting(ctx, "bailiff", astana[(astana.index(holder) + 1) % 3]), 1, "KZ-75", "debtor_residence"),
                          "forwarded by its bailiff")
    forward_document(store, acting(ctx, "bailiff", holder), 1, "KZ-75", "debtor_residence", "Debtor moved to Almaty")
    assert documents(store)[1] == ("forwarded", None, "KZ-75")
    run_round(store, ctx)
    status, holder, region = documents(store)[1]
    assert (status, region) == ("assigned", "KZ-75") and holder in almaty
    assert [s["what"] for s in timeline(store, 1)] == [
        "document.registered", "document.forwarded", "proceeding.assigned", "document.forwarded", "proceeding.assigned", "now"]

    verified(store, tmp_path / "export")
    second = events_of(store, EventKind.DOCUMENT_FORWARDED)[1][0]
    forged_fails_at(store, tmp_path / "forged", second, lambda e: e["by"].update(id="PB-00099"))


def test_refunded_weight_is_what_the_release_logs(store, ctx):
    licences = region_of(store, ctx, 3)
    submit(store, ctx, range(9))
    run_round(store, ctx)
    bd = schema.bailiff_draw
    with store.read() as conn:
        before = conn.execute(select(bd.c.vtime, bd.c.open_count, bd.c.load).where(bd.c.licence == licences[0])).one()
    held = [d for d, (_, lic, _) in documents(store).items() if lic == licences[0]]
    licence_action(store, ministry(ctx), licences[0], "suspended", "MJ order 7")
    state = events_of(store, EventKind.PORTFOLIO_RELEASED)[0][1].data["state"]
    weight = 2  # 250,000 KZT recovery_entity: band 1
    assert state == {"vtime": before.vtime - len(held) * weight * UNIT // 1000, "open": 0, "load": before.load - len(held) * weight}


def _rows(store, table):
    with store.read() as conn:
        return list(conn.execute(select(table)))
