"""The life of a document after its draw: acknowledgement, initiation, recoveries, suspension and
resumption, closure (docs/ALGORITHM.md, section 10).

Only the bailiff who holds a proceeding records its steps. `record_steps` takes a batch (a
bailiff's day of work, or a bulk upload) and answers each item on its own: accepted with its log
index, or refused with the field and the reason; refused items write nothing, accepted ones are
appended together in one transaction. Steps are checked against the state the earlier items of the
same batch leave, so "acknowledge, then initiate" may travel together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select

from casedraw.domain.model import Category
from casedraw.domain.proceedings import (
    FULL_BP,
    STAGES,
    TRANSITIONS,
    ClosureReason,
    Stage,
    Step,
    closure_refusal,
    overdue_steps,
    recovered_bp,
    step_refusal,
)
from casedraw.ledger import events as ev
from casedraw.ledger.events import Actor, Event
from casedraw.services import Context
from casedraw.services.procedures import MAX_NOTE, Debtors, ProcedureRefused
from casedraw.store import schema
from casedraw.store.repository import Store, rows_in


@dataclass(frozen=True)
class StepRequest:
    doc: int
    step: str  # a Step
    amount_tiyn: int | None = None  # recovered: this payment
    reason: str = ""  # closed: a ClosureReason; suspended, resumed: the ground in words
    reference: str = ""  # initiated: the number of the resolution initiating proceedings
    note: str = ""  # closed: the bailiff's note


@dataclass(frozen=True)
class StepOutcome:
    item: int  # position in the batch
    doc: int
    step: str
    seq: int | None = None  # log index, if accepted
    error: str | None = None  # field and reason, if refused


@dataclass
class _Open:
    """A document's proceeding as the batch has left it so far."""

    status: str
    holder: str | None
    stage: Stage
    has_amount: bool
    amount_tiyn: int
    recovered_tiyn: int
    recovered_bp: int
    weight: int
    suspensions: int
    region: str
    affinity: str


def _text(name: str, value: str, required: bool) -> str:
    value = value.strip()
    if required and not value:
        raise ProcedureRefused(f"{name}: required")
    if len(value) > MAX_NOTE:
        raise ProcedureRefused(f"{name}: at most {MAX_NOTE} characters")
    return value


def _load(conn: Connection, docs: set[int]) -> dict[int, _Open]:
    d, p = schema.documents, schema.proceedings
    query = (
        select(d.c.id, d.c.status, d.c.assigned_to, d.c.category, d.c.amount_tiyn, d.c.recovered_tiyn, d.c.recovered_bp, d.c.weight,
               d.c.region, d.c.affinity, p.c.stage, p.c.suspensions)
        .outerjoin(p, (p.c.doc == d.c.id) & p.c.open)
        .where(d.c.id.in_(bindparam("values", expanding=True)))
    )
    return {
        r.id: _Open(
            r.status, r.assigned_to if r.status in ("assigned", "closed") else None,
            STAGES[r.stage] if r.stage else (Stage.CLOSED if r.status == "closed" else Stage.NONE),
            r.category != Category.NON_PROPERTY, r.amount_tiyn, r.recovered_tiyn, r.recovered_bp, r.weight, r.suspensions or 0,
            r.region, r.affinity,
        )
        for r in rows_in(conn, query, sorted(docs))
    }


class _Batch:
    """The state a batch of steps reads and changes, loaded once."""

    def __init__(self, conn: Connection, docs: set[int], closing: set[int]):
        self.conn = conn
        self.docs = _load(conn, docs)
        self.closing = closing
        self.round_open = conn.execute(select(schema.rounds.c.round).where(schema.rounds.c.status == "sealed")).scalar_one_or_none()
        self.draw_state: dict[str, list[int]] = {}  # licence -> [open, load]
        self.closed: set[int] = set()
        self._debtors: Debtors | None = None

    def affinity_ends(self, licence: str, doc: int) -> str | None:
        """As procedures.affinity_ends, for every closure of the batch from one lookup, not one per closure."""
        if self._debtors is None:
            self._debtors = Debtors.of(self.conn, [(d.holder, d.region, d.affinity) for n, d in self.docs.items() if d.holder and n in self.closing])
        this = self.docs[doc]
        return self._debtors.ends(licence, this.region, this.affinity, doc, self.closed)

    def bailiff_state(self, licence: str) -> list[int]:
        if licence not in self.draw_state:
            bd = schema.bailiff_draw
            row = self.conn.execute(select(bd.c.open_count, bd.c.load).where(bd.c.licence == licence)).one()
            self.draw_state[licence] = [row.open_count, row.load]
        return self.draw_state[licence]

    def event(self, at: str, actor: Actor, request: StepRequest, salt: bytes) -> Event:
        """The step's event, with the batch's state moved on; ProcedureRefused if it is not possible."""
        try:
            step = Step(request.step)
        except ValueError:
            raise ProcedureRefused(f"step: {request.step!r} is not one of {', '.join(s.value for s in Step)}") from None
        if actor.role != "bailiff":
            raise ProcedureRefused("actor: a proceeding's steps are recorded by the bailiff who holds it")
        doc = self.docs.get(request.doc)
        if doc is None:
            raise ProcedureRefused(f"doc: document {request.doc} is not registered")
        if doc.holder != actor.id:
            raise ProcedureRefused(f"doc: document {request.doc} is not an open proceeding of {actor.id}")
        refusal = step_refusal(step, doc.stage)
        if refusal:
            raise ProcedureRefused(refusal)
        public, private = self._details(step, request, doc, actor.id)
        doc.stage = TRANSITIONS[step][0]
        return ev.proceeding_step(at, actor, str(step), request.doc, public, private, salt)

    def _details(self, step: Step, request: StepRequest, doc: _Open, licence: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        if step is Step.ACKNOWLEDGED:
            return {}, None
        if step is Step.INITIATED:
            return {}, {"resolution": _text("reference", request.reference, True)}
        if step in (Step.SUSPENDED, Step.RESUMED):
            reason = _text("reason", request.reason, True)
            if step is Step.RESUMED:
                return {}, {"reason": reason}
            doc.suspensions += 1
            return {"suspension": doc.suspensions}, {"reason": reason}
        if step is Step.RECOVERED:
            return self._recovery(request, doc)
        return self._closure(request, doc, licence)

    @staticmethod
    def _recovery(request: StepRequest, doc: _Open) -> tuple[dict[str, Any], dict[str, Any]]:
        if not doc.has_amount:
            raise ProcedureRefused(f"doc: document {request.doc} is non-property: there is no amount to recover")
        amount = request.amount_tiyn
        outstanding = doc.amount_tiyn - doc.recovered_tiyn
        if type(amount) is not int or amount <= 0:
            raise ProcedureRefused("amount: a positive amount (in KZT, at most two decimals) is required")
        if amount > outstanding:
            raise ProcedureRefused(f"amount: {amount / 100:,.2f} KZT exceeds the outstanding {outstanding / 100:,.2f} KZT")
        doc.recovered_tiyn += amount
        doc.recovered_bp = recovered_bp(doc.recovered_tiyn, doc.amount_tiyn)
        return {"recovered_bp": doc.recovered_bp}, {"amount_tiyn": amount, "total_tiyn": doc.recovered_tiyn}

    def _closure(self, request: StepRequest, doc: _Open, licence: str) -> tuple[dict[str, Any], dict[str, Any]]:
        try:
            reason = ClosureReason(request.reason)
        except ValueError:
            raise ProcedureRefused(f"reason: {request.reason!r} is not one of {', '.join(r.value for r in ClosureReason)}") from None
        refusal = closure_refusal(reason, doc.recovered_bp, doc.has_amount)
        if refusal:
            raise ProcedureRefused(refusal)
        if self.round_open is not None:
            raise ProcedureRefused(f"round {self.round_open} is sealed and waits for its randomness; proceedings close once it is drawn")
        note = _text("note", request.note, False)
        state = self.bailiff_state(licence)
        state[0] -= 1
        state[1] -= doc.weight
        ended = self.affinity_ends(licence, request.doc)
        self.closed.add(request.doc)
        doc.recovered_bp = FULL_BP if reason is ClosureReason.RECOVERED else doc.recovered_bp
        public = {"reason": str(reason), "recovered_bp": doc.recovered_bp, "state": {"open": state[0], "load": state[1]}, "affinity_ended": ended}
        return public, {"note": note}


def record_steps(store: Store, ctx: Context, requests: Sequence[StepRequest], actors: Sequence[Actor] | None = None) -> list[StepOutcome]:
    """Record a batch of steps; `actors[i]` acts for item i (default: everything by ctx.actor)."""
    if actors is not None and len(actors) != len(requests):
        raise ValueError("one actor per request")
    outcomes: list[StepOutcome] = []
    accepted: list[tuple[int, Event]] = []
    with store.write() as writer:
        at, _ = writer.stamp(ctx)
        batch = _Batch(writer.conn, {r.doc for r in requests if isinstance(r.doc, int)}, {r.doc for r in requests if r.step == Step.CLOSED})
        for i, request in enumerate(requests):
            actor = ctx.actor if actors is None else actors[i]
            try:
                accepted.append((i, batch.event(at, actor, request, ctx.salt())))
            except ProcedureRefused as refused:
                outcomes.append(StepOutcome(i, request.doc, request.step, error=str(refused)))
        seqs = writer.append([event for _, event in accepted])
    outcomes += [StepOutcome(i, r.doc, r.step, seq) for (i, _), seq in zip(accepted, seqs, strict=True) for r in [requests[i]]]
    return sorted(outcomes, key=lambda o: o.item)


def record_step(store: Store, ctx: Context, request: StepRequest) -> int:
    """One step by ctx.actor; ProcedureRefused if it is not possible. Returns its log index."""
    (outcome,) = record_steps(store, ctx, [request])
    if outcome.error is not None:
        raise ProcedureRefused(outcome.error)
    assert outcome.seq is not None
    return outcome.seq


@dataclass(frozen=True)
class OverdueProceeding:
    doc: int
    licence: str
    region: str
    missed: list[str]
    acknowledge_by: dt.date
    initiate_by: dt.date


def overdue(store: Store, today: dt.date, region: str | None = None) -> list[OverdueProceeding]:
    """Open proceedings not acknowledged or not initiated in time on `today`: what the chamber follows up."""
    p = schema.proceedings
    query = (
        select(p.c.doc, p.c.licence, p.c.region, p.c.stage, p.c.acknowledge_by, p.c.initiate_by)
        .where(p.c.open, p.c.stage.in_(("assigned", "acknowledged")), (p.c.acknowledge_by < today) | (p.c.initiate_by < today))
        .order_by(p.c.region, p.c.licence, p.c.doc)
    )
    if region is not None:
        query = query.where(p.c.region == region)
    with store.read() as conn:
        found = [
            OverdueProceeding(r.doc, r.licence, r.region, overdue_steps(STAGES[r.stage], today, r.acknowledge_by, r.initiate_by), r.acknowledge_by, r.initiate_by)
            for r in conn.execute(query)
        ]
    return [o for o in found if o.missed]
