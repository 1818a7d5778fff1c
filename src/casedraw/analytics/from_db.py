"""Facts from the operator's database: its projections of the log (store/schema.py)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from casedraw.analytics.facts import ApplicationFact, DocumentFact, Facts, HistoricalFact, ProceedingFact
from casedraw.store import schema
from casedraw.store.repository import Store

_STATES = {"pending": "pending", "assigned": "open", "closed": "closed"}  # every other status waits for a draw


def _date(value: object) -> str | None:
    return None if value is None else value.isoformat()  # type: ignore[attr-defined]


def facts_from_db(store: Store) -> Facts:
    d, p, a, h, e = schema.documents, schema.proceedings, schema.applications, schema.history, schema.events
    with store.read() as conn:
        as_of = conn.execute(select(e.c.at).order_by(e.c.seq.desc()).limit(1)).scalar_one_or_none() or ""
        first_drawn = dict(conn.execute(select(p.c.doc, func.min(p.c.assigned_at)).group_by(p.c.doc)).all())
        kinds: dict[int, str] = {}
        documents = []
        query = select(d.c.id, d.c.region, d.c.claimant_kind, d.c.category, d.c.registered_at, d.c.status, d.c.pending_reasons).where(d.c.channel == "pb")
        for r in conn.execute(query):
            kinds[r.id] = r.claimant_kind
            state = _STATES.get(r.status, "waiting")
            reasons = tuple(sorted(reason for reason, _ in json.loads(r.pending_reasons))) if state == "pending" and r.pending_reasons else ()
            documents.append(DocumentFact(r.id, r.region, r.claimant_kind, r.category, r.registered_at, first_drawn.get(r.id), state, reasons))
        proceedings = [
            ProceedingFact(
                r.doc, r.licence, r.region, kinds[r.doc], r.assigned_at, _date(r.acknowledge_by), _date(r.initiate_by),  # type: ignore[arg-type]
                r.acknowledged_at, r.initiated_at, r.suspensions, r.ended_at, r.outcome, r.recovered_bp if r.stage == "closed" else 0,
            )
            for r in conn.execute(select(p))
        ]
        applications = [
            ApplicationFact(
                r.id, r.doc, r.region, r.licence, kinds[r.doc], r.grounds, r.filed_at, _date(r.deadline),  # type: ignore[arg-type]
                r.decided_at, None if r.status == "review" else r.status,
            )
            for r in conn.execute(select(a))
        ]
        history = [
            HistoricalFact(str(r.id), r.region, r.claimant_kind, r.licence, _date(r.lodged), _date(r.initiated), _date(r.closed),  # type: ignore[arg-type]
                           r.outcome, r.recovered_bp)
            for r in conn.execute(select(h))
        ]
    return Facts(as_of, tuple(documents), tuple(proceedings), tuple(applications), tuple(history))
