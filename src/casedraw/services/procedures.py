"""The procedures around the draw: each one an event with actor, role and reason.

Chamber members (para 12 commissions, staff), absences, paragraph 17
suspension by a chamber head, licence events with redistribution of the open
proceedings, paragraph 12 applications and decisions, forwarding by
territoriality. Every function checks who acts and refuses with
`ProcedureRefused` (naming the field and the reason) before anything is
written; `casedraw verify` checks the same rules on the public log
(ledger/replay.py). No other code path moves a document.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Set
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, func, select

from casedraw.domain.calendar import add_working_days
from casedraw.domain.identifiers import validate_idn
from casedraw.domain.model import Basis, LicenceStatus
from casedraw.domain.procedures import (
    LICENCE_TRANSITIONS,
    RELEASING_ACTIONS,
    Absence,
    Decision,
    Grounds,
    LicenceAction,
    MemberRole,
    ReleaseCause,
    absence_cancel_refusal,
    absence_change_refusal,
    licence_refusal,
    new_absence_refusal,
)
from casedraw.domain.proceedings import STAGES, overdue_steps
from casedraw.domain.regions import REGIONS
from casedraw.draw.engine import UNIT
from casedraw.ledger import events as ev
from casedraw.ledger.events import Actor, Event
from casedraw.services import Context
from casedraw.services.intake import affinity_hash
from casedraw.store import schema
from casedraw.store.repository import AFFINITY_KEY, Store, Writer, affinity_of, keys_by_region, rows_in

E = TypeVar("E", bound=StrEnum)
ABSENCE_KINDS = ("leave", "illness", "other")
MAX_NOTE = 2000


class ProcedureRefused(ValueError):
    """The action is not allowed; the message names the field and the reason."""


def _need(condition: bool, message: str) -> None:
    if not condition:
        raise ProcedureRefused(message)


def _choice(field: str, kind: type[E], value: str) -> E:
    try:
        return kind(value)
    except ValueError:
        raise ProcedureRefused(f"{field}: {value!r} is not one of {', '.join(m.value for m in kind)}") from None


def _text(field: str, value: str, *, required: bool = True) -> str:
    value = value.strip()
    _need(bool(value) or not required, f"{field}: required")
    _need(len(value) <= MAX_NOTE, f"{field}: at most {MAX_NOTE} characters")
    return value


def _bailiff(conn: Connection, licence: str) -> Any:
    row = conn.execute(select(schema.bailiffs).where(schema.bailiffs.c.licence == licence)).one_or_none()
    _need(row is not None, f"licence: {licence} is not a registered bailiff")
    return row


def _is_head_of(conn: Connection, actor: Actor, region: str) -> bool:
    if actor.role != "chamber_head":
        return False
    row = conn.execute(select(schema.bailiffs).where(schema.bailiffs.c.licence == actor.id)).one_or_none()
    return row is not None and row.chamber_head and row.region == region


def _is_member(conn: Connection, member: str, region: str, role: str) -> bool:
    m = schema.chamber_members
    return bool(conn.execute(select(m.c.active).where(m.c.region == region, m.c.member == member, m.c.role == role)).scalar_one_or_none())


def _no_round_open(conn: Connection, what: str) -> None:
    r = conn.execute(select(schema.rounds.c.round).where(schema.rounds.c.status == "sealed")).scalar_one_or_none()
    _need(r is None, f"round {r} is sealed and waits for its randomness; {what} once it is drawn")


# --- chamber members -------------------------------------------------------------


def set_member(store: Store, ctx: Context, region: str, member: str, role: str, active: bool = True) -> None:
    """Appoint (or remove) a member of a regional chamber's disciplinary commission or staff."""
    _need(region in REGIONS, f"region: {region!r} is not an ISO 3166-2:KZ region code")
    _choice("role", MemberRole, role)
    _need(bool(member.strip()) and len(member) <= 64, "member: an account identifier of 1 to 64 characters")
    with store.write() as writer:
        at, _ = writer.stamp(ctx)
        conn = writer.conn
        _need(ctx.actor.role == "ministry" or _is_head_of(conn, ctx.actor, region),
              f"actor: only the ministry or the chamber head of {region} appoints members")
        _need(_is_member(conn, member, region, role) != active, f"member: {member} is already {'a' if active else 'not a'} {role} member in {region}")
        writer.append([ev.chamber_member(at, ctx.actor, region, member, role, active)])


# --- absences ----------------------------------------------------------------------


def absences_on(conn: Connection, day: dt.date) -> list[Absence]:
    """The absences, not cancelled, that cover `day`."""
    a = schema.absences
    return [Absence(*row) for row in conn.execute(select(a.c.licence, a.c.start, a.c.end).where(~a.c.cancelled, a.c.start <= day, a.c.end >= day))]


def _may_enter_absence(conn: Connection, actor: Actor, bailiff: Any) -> bool:
    return (
        (actor.role == "bailiff" and actor.id == bailiff.licence)
        or _is_head_of(conn, actor, bailiff.region)
        or (actor.role == "chamber" and _is_member(conn, actor.id, bailiff.region, MemberRole.STAFF))
    )


def record_absence(store: Store, ctx: Context, licence: str, start: dt.date, end: dt.date, kind: str, note: str = "") -> int:
    """Leave or illness as an inclusive date range; only from today on (no back-dating)."""
    _need(kind in ABSENCE_KINDS, f"kind: {kind!r} is not one of {', '.join(ABSENCE_KINDS)}")
    note = _text("note", note, required=False)
    with store.write() as writer:
        at, today = writer.stamp(ctx)
        refusal = new_absence_refusal(start, end, today)
        _need(refusal is None, str(refusal))
        conn = writer.conn
        bailiff = _bailiff(conn, licence)
        _need(_may_enter_absence(conn, ctx.actor, bailiff), f"actor: only {licence}, the chamber head or chamber staff of {bailiff.region} enter its absences")
        number = _count(conn, schema.absences) + 1
        writer.append([ev.absence_recorded(at, ctx.actor, number, licence, start, end, kind, note, ctx.salt())])
        return number


def _absence(conn: Connection, ctx: Context, number: int) -> tuple[Absence, Any]:
    row = conn.execute(select(schema.absences).where(schema.absences.c.id == number)).one_or_none()
    _need(row is not None and not row.cancelled, f"absence: {number} is not recorded or was cancelled")
    bailiff = _bailiff(conn, row.licence)
    _need(_may_enter_absence(conn, ctx.actor, bailiff), f"actor: only {row.licence}, the chamber head or chamber staff of {bailiff.region} change its absences")
    return Absence(row.licence, row.start, row.end), bailiff


def change_absence(store: Store, ctx: Context, number: int, start: dt.date, end: dt.date, note: str = "") -> None:
    note = _text("note", note, required=False)
    with store.write() as writer:
        at, today = writer.stamp(ctx)
        old, _ = _absence(writer.conn, ctx, number)
        refusal = absence_change_refusal(old, start, end, today)
        _need(refusal is None, str(refusal))
        writer.append([ev.absence_changed(at, ctx.actor, number, start, end, note, ctx.salt())])


def cancel_absence(store: Store, ctx: Context, number: int, note: str = "") -> None:
    note = _text("note", note, required=False)
    with store.write() as writer:
        at, today = writer.stamp(ctx)
        old, _ = _absence(writer.conn, ctx, number)
        refusal = absence_cancel_refusal(old, today)
        _need(refusal is None, str(refusal))
        writer.append([ev.absence_cancelled(at, ctx.actor, number, note, ctx.salt())])


# --- paragraph 17 ------------------------------------------------------------------


def set_self_suspension(store: Store, ctx: Context, licence: str, suspended: bool, reason: str) -> None:
    """A chamber head suspends (or resumes) distribution to himself or herself; rounds sealed after it see it."""
    reason = _text("reason", reason)
    with store.write() as writer:
        at, _ = writer.stamp(ctx)
        bailiff = _bailiff(writer.conn, licence)
        _need(ctx.actor.role == "chamber_head" and ctx.actor.id == licence,
              f"actor: paragraph 17 is for the chamber head himself or herself; {ctx.actor.role} {ctx.actor.id} cannot act for {licence}")
        _need(bailiff.chamber_head, f"licence: {licence} is not the head of the {bailiff.region} chamber")
        _need(bailiff.self_suspended != suspended, f"suspended: distribution to {licence} is already {'suspended' if suspended else 'running'}")
        writer.append([ev.self_suspension(at, ctx.actor, licence, suspended, reason, ctx.salt())])


# --- licence events and redistribution ----------------------------------------------


@dataclass(frozen=True)
class Released:
    licence: str
    cause: str
    documents: list[int]


def licence_action(
    store: Store, ctx: Context, licence: str, action: str, reference: str, *,
    district: str | None = None, region: str | None = None, note: str = "",
) -> Released | None:
    """A licence event from the ministry (or the Republican Chamber for expulsion); if it takes the
    bailiff out of the draw or out of the district, its open proceedings are released at once to be
    drawn among the region's eligible bailiffs in the next round."""
    act = _choice("action", LicenceAction, action)
    reference = _text("reference", reference)
    note = _text("note", note, required=False)
    _need(region is None or region in REGIONS, f"region: {region!r} is not an ISO 3166-2:KZ region code")
    _need(ctx.actor.role in ("ministry", "republican_chamber"), "actor: licence events come from the ministry or the Republican Chamber")
    with store.write() as writer:
        at, today = writer.stamp(ctx)
        conn = writer.conn
        bailiff = _bailiff(conn, licence)
        _no_round_open(conn, "licence events apply")
        refusal = licence_refusal(act, LicenceStatus(bailiff.status), bailiff.region, bailiff.district, region, district)
        _need(refusal is None, str(refusal))
        status, _ = LICENCE_TRANSITIONS[act]
        if status is not None:
            changes: dict[str, Any] = {"status": str(status)}
        else:
            changes = {"district": district}
            if region is not None and region != bailiff.region:
                changes["region"] = region
        writer.append([ev.licence_event(at, ctx.actor, licence, str(act), reference, changes, note, ctx.salt())])
        if act not in RELEASING_ACTIONS:
            return None
        cause = ReleaseCause.TRANSFER if act is LicenceAction.TRANSFERRED else ReleaseCause.LICENCE
        return _release_portfolio(writer, ctx, at, licence, cause)


def _open_documents(conn: Connection, licence: str) -> list[Any]:
    d = schema.documents
    # By the bailiff's index alone: with the status in SQL, SQLite's planner reads every assigned document.
    rows = conn.execute(select(d.c.id, d.c.weight, d.c.status).where(d.c.assigned_to == licence).order_by(d.c.id))
    return [row for row in rows if row.status == "assigned"]


def _refunded_state(conn: Connection, licence: str, weights: list[int]) -> dict[str, int]:
    """The bailiff's draw state once these documents' weights are given back (docs/ALGORITHM.md, 9.5)."""
    share = conn.execute(select(schema.bailiffs.c.share_milli).where(schema.bailiffs.c.licence == licence)).scalar_one()
    bd = schema.bailiff_draw
    row = conn.execute(select(bd.c.vtime, bd.c.open_count, bd.c.load).where(bd.c.licence == licence)).one()
    return {
        "vtime": row.vtime - sum(w * UNIT // share for w in weights),
        "open": row.open_count - len(weights),
        "load": row.load - sum(weights),
    }


@dataclass(frozen=True)
class Debtors:
    """For some (bailiff, debtor) pairs: the bailiff's open documents against the debtor, and where
    the affinity map sends each debtor. What decides whether a debtor's affinity ends (section 10.3)."""

    open_docs: dict[tuple[str, str], set[int]]  # (licence, affinity key) -> open documents
    mapped: dict[tuple[str, str], str]  # (region, affinity key) -> licence

    @classmethod
    def of(cls, conn: Connection, held: Iterable[tuple[str, str, str]]) -> Debtors:
        """`held`: (licence, region, affinity key) of the documents about to leave their bailiffs."""
        d, held = schema.documents, list(held)  # read twice: documents by bailiff, affinity by region
        pairs = sorted({(holder, key) for holder, _, key in held})
        wanted = set(pairs)
        open_docs: dict[tuple[str, str], set[int]] = defaultdict(set)
        for chunk in range(0, len(pairs), 200):
            part = pairs[chunk:chunk + 200]
            licences, keys = sorted({h for h, _ in part}), sorted({k for _, k in part})
            # Each bailiff's range of the (assigned_to, id, affinity) index, read from the index alone; the
            # status only of the documents against these debtors (in SQL it would make the planner scan by status).
            query = select(d.c.id, d.c.assigned_to, d.c.affinity).where(d.c.assigned_to.in_(licences), d.c.affinity.in_(keys))
            found = {r.id: (r.assigned_to, r.affinity) for r in conn.execute(query) if (r.assigned_to, r.affinity) in wanted}
            for r in rows_in(conn, select(d.c.id, d.c.status).where(d.c.id.in_(bindparam("values", expanding=True))), list(found)):
                if r.status == "assigned":
                    open_docs[found[r.id]].add(r.id)
        return cls(open_docs, affinity_of(conn, keys_by_region((region, key) for _, region, key in held)))

    def ends(self, licence: str, region: str, key: str, doc: int, gone: Set[int] = frozenset()) -> str | None:
        """The debtor's key if `doc` leaving `licence` ends the debtor's mapping to it: the map points
        to this bailiff and it holds no other open proceeding against the debtor. `gone`: documents
        that left earlier in the same transaction, not yet written."""
        if self.mapped.get((region, key)) != licence or self.open_docs.get((licence, key), set()) - gone - {doc}:
            return None
        return key


def affinity_ends(conn: Connection, licence: str, doc: int) -> str | None:
    """Debtors.ends for one document leaving its bailiff."""
    d = schema.documents
    row = conn.execute(select(d.c.region, d.c.affinity).where(d.c.id == doc)).one()
    return Debtors.of(conn, [(licence, row.region, row.affinity)]).ends(licence, row.region, row.affinity, doc)


def _release_one(conn: Connection, licence: str, doc: int, weight: int) -> dict[str, Any]:
    return {"licence": licence, "state": _refunded_state(conn, licence, [weight]), "affinity_ended": affinity_ends(conn, licence, doc)}


def _release_portfolio(writer: Writer, ctx: Context, at: str, licence: str, cause: ReleaseCause) -> Released | None:
    docs = _open_documents(writer.conn, licence)
    if not docs:
        return None
    state = _refunded_state(writer.conn, licence, [r.weight for r in docs])
    documents = [r.id for r in docs]
    writer.append([ev.portfolio_released(at, ctx.actor, licence, str(cause), documents, state)])
    return Released(licence, str(cause), documents)


def release_due(writer: Writer, ctx: Context, at: str, today: dt.date) -> list[Released]:
    """Before a round is sealed: release the portfolios of bailiffs out of the draw (licence not
    active) or absent today for longer than the configured limit."""
    conn = writer.conn
    config = Store.procedure_config(conn, today)
    b = schema.bailiffs
    bd = schema.bailiff_draw
    holders = set(conn.execute(select(bd.c.licence).where(bd.c.open_count > 0)).scalars())  # not a scan of every document
    inactive = {lic for lic, status in conn.execute(select(b.c.licence, b.c.status)) if status != LicenceStatus.ACTIVE and lic in holders}
    long_absent = {a.licence for a in absences_on(conn, today) if a.licence in holders and a.is_long(config)}
    released = []
    for licence in sorted(inactive | long_absent):
        cause = ReleaseCause.LICENCE if licence in inactive else ReleaseCause.LONG_ABSENCE
        item = _release_portfolio(writer, ctx, at, licence, cause)
        if item is not None:
            released.append(item)
    return released


# --- paragraph 12 -------------------------------------------------------------------


def overdue_on(conn: Connection, doc: int, today: dt.date) -> list[str]:
    """The deadlines the open proceeding of `doc` has missed on `today`."""
    p = schema.proceedings
    row = conn.execute(select(p.c.stage, p.c.acknowledge_by, p.c.initiate_by).where(p.c.doc == doc, p.c.open)).one_or_none()
    return [] if row is None else overdue_steps(STAGES[row.stage], today, row.acknowledge_by, row.initiate_by)


@dataclass(frozen=True)
class Filed:
    application: int
    deadline: dt.date


def file_application(
    store: Store, ctx: Context, doc: int, claimant_idn: str, grounds: str, statement: str, references: list[str],
) -> Filed:
    """The claimant asks the region's disciplinary commission to replace the document's bailiff."""
    _choice("grounds", Grounds, grounds)
    statement = _text("statement", statement)
    references = [_text("references", r) for r in references]
    _need(ctx.actor.role == "claimant", "actor: paragraph 12 applications are filed by the claimant")
    with store.write() as writer:
        at, today = writer.stamp(ctx)
        conn = writer.conn
        d = schema.documents
        row = conn.execute(select(d.c.claimant_idn, d.c.status, d.c.assigned_to).where(d.c.id == doc)).one_or_none()
        _need(row is not None, f"doc: document {doc} is not registered")
        claimant, _, errors = validate_idn(claimant_idn.strip(), "claimant")
        _need(not errors, "; ".join(str(e) for e in errors))
        _need(row.claimant_idn == claimant, f"claimant: not the claimant of document {doc}")
        _need(row.status == "assigned", f"doc: document {doc} is {row.status}, not assigned to a bailiff")
        ap = schema.applications
        under_review = conn.execute(select(ap.c.id).where(ap.c.doc == doc, ap.c.status == "review")).scalar_one_or_none()
        _need(under_review is None, f"doc: application {under_review} for document {doc} is still under review")
        bailiff = _bailiff(conn, row.assigned_to)
        deadline = add_working_days(today, Store.procedure_config(conn, today).decision_working_days)
        number = _count(conn, ap) + 1
        # The public body names the claimant by pseudonym (ALGORITHM.md 5.1): its IIN/BIN is kept here, as checked.
        private = {"claimant": claimant, "statement": statement, "references": references}
        overdue = overdue_on(conn, doc, today)
        writer.append([ev.application_filed(at, ctx.actor, number, doc, bailiff.licence, bailiff.region, grounds, deadline, overdue, private, ctx.salt())])
        return Filed(number, deadline)


def decide_application(store: Store, ctx: Context, application: int, decision: str, reference: str, reasons: str) -> Released | None:
    """A member of the region's disciplinary commission grants or refuses; a grant sends the
    document back to the draw with the replaced bailiff excluded."""
    verdict = _choice("decision", Decision, decision)
    reference = _text("reference", reference)
    reasons = _text("reasons", reasons)
    with store.write() as writer:
        at, _ = writer.stamp(ctx)
        conn = writer.conn
        ap = schema.applications
        row = conn.execute(select(ap).where(ap.c.id == application)).one_or_none()
        _need(row is not None, f"application: {application} was not filed")
        _need(row.status == "review", f"application: {application} was already {row.status}")
        _need(ctx.actor.role == "commission" and _is_member(conn, ctx.actor.id, row.region, MemberRole.COMMISSION),
              f"actor: only a member of the {row.region} disciplinary commission decides this application")
        released = None
        d = schema.documents
        current = conn.execute(select(d.c.status, d.c.assigned_to, d.c.weight).where(d.c.id == row.doc)).one()
        if verdict is Decision.GRANTED and current.status == "assigned" and current.assigned_to == row.licence:
            _no_round_open(conn, "a granted replacement moves the document")
            released = _release_one(conn, row.licence, row.doc, current.weight)
        writer.append([ev.application_decided(at, ctx.actor, application, row.doc, str(verdict), reference, released, reasons, ctx.salt())])
        return None if released is None else Released(row.licence, "replaced", [row.doc])


# --- territoriality ---------------------------------------------------------------------


def forward_document(store: Store, ctx: Context, doc: int, to_region: str, basis: str, note: str = "") -> None:
    """Send a document to the region its territoriality basis points to; drawn there in the next round."""
    _need(to_region in REGIONS, f"to: {to_region!r} is not an ISO 3166-2:KZ region code")
    _choice("basis", Basis, basis)
    note = _text("note", note, required=False)
    with store.write() as writer:
        at, _ = writer.stamp(ctx)
        conn = writer.conn
        _no_round_open(conn, "documents move")
        writer.append([_forwarding(writer, ctx, at, doc, to_region, basis, note)])


def _forwarding(writer: Writer, ctx: Context, at: str, doc: int, to_region: str, basis: str, note: str) -> Event:
    conn = writer.conn
    d = schema.documents
    row = conn.execute(select(d.c.region, d.c.status, d.c.assigned_to, d.c.weight, d.c.debtor_idn, d.c.channel).where(d.c.id == doc)).one_or_none()
    _need(row is not None and row.channel == "pb", f"doc: document {doc} is not a private-bailiff document")
    _need(row.region != to_region, f"to: document {doc} is already in {to_region}")
    released = None
    if row.status == "assigned":
        _need((ctx.actor.role == "bailiff" and ctx.actor.id == row.assigned_to) or _is_head_of(conn, ctx.actor, row.region),
              f"actor: document {doc} is forwarded by its bailiff {row.assigned_to} or the chamber head of {row.region}")
        released = _release_one(conn, row.assigned_to, doc, row.weight)
    else:
        _need(row.status in schema.WAITING, f"doc: document {doc} is {row.status}; it can move once its round is drawn")
        _need(ctx.actor.role in ("system", "chamber") or _is_head_of(conn, ctx.actor, row.region),
              "actor: a waiting document is forwarded at intake or by its chamber")
    key = affinity_hash(Store.secret(conn, AFFINITY_KEY), to_region, row.debtor_idn)
    return ev.document_forwarded(at, ctx.actor, doc, row.region, to_region, basis, key, released, note, ctx.salt())


# --- what people see ------------------------------------------------------------------------


def _count(conn: Connection, table: Any) -> int:
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


def timeline(store: Store, doc: int, claimant_idn: str | None = None) -> list[dict[str, Any]]:
    """Every step of a document's life from the log: registration, applications, moves, and where it is now."""
    with store.read() as conn:
        d = schema.documents
        row = conn.execute(select(d).where(d.c.id == doc)).one_or_none()
        _need(row is not None, f"doc: document {doc} is not registered")
        _need(claimant_idn is None or row.claimant_idn == claimant_idn, f"claimant: not the claimant of document {doc}")
        seqs = {row.seq}
        ap = schema.applications
        for a in conn.execute(select(ap.c.filed_seq, ap.c.decided_seq).where(ap.c.doc == doc)):
            seqs |= {a.filed_seq} | ({a.decided_seq} if a.decided_seq is not None else set())
        seqs |= set(conn.execute(select(schema.document_moves.c.seq).where(schema.document_moves.c.doc == doc)).scalars())
        e = schema.events
        steps = [
            {"seq": seq, "at": at, "what": kind, **_step_detail(kind, json.loads(body)["data"])}
            for seq, kind, at, body in conn.execute(select(e.c.seq, e.c.kind, e.c.at, e.c.body).where(e.c.seq.in_(sorted(seqs))).order_by(e.c.seq))
        ]
        tenures = _proceeding_steps(conn, doc, steps)
        steps.sort(key=lambda step: (step["at"], step.get("seq", float("inf"))))  # steps the tables keep no index of: last at their time
        now: dict[str, Any] = {"what": "now", "status": row.status, "region": row.region, "recovered_bp": row.recovered_bp}
        if row.status == "assigned":
            current = next(r for r in tenures if r.open)
            now.update(round=row.round, licence=row.assigned_to, how=row.how, stage=current.stage, suspensions=current.suspensions)
        elif row.status == "pending":
            now.update(round=row.round, reasons=json.loads(row.pending_reasons or "[]"))
        return [*steps, now]


def _proceeding_steps(conn: Connection, doc: int, out: list[dict[str, Any]]) -> list[Any]:
    """Add each proceeding of the document to `out` (drawn to a bailiff, its deadlines, acknowledged,
    initiated, closed); returns the proceedings' rows."""
    p, rounds = schema.proceedings, schema.rounds
    query = select(p, rounds.c.drawn_seq).join(rounds, rounds.c.round == p.c.round).where(p.c.doc == doc).order_by(p.c.assigned_at)
    tenures = list(conn.execute(query))
    for r in tenures:
        out.append({"seq": r.drawn_seq, "at": r.assigned_at, "what": "proceeding.assigned", "licence": r.licence, "round": r.round,
                    "acknowledge_by": str(r.acknowledge_by), "initiate_by": str(r.initiate_by)})
        for at, what in ((r.acknowledged_at, "proceeding.acknowledged"), (r.initiated_at, "proceeding.initiated")):
            if at is not None:
                out.append({"at": at, "what": what, "licence": r.licence})
        if r.stage == "closed":
            out.append({"at": r.ended_at, "what": "proceeding.closed", "licence": r.licence, "reason": r.outcome, "recovered_bp": r.recovered_bp})
    return tenures


def _step_detail(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    keep = {
        "document.registered": ("region", "category", "weight", "channel"),
        "application.filed": ("application", "licence", "grounds", "deadline"),
        "application.decided": ("application", "decision", "reference"),
        "bailiff.released": ("licence", "cause"),
        "document.forwarded": ("from", "to", "basis"),
    }.get(kind, ())
    return {k: data[k] for k in keep}


def pending_alerts(store: Store, region: str | None = None) -> dict[str, list[tuple[int, list[list[Any]]]]]:
    """Per region, the documents a round could not assign, with why: what a chamber must act on."""
    d = schema.documents
    query = select(d.c.id, d.c.region, d.c.pending_reasons).where(d.c.status == "pending").order_by(d.c.region, d.c.id)
    if region is not None:
        query = query.where(d.c.region == region)
    out: dict[str, list[tuple[int, list[list[Any]]]]] = defaultdict(list)
    with store.read() as conn:
        for row in conn.execute(query):
            out[row.region].append((row.id, json.loads(row.pending_reasons or "[]")))
    return dict(out)
