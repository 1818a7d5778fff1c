"""Document intake: validate, deduplicate, route and register documents.

Rows are processed in chunks; each chunk is one transaction that holds the
log lock, so a document is registered completely or not at all, and the
identity check cannot race with another submission. The same document
(issuing body, number, date, debtor, claimant) is registered once: a second
submission gets the first record back and never creates a second draw.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import replace

from casedraw.domain.errors import FieldError
from casedraw.domain.model import Document, parse_document
from casedraw.domain.routing import Channel, route
from casedraw.io.tabular import SourceRow
from casedraw.ledger import canonical
from casedraw.ledger.events import Actor, Weighing, document_forwarded, document_registered
from casedraw.services import Context
from casedraw.services.reports import Report, RowOutcome
from casedraw.store.repository import Store

CHUNK = 5_000
INTAKE = Actor("system", "intake")  # who forwards a document lodged with the wrong chamber


class IdempotencyConflict(ValueError):
    """An idempotency key was reused for a different request."""


def submit_documents(
    store: Store,
    rows: Sequence[SourceRow],
    ctx: Context,
    *,
    idempotency_key: str | None = None,
    chunk_size: int = CHUNK,
    progress: Callable[[int], None] | None = None,
    actors: Sequence[Actor] | None = None,
) -> Report:
    """Register every valid row; report an outcome for each row.

    `actors`, when given, names who submits each row (the HTTP API commits many claimants'
    single submissions in one transaction); otherwise every row is the context's actor's."""
    request_hash = _request_hash(rows) if idempotency_key else ""
    if idempotency_key:
        with store.read() as conn:
            stored = store.idempotent_response(conn, idempotency_key)
        if stored is not None:
            if stored[0] != request_hash:
                raise IdempotencyConflict(f"idempotency_key: {idempotency_key!r} was already used for a different request")
            return Report([RowOutcome.from_json(o) for o in json.loads(stored[1])])

    report = Report()
    for start in range(0, len(rows), chunk_size):
        chunk = rows[start : start + chunk_size]
        report.outcomes += _submit_chunk(store, chunk, ctx, None if actors is None else actors[start : start + chunk_size])
        if progress:
            progress(len(chunk))

    if idempotency_key:
        response = json.dumps([o.to_json() for o in report.outcomes], ensure_ascii=False)
        store.remember_response(idempotency_key, request_hash, response, ctx.stamp()[0])
    return report


def _submit_chunk(store: Store, chunk: Sequence[SourceRow], ctx: Context, actors: Sequence[Actor] | None) -> list[RowOutcome]:
    _, today = ctx.stamp()  # parsing needs only the date; the log time is taken under the lock
    parsed: list[tuple[int, Document | list[FieldError]]] = [
        (number, parse_document(fields, today) if isinstance(fields, dict) else fields) for number, fields in chunk
    ]
    identities = {number: doc.identity() for number, doc in parsed if isinstance(doc, Document)}
    outcomes: list[RowOutcome] = []
    events = []
    with store.write() as writer:
        at, today = writer.stamp(ctx)
        config, draw_config, affinity_key = store.intake_settings(writer.conn, today)
        config.check_covers(today)
        known = store.documents_by_identity(writer.conn, list(identities.values()))
        for position, (number, doc) in enumerate(parsed):
            if not isinstance(doc, Document):
                outcomes.append(RowOutcome(number, "rejected", errors=tuple(doc)))
                continue
            identity = identities[number]
            if identity in known:
                doc_id, channel = known[identity]
                outcomes.append(RowOutcome(number, "duplicate", doc_id, channel))
                continue
            doc_id = writer.next_document_id()
            channel = route(doc.category, doc.amount_tiyn, today, config)
            band = draw_config.band(doc.amount_tiyn)
            weight = draw_config.weight(doc.category, band)
            lodged = doc.lodged_with or doc.region
            weighing = Weighing(band, weight, affinity_hash(affinity_key, lodged, doc.debtor.idn))
            actor = ctx.actor if actors is None else actors[position]
            registered = replace(doc, region=lodged) if doc.lodged_with else doc  # replace() costs as much as the event
            events.append(document_registered(at, actor, doc_id, registered, channel, weighing, ctx.salt()))
            if lodged != doc.region and channel == Channel.PRIVATE_BAILIFF:
                # Lodged with another region's chamber: forwarded "by territoriality" to where the basis points.
                key = affinity_hash(affinity_key, doc.region, doc.debtor.idn)
                events.append(document_forwarded(at, INTAKE, doc_id, lodged, doc.region, str(doc.basis), key, None, "lodged with another chamber", ctx.salt()))
            known[identity] = (doc_id, str(channel))
            outcomes.append(RowOutcome(number, "accepted", doc_id, str(channel)))
        writer.append(events)
    return outcomes


def affinity_hash(key: bytes, region: str, debtor_idn: str) -> str:
    """Links documents against one debtor in one region without revealing who the debtor is."""
    return hmac.new(key, f"{region}:{debtor_idn}".encode("ascii"), hashlib.sha256).hexdigest()[:32]


def _request_hash(rows: Sequence[SourceRow]) -> str:
    def plain(fields: dict[str, object] | list[FieldError]) -> object:
        if isinstance(fields, list):
            return [str(e) for e in fields]
        return {k: None if v is None else str(v) for k, v in fields.items()}

    return hashlib.sha256(canonical.encode([[n, plain(f)] for n, f in rows])).hexdigest()
