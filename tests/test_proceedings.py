"""Scenarios for the life of a document after its draw (docs/ALGORITHM.md, section 10): every path
of a proceeding through the services, the refusals, deadlines across public holidays, paragraph 12
applications citing missed deadlines, and the affinity a closure ends. Each ends by exporting the
log and verifying it; forged histories, even re-signed ones, fail `verify` at the forged event."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import acting
from factories import BANK_BIN, document_row
from sqlalchemy import select
from test_procedures import (
    KZ,
    SIGNER,
    VERIFIER,
    documents,
    events_of,
    forged_fails_at,
    refused_without_trace,
    region_of,
    submit,
    verified,
)

from casedraw.domain.calendar import holiday_name, is_working_day
from casedraw.ledger.events import Actor, EventKind
from casedraw.ledger.publish import Discrepancy, verify_export, write_export
from casedraw.services.procedures import file_application
from casedraw.services.proceedings import StepRequest, overdue, record_step, record_steps
from casedraw.services.rounds import run_round, seal_round
from casedraw.services.setup import LOG_ORIGIN
from casedraw.store import schema

AMOUNT = 25_000_000  # document_row's 250,000.00 KZT, in tiyn


def by(ctx, licence):
    return acting(ctx, "bailiff", licence)


def holder(store, doc) -> str:
    return documents(store)[doc][1]


def step(store, ctx, doc, what, **details) -> int:
    """One step by the bailiff the document is assigned to; its log index."""
    return record_step(store, by(ctx, holder(store, doc)), StepRequest(doc, what, **details))


def started(store, ctx, *docs) -> None:
    for doc in docs:
        step(store, ctx, doc, "acknowledged")
        step(store, ctx, doc, "initiated", reference=f"RES-{doc}/2026")


def refused_step(store, ctx, doc, what, message, licence=None, role="bailiff", **details) -> None:
    """The step is refused with exactly this message (field first) and nothing is written."""
    actor = acting(ctx, role, licence or holder(store, doc))
    refused_without_trace(store, lambda: record_step(store, actor, StepRequest(doc, what, **details)), "^" + re.escape(message))


def proceeding(store, doc) -> dict:
    """The document's latest proceeding row."""
    p = schema.proceedings
    with store.read() as conn:
        return conn.execute(select(p).where(p.c.doc == doc).order_by(p.c.round.desc())).first()._asdict()


def document(store, doc) -> dict:
    with store.read() as conn:
        return conn.execute(select(schema.documents).where(schema.documents.c.id == doc)).one()._asdict()


def draw_state(store, licence) -> tuple[int, int, int]:
    bd = schema.bailiff_draw
    with store.read() as conn:
        return tuple(conn.execute(select(bd.c.vtime, bd.c.open_count, bd.c.load).where(bd.c.licence == licence)).one())


def affinity_rows(store) -> list[tuple]:
    with store.read() as conn:
        return [tuple(r) for r in conn.execute(select(schema.affinity))]


def logged(store, seq):
    return next(store.events(seq))[1]


def log_size(store) -> int:
    return sum(1 for _ in store.events())


def pick(row: dict, *columns) -> tuple:
    return tuple(row[c] for c in columns)


def last_assigned(store, region="KZ-75") -> list[list]:
    return events_of(store, EventKind.ROUND_DRAWN)[-1][1].data["regions"][region]["assigned"]


# --- 1, 7: every path through the services; rebuild gives the same tables ------------------------


def test_every_path_of_a_proceeding_through_the_services(store, ctx, tmp_path):
    licences = region_of(store, ctx, 3)
    submit(store, ctx, range(5))
    submit(store, ctx, [5], category="non_property", amount_kzt="")
    run_round(store, ctx)
    drawn = {lic: draw_state(store, lic) for lic in licences}
    assert pick(proceeding(store, 1), "open", "stage", "acknowledged_at", "initiated_at", "suspensions", "outcome") == (True, "assigned", None, None, 0, None)

    # Acknowledge, initiate, recover in two payments, close as recovered.
    lic = holder(store, 1)
    step(store, ctx, 1, "acknowledged")
    assert pick(proceeding(store, 1), "open", "stage", "initiated_at") == (True, "acknowledged", None) and proceeding(store, 1)["acknowledged_at"]
    step(store, ctx, 1, "initiated", reference="RES-0001/2026")
    assert pick(proceeding(store, 1), "stage", "resolution") == ("initiated", "RES-0001/2026") and proceeding(store, 1)["initiated_at"]
    part = step(store, ctx, 1, "recovered", amount_tiyn=10_000_000)
    assert pick(document(store, 1), "recovered_bp", "recovered_tiyn") == (4000, 10_000_000)
    assert logged(store, part).data["recovered_bp"] == 4000 and proceeding(store, 1)["stage"] == "initiated"
    step(store, ctx, 1, "recovered", amount_tiyn=AMOUNT - 10_000_000)
    assert pick(document(store, 1), "recovered_bp", "recovered_tiyn") == (10_000, AMOUNT)
    vtime, open_count, load = draw_state(store, lic)
    weight = document(store, 1)["weight"]
    closed = step(store, ctx, 1, "closed", reason="recovered", note="Paid in full")
    row = proceeding(store, 1)
    assert pick(row, "open", "stage", "outcome", "recovered_bp", "note") == (False, "closed", "recovered", 10_000, "Paid in full") and row["ended_at"]
    assert pick(document(store, 1), "status", "recovered_bp", "assigned_to") == ("closed", 10_000, lic)
    assert draw_state(store, lic) == (vtime, open_count - 1, load - weight)  # vtime stays: the work was received
    data = logged(store, closed).data
    assert data["state"] == {"open": open_count - 1, "load": load - weight}
    assert data["affinity_ended"] == document(store, 1)["affinity"]  # the debtor's only proceeding

    # Suspend, resume, suspend again, close as impossible from the suspension.
    started(store, ctx, 2)
    step(store, ctx, 2, "suspended", reason="Debtor in hospital")
    assert pick(proceeding(store, 2), "stage", "suspensions") == ("suspended", 1)
    step(store, ctx, 2, "resumed", reason="Discharged")
    assert pick(proceeding(store, 2), "stage", "suspensions") == ("initiated", 1)
    second = step(store, ctx, 2, "suspended", reason="Debtor abroad")
    assert logged(store, second).data["suspension"] == 2 and proceeding(store, 2)["suspensions"] == 2
    step(store, ctx, 2, "closed", reason="impossible", note="No property")
    assert pick(proceeding(store, 2), "open", "stage", "outcome", "recovered_bp") == (False, "closed", "impossible", 0)

    # Returned (after a part payment: its share stays), withdrawn, transferred: one batch, three bailiffs' work.
    items = [(3, "acknowledged", {}), (3, "initiated", {"reference": "RES-3"}), (3, "recovered", {"amount_tiyn": 5_000_000}),
             (3, "closed", {"reason": "returned"})]
    items += [(doc, what, extra) for doc, reason in ((4, "withdrawn"), (5, "transferred"))
              for what, extra in (("acknowledged", {}), ("initiated", {"reference": f"RES-{doc}"}), ("closed", {"reason": reason}))]
    outcomes = record_steps(store, ctx, [StepRequest(d, w, **x) for d, w, x in items], [Actor("bailiff", holder(store, d)) for d, _, _ in items])
    assert [o.error for o in outcomes] == [None] * len(items)
    for doc, outcome, bp in ((3, "returned", 2000), (4, "withdrawn", 0), (5, "transferred", 0)):
        assert pick(proceeding(store, doc), "open", "stage", "outcome", "recovered_bp") == (False, "closed", outcome, bp)
        assert pick(document(store, doc), "status", "recovered_bp") == ("closed", bp)

    # A non-property document is executed: closed as recovered without any recovery.
    assert document(store, 6)["category"] == "non_property"
    started(store, ctx, 6)
    step(store, ctx, 6, "closed", reason="recovered")
    assert pick(proceeding(store, 6), "open", "stage", "outcome", "recovered_bp") == (False, "closed", "recovered", 10_000)
    assert pick(document(store, 6), "status", "recovered_bp") == ("closed", 10_000)

    # Nothing is open any more; nobody's vtime moved since the draw.
    assert {lic: draw_state(store, lic) for lic in licences} == {lic: (v, 0, 0) for lic, (v, _, _) in drawn.items()}
    assert affinity_rows(store) == []
    assert verified(store, tmp_path / "export").summary.closed == 6

    snapshot = store.projection_snapshot()  # `casedraw rebuild`: the tables follow from the log alone
    assert store.rebuild() == log_size(store)
    assert store.projection_snapshot() == snapshot


# --- 2: refusals ---------------------------------------------------------------------------------


def test_impossible_steps_are_refused_naming_the_field_and_write_nothing(store, ctx, tmp_path):
    licences = region_of(store, ctx, 3)
    submit(store, ctx, range(3))
    submit(store, ctx, [3], category="non_property", amount_kzt="")
    run_round(store, ctx)
    other = next(lic for lic in licences if lic != holder(store, 1))

    refused_step(store, ctx, 1, "initiated", "step: cannot record initiated: the proceeding is not acknowledged yet", reference="R-1")
    refused_step(store, ctx, 1, "paid", "step: 'paid' is not one of acknowledged, initiated, recovered, suspended, resumed, closed")
    refused_step(store, ctx, 1, "acknowledged", f"doc: document 1 is not an open proceeding of {other}", licence=other)
    refused_step(store, ctx, 1, "acknowledged", "actor: a proceeding's steps are recorded by the bailiff who holds it", role="chamber_head")
    refused_step(store, ctx, 99, "acknowledged", "doc: document 99 is not registered", licence=other)
    step(store, ctx, 1, "acknowledged")
    refused_step(store, ctx, 1, "acknowledged", "step: the proceeding is already acknowledged")
    refused_step(store, ctx, 1, "closed", "step: cannot record closed: the proceeding is not initiated yet", reason="returned")
    refused_step(store, ctx, 1, "initiated", "reference: required", reference="  ")
    step(store, ctx, 1, "initiated", reference="R-1")
    refused_step(store, ctx, 1, "recovered", "amount: 250,000.01 KZT exceeds the outstanding 250,000.00 KZT", amount_tiyn=AMOUNT + 1)
    refused_step(store, ctx, 1, "recovered", "amount: a positive amount (in KZT, at most two decimals) is required", amount_tiyn=0)
    step(store, ctx, 1, "recovered", amount_tiyn=10_000_000)
    refused_step(store, ctx, 1, "recovered", "amount: 150,000.01 KZT exceeds the outstanding 150,000.00 KZT", amount_tiyn=15_000_001)
    refused_step(store, ctx, 1, "closed", "reason: only 40.00 % of the claim is recovered", reason="recovered")
    refused_step(store, ctx, 1, "closed", "reason: 'settled' is not one of recovered, returned, impossible, withdrawn, transferred", reason="settled")
    step(store, ctx, 1, "suspended", reason="Appeal pending")
    refused_step(store, ctx, 1, "recovered", "step: cannot record recovered: the proceeding is suspended; resume it first", amount_tiyn=1)
    step(store, ctx, 1, "resumed", reason="Appeal dismissed")
    step(store, ctx, 1, "recovered", amount_tiyn=15_000_000)
    refused_step(store, ctx, 1, "closed", "reason: the claim is recovered in full; close the proceeding as recovered", reason="impossible")
    step(store, ctx, 1, "closed", reason="recovered")
    refused_step(store, ctx, 1, "recovered", "step: cannot record recovered: the proceeding is closed", amount_tiyn=1)
    refused_step(store, ctx, 1, "acknowledged", "step: cannot record acknowledged: the proceeding is closed")

    started(store, ctx, 4)
    refused_step(store, ctx, 4, "recovered", "doc: document 4 is non-property: there is no amount to recover", amount_tiyn=100)

    # Between a seal and its draw the bailiff's open count is an input of the draw: no closure.
    submit(store, ctx, [10])
    sealed = seal_round(store, ctx)
    refused_step(store, ctx, 4, "closed", f"round {sealed} is sealed and waits for its randomness; proceedings close once it is drawn",
                 reason="recovered")
    step(store, ctx, 2, "acknowledged")  # other steps move nothing the draw reads
    run_round(store, ctx)
    step(store, ctx, 4, "closed", reason="recovered")
    assert document(store, 4)["status"] == "closed"
    assert verified(store, tmp_path / "export").summary.closed == 2


def test_a_mixed_batch_writes_the_good_items_and_answers_each_in_order(store, ctx, tmp_path):
    licences = region_of(store, ctx, 2)
    submit(store, ctx, range(3))
    run_round(store, ctx)
    held = {doc: holder(store, doc) for doc in (1, 2, 3)}
    other = {doc: next(lic for lic in licences if lic != held[doc]) for doc in held}
    items = [
        (held[1], StepRequest(1, "acknowledged")),
        (held[1], StepRequest(1, "initiated", reference="RES-1")),  # follows the acknowledgement in the same batch
        (held[2], StepRequest(2, "initiated", reference="RES-2")),
        (other[3], StepRequest(3, "acknowledged")),
        (held[3], StepRequest(3, "acknowledged")),
        (held[3], StepRequest(3, "acknowledged")),
        (held[1], StepRequest(1, "recovered", amount_tiyn=5_000_000)),
        (held[1], StepRequest(1, "recovered", amount_tiyn=AMOUNT)),  # more than the batch has left outstanding
        (held[1], StepRequest(1, "closed", reason="returned")),
        (held[1], StepRequest(1, "recovered", amount_tiyn=1)),
    ]
    size = log_size(store)
    outcomes = record_steps(store, ctx, [r for _, r in items], [Actor("bailiff", lic) for lic, _ in items])
    assert [(o.item, o.doc, o.step) for o in outcomes] == [(i, r.doc, r.step) for i, (_, r) in enumerate(items)]
    errors = {o.item: o.error for o in outcomes if o.error is not None}
    assert errors == {
        2: "step: cannot record initiated: the proceeding is not acknowledged yet",
        3: f"doc: document 3 is not an open proceeding of {other[3]}",
        5: "step: the proceeding is already acknowledged",
        7: "amount: 250,000.00 KZT exceeds the outstanding 200,000.00 KZT",
        9: "step: cannot record recovered: the proceeding is closed",
    }
    good = [o for o in outcomes if o.error is None]
    assert [o.seq for o in good] == list(range(size, size + 5)) and log_size(store) == size + 5
    assert [logged(store, o.seq).kind for o in good] == [EventKind(f"proceeding.{items[o.item][1].step}") for o in good]
    assert pick(proceeding(store, 1), "stage", "outcome", "recovered_bp") == ("closed", "returned", 2000)
    assert (proceeding(store, 2)["stage"], proceeding(store, 3)["stage"]) == ("assigned", "acknowledged")
    verified(store, tmp_path / "export")


# --- 3: deadlines across public holidays -----------------------------------------------------------


def test_deadlines_skip_weekends_and_holidays_and_overdue_lists_the_late(store, ctx, clock, tmp_path):
    region_of(store, ctx, 2)
    submit(store, ctx, range(3))
    clock.now = dt.datetime(2026, 12, 31, 11, tzinfo=KZ)  # Thursday, the last day of the year
    run_round(store, ctx)
    for holiday in (dt.date(2027, 1, 1), dt.date(2027, 1, 2), dt.date(2027, 1, 4), dt.date(2027, 1, 7)):
        assert holiday_name(holiday) is not None and not is_working_day(holiday)
    assert dt.date(2027, 1, 3).weekday() == 6 and is_working_day(dt.date(2027, 1, 5))
    # Acknowledge within 1 working day: Fri 1 (New Year), Sat 2, Sun 3, Mon 4 (New Year, observed) -> Tue 5 January.
    # Initiate within 3: Tue 5, Wed 6, (Thu 7 Orthodox Christmas), Fri 8 -> 8 January.
    drawn = events_of(store, EventKind.ROUND_DRAWN)[-1][1].data
    assert drawn["deadlines"] == {"acknowledge": "2027-01-05", "initiate": "2027-01-08"}
    assert pick(proceeding(store, 1), "acknowledge_by", "initiate_by") == (dt.date(2027, 1, 5), dt.date(2027, 1, 8))

    def missed(day, region=None):
        return {o.doc: o.missed for o in overdue(store, day, region)}

    everyone = {1, 2, 3}
    assert missed(dt.date(2027, 1, 5)) == {}  # on the deadline day nobody is late yet
    assert missed(dt.date(2027, 1, 6)) == dict.fromkeys(everyone, ["acknowledge"])
    assert missed(dt.date(2027, 1, 8)) == dict.fromkeys(everyone, ["acknowledge"])
    assert missed(dt.date(2027, 1, 9)) == dict.fromkeys(everyone, ["acknowledge", "initiate"])
    assert missed(dt.date(2027, 1, 9), "KZ-71") == {}

    clock.now = dt.datetime(2027, 1, 11, 9, tzinfo=KZ)
    today = dt.date(2027, 1, 11)
    step(store, ctx, 1, "acknowledged")  # late, but valid: the miss is what a chamber follows up
    assert missed(today) == {1: ["initiate"], 2: ["acknowledge", "initiate"], 3: ["acknowledge", "initiate"]}
    started(store, ctx, 2)
    step(store, ctx, 1, "initiated", reference="RES-1")
    assert missed(today) == {3: ["acknowledge", "initiate"]}
    (late,) = overdue(store, today)
    assert (late.doc, late.licence, late.region, late.acknowledge_by, late.initiate_by) == (
        3, holder(store, 3), "KZ-75", dt.date(2027, 1, 5), dt.date(2027, 1, 8))
    verified(store, tmp_path / "export")


# --- 4: paragraph 12 applications cite the missed deadlines ----------------------------------------


def test_an_application_cites_the_deadlines_missed_on_filing(store, ctx, clock, tmp_path):
    region_of(store, ctx, 3)
    submit(store, ctx, range(4))
    run_round(store, ctx)  # Friday 27 November 2026
    # Acknowledge: Mon 30 November; initiate: Mon 30, Tue 1, Wed 2 December.
    assert events_of(store, EventKind.ROUND_DRAWN)[-1][1].data["deadlines"] == {"acknowledge": "2026-11-30", "initiate": "2026-12-02"}
    claimant = acting(ctx, "claimant", "halyk-api")

    def cited(doc):
        file_application(store, claimant, doc, BANK_BIN, "missed_deadlines", "No action taken", [])
        seq, event = events_of(store, EventKind.APPLICATION_FILED)[-1]
        assert event.data["doc"] == doc
        return seq, event.data["overdue"]

    clock.now = dt.datetime(2026, 12, 1, 10, tzinfo=KZ)
    assert cited(4)[1] == ["acknowledge"]
    clock.now = dt.datetime(2026, 12, 3, 10, tzinfo=KZ)
    late, both = cited(1)
    assert both == ["acknowledge", "initiate"]
    step(store, ctx, 2, "acknowledged")
    assert cited(2)[1] == ["initiate"]
    started(store, ctx, 3)
    assert cited(3)[1] == []

    assert verified(store, tmp_path / "export").summary.applications == 4
    failure = forged_fails_at(store, tmp_path / "forged", late, lambda e: e["data"].update(overdue=[]))
    assert "overdue is not the deadlines missed on filing" in failure.what and failure.expected == ["acknowledge", "initiate"]


# --- 5: affinity ends with the last open proceeding against the debtor -----------------------------


def test_a_debtor_follows_its_bailiff_only_while_a_proceeding_against_it_is_open(store, ctx, tmp_path):
    region_of(store, ctx, 3)
    debtor, other_debtor = document_row(0)["debtor_idn"], document_row(2)["debtor_idn"]
    submit(store, ctx, [0, 1], debtor_idn=debtor)  # documents 1, 2
    submit(store, ctx, [2, 3], debtor_idn=other_debtor)  # documents 3, 4
    run_round(store, ctx)
    held = {}
    for pair in ((1, 2), (3, 4)):  # in draw order, which the seed decides: drawn once, then followed
        (first, lic, how1), (second, lic2, how2) = [a for a in last_assigned(store) if a[0] in pair]
        assert ({first, second}, how1, how2, lic2) == (set(pair), "draw", "affinity", lic)
        held[pair] = lic
    key, other_key = document(store, 1)["affinity"], document(store, 3)["affinity"]
    assert document(store, 2)["affinity"] == key and document(store, 4)["affinity"] == other_key
    assert sorted(affinity_rows(store)) == sorted([("KZ-75", key, held[1, 2]), ("KZ-75", other_key, held[3, 4])])

    started(store, ctx, 1, 2, 3, 4)
    closed = step(store, ctx, 1, "closed", reason="withdrawn")
    assert logged(store, closed).data["affinity_ended"] is None  # another proceeding against the debtor is open
    assert ("KZ-75", key, held[1, 2]) in affinity_rows(store)
    ended = step(store, ctx, 2, "closed", reason="returned")
    assert logged(store, ended).data["affinity_ended"] == key and affinity_rows(store) == [("KZ-75", other_key, held[3, 4])]

    # Both of the other debtor's proceedings closed in one batch: the second closure ends the mapping.
    both = record_steps(store, ctx, [StepRequest(doc, "closed", reason="impossible") for doc in (3, 4)], [Actor("bailiff", held[3, 4])] * 2)
    assert [logged(store, o.seq).data["affinity_ended"] for o in both] == [None, other_key] and affinity_rows(store) == []

    submit(store, ctx, [4], debtor_idn=debtor)
    run_round(store, ctx)
    (doc, _, how), = last_assigned(store)
    assert (doc, how, document(store, 5)["affinity"]) == (5, "draw", key)

    verified(store, tmp_path / "export")
    failure = forged_fails_at(store, tmp_path / "kept", ended, lambda e: e["data"].update(affinity_ended=None))
    assert "differs at .affinity_ended" in failure.what
    failure = forged_fails_at(store, tmp_path / "ended", closed, lambda e: e["data"].update(affinity_ended=key))
    assert "differs at .affinity_ended" in failure.what


# --- 6: forged lifecycles ----------------------------------------------------------------------------


def test_forged_proceedings_fail_verify_at_the_forged_event(store, ctx, tmp_path):
    region_of(store, ctx, 2)
    submit(store, ctx, range(2))
    run_round(store, ctx)
    acknowledged = step(store, ctx, 1, "acknowledged")
    step(store, ctx, 1, "initiated", reference="RES-1")
    step(store, ctx, 1, "recovered", amount_tiyn=10_000_000)
    full = step(store, ctx, 1, "recovered", amount_tiyn=AMOUNT - 10_000_000)
    closed = step(store, ctx, 1, "closed", reason="recovered")
    verified(store, tmp_path / "export")

    def one_more_open(event):
        event["data"]["state"]["open"] += 1

    failure = forged_fails_at(store, tmp_path / "open", closed, one_more_open)
    assert "differs at .state.open" in failure.what
    failure = forged_fails_at(store, tmp_path / "fell", full, lambda e: e["data"].update(recovered_bp=3999))
    assert "recovered_bp must not fall" in failure.what and failure.found == 3999

    # Withholding the acknowledgement puts the initiation, now at its index, out of stage.
    bodies = [e.body() for _, e in store.events()]
    del bodies[acknowledged]
    write_export(iter(bodies), tmp_path / "withheld", SIGNER, LOG_ORIGIN)
    with pytest.raises(Discrepancy) as caught:
        verify_export(tmp_path / "withheld", VERIFIER, LOG_ORIGIN)
    assert caught.value.index == acknowledged and caught.value.kind == "proceeding.initiated"
    assert "cannot record initiated: the proceeding is not acknowledged yet" in caught.value.what
