"""Document intake: validate, deduplicate, route and register documents.

Rows are processed in chunks, in two steps. Preparing a chunk (parsing, identity, routing, weighing,
encoding the private part) needs no place in the log, so it is done before taking the log lock.
Registering a chunk is one transaction that holds the lock, so a document is registered completely
or not at all, and the identity check cannot race with another submission. A registrar in another
process (the HTTP API's) takes a chunk's parts as they are prepared, so it writes one part while
the next is prepared.
The same document (issuing body, number, date, debtor, claimant) is registered once: a second
submission gets the first record back and never creates a second draw.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from functools import lru_cache, partial
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Connection

from casedraw.domain.errors import FieldError
from casedraw.domain.model import Document, parse_document
from casedraw.domain.routing import Channel, RoutingConfig, route
from casedraw.draw.config import DrawConfig
from casedraw.io.tabular import SourceRow
from casedraw.ledger import canonical
from casedraw.ledger.events import Actor, Weighing, document_forwarded, document_registered_encoded, encode_fields, registration_parts
from casedraw.services import Context
from casedraw.services.reports import Report, RowOutcome
from casedraw.store.projections import Op, Registrations, project, registration_values
from casedraw.store.repository import Store, Writer

CHUNK = 5_000
PART = 1_000  # rows prepared and handed to a registrar at a time, within one chunk's transaction
INTAKE = Actor("system", "intake")  # who forwards a document lodged with the wrong chamber


class IdempotencyConflict(ValueError):
    """An idempotency key was reused for a different request."""


class DayChanged(RuntimeError):
    """The day turned between preparing a chunk and registering it: routing and weights may differ."""

    def __init__(self, day: dt.date):
        super().__init__(f"registration day is now {day.isoformat()}")
        self.day = day


class Prepared(NamedTuple):
    """A valid row made ready for registration: everything but its document id and place in the log."""

    row: int
    actor: tuple[str, str]  # role, id of who submits it
    public: dict[str, Any]  # registration_parts' public half
    fields: bytes  # the private half, encoded (and so cheap to hand to another process)
    claimant: tuple[Any, ...]  # registration_values: the claimant's row,
    document: tuple[Any, ...]  # and the document's but its id, log index and time
    forward: tuple[str, str, str, str] | None  # from, to, basis, affinity: lodged with another region's chamber

    @property
    def identity(self) -> str:
        """What a duplicate is found by (Document.identity): the document row's first value."""
        return self.document[0]


Item = Prepared | RowOutcome  # a row refused while preparing is already its outcome


def plain_items(items: Sequence[Item]) -> list[Any]:
    """Items as they cross to another process: a prepared row as the plain tuple of its fields, which
    pickles a third faster and unpickles three times faster than the named tuple (1,000 rows at a time)."""
    return [tuple(item) if isinstance(item, Prepared) else item for item in items]


def items_of(plain: Sequence[Any]) -> list[Item]:
    """plain_items undone."""
    return [Prepared._make(item) if type(item) is tuple else item for item in plain]
Parts = Iterable[Sequence[Item]]  # one chunk's prepared rows, in order, perhaps prepared as they are taken
Register = Callable[..., list[RowOutcome]]  # (day=, parts=, key=, item_keys=): as register_prepared, perhaps elsewhere
Settings = tuple[RoutingConfig, DrawConfig, bytes]  # Store.intake_settings: what preparing a row reads


class Preparer(Protocol):
    """Prepares a batch's parts elsewhere (services.preparing.PreparingProcess)."""

    def ahead(self, settings: Settings, day: dt.date, parts: Sequence[tuple[Sequence[SourceRow], Sequence[tuple[str, str]]]]) -> Ahead: ...


class Ahead(Protocol):
    day: dt.date

    def take(self, indices: Sequence[int]) -> list[list[Item]]: ...

    def close(self) -> None: ...


def submit_documents(
    store: Store,
    rows: Sequence[SourceRow],
    ctx: Context,
    *,
    idempotency_key: str | None = None,
    chunk_size: int = CHUNK,
    progress: Callable[[int], None] | None = None,
    actors: Sequence[Actor] | None = None,
    keys: Sequence[IdempotencyKey | None] | None = None,
    register: Register | None = None,
    preparer: Preparer | None = None,
) -> Report:
    """Register every valid row; report an outcome for each row.

    `actors`, when given, names who submits each row (the HTTP API commits many claimants'
    single submissions in one transaction); otherwise every row is the context's actor's. `keys`
    then gives each row's own idempotency key, if any, answered as `idempotency_key` answers a request.
    `register`, when given, registers each chunk from its parts, taking each as it is prepared (the
    HTTP API's intake process does); otherwise a chunk is prepared whole before the log lock is taken,
    on two cores if a `preparer` is given (its process prepares ahead while this one registers)."""
    key = (idempotency_key, _request_hash(rows)) if idempotency_key else None
    if key is not None:
        with store.read() as conn:
            stored = store.idempotent_response(conn, key[0])
        if stored is not None:
            return Report(answered(key, stored))

    # A request of one chunk keeps its answer in the transaction that registers it, under the log lock:
    # two requests with one key, even from two processes, cannot both register.
    answered_in_chunk = key if len(rows) <= chunk_size else None
    same_actor = (ctx.actor.role, ctx.actor.id)
    chunks = []
    for start in range(0, len(rows), chunk_size):
        chunk = rows[start : start + chunk_size]
        submitters = [same_actor] * len(chunk) if actors is None else [(a.role, a.id) for a in actors[start : start + chunk_size]]
        chunks.append((start, chunk, submitters))
    ahead = _Early(store, ctx, preparer, chunks) if preparer is not None and register is None and chunks else None
    report = Report()
    try:
        for n, (start, chunk, submitters) in enumerate(chunks):
            early = None if ahead is None else partial(ahead.chunk, n)
            report.outcomes += _submit_chunk(store, chunk, submitters, register, ctx, answered_in_chunk,
                                             None if keys is None else keys[start : start + chunk_size], early)
            if progress:
                progress(len(chunk))
    finally:
        if ahead is not None:
            ahead.close()

    if key is not None and answered_in_chunk is None:
        store.remember_response(key[0], key[1], _response(report.outcomes), ctx.stamp()[0])
    return report


class _Early:
    """A batch's chunks given to a preparer as parts, for the day of the batch's start."""

    def __init__(self, store: Store, ctx: Context, preparer: Preparer, chunks: Sequence[tuple[int, Sequence[SourceRow], list[tuple[str, str]]]]):
        parts: list[tuple[Sequence[SourceRow], Sequence[tuple[str, str]]]] = []
        self._indices = []
        for _, chunk, submitters in chunks:
            split = parts_of(chunk, submitters)
            self._indices.append(range(len(parts), len(parts) + len(split)))
            parts += split
        day = ctx.stamp()[1]
        self._ahead = preparer.ahead(store.intake_settings(day), day, parts)

    def chunk(self, n: int, day: dt.date) -> list[list[Item]] | None:
        """Chunk n's prepared parts, if they were prepared for `day` (midnight may have come since)."""
        return self._ahead.take(self._indices[n]) if self._ahead.day == day else None

    def close(self) -> None:
        self._ahead.close()


IdempotencyKey = tuple[str, str]  # the key, and the hash of the request it came with


def answered(key: IdempotencyKey, stored: tuple[str, str]) -> list[RowOutcome]:
    """The outcomes stored for an idempotency key, if it came with this request."""
    if stored[0] != key[1]:
        raise IdempotencyConflict(f"idempotency_key: {key[0]!r} was already used for a different request")
    return [RowOutcome.from_json(o) for o in json.loads(stored[1])]


def _response(outcomes: Sequence[RowOutcome]) -> str:
    return json.dumps([o.to_json() for o in outcomes], ensure_ascii=False)


def _submit_chunk(store: Store, chunk: Sequence[SourceRow], submitters: list[tuple[str, str]], register: Register | None,
                  ctx: Context, key: IdempotencyKey | None, item_keys: Sequence[IdempotencyKey | None] | None,
                  early: Callable[[dt.date], list[list[Item]] | None] | None = None) -> list[RowOutcome]:
    day = ctx.stamp()[1]
    while True:
        prepared = early(day) if early is not None else None  # prepared ahead for this day, or not
        parts = prepared if prepared is not None else prepared_parts(store, chunk, day, submitters)
        try:
            if register is None:  # registered here: prepared whole first, so the log lock is held only to write
                return register_prepared(store, day, list(parts), ctx, key, item_keys)
            return register(day=day, parts=parts, key=key, item_keys=item_keys)
        except DayChanged as turned:  # midnight came between: prepare again for the new day
            day = turned.day


def prepared_parts(store: Store, chunk: Sequence[SourceRow], day: dt.date, submitters: Sequence[tuple[str, str]]) -> Iterator[list[Item]]:
    """The chunk prepared PART rows at a time, each part when it is asked for."""
    for rows, part_submitters in parts_of(chunk, submitters):
        yield prepare(store, rows, day, part_submitters)


def parts_of(chunk: Sequence[SourceRow], submitters: Sequence[tuple[str, str]]) -> list[tuple[Sequence[SourceRow], Sequence[tuple[str, str]]]]:
    """A chunk's rows and their submitters, PART at a time: how a chunk is prepared and handed on."""
    return [(chunk[start : start + PART], submitters[start : start + PART]) for start in range(0, len(chunk), PART)]


def prepare(store: Store, chunk: Sequence[SourceRow], day: dt.date, submitters: Sequence[tuple[str, str]]) -> list[Item]:
    """Parse, identify, route and weigh each row as registered on `day`; submitters[i] (role, id) submits chunk[i]."""
    return prepare_with(store.intake_settings(day), chunk, day, submitters)


def prepare_with(settings: Settings, chunk: Sequence[SourceRow], day: dt.date, submitters: Sequence[tuple[str, str]]) -> list[Item]:
    """As `prepare`, from the store's intake settings for `day`: no database, so any process can run it."""
    config, draw_config, affinity_key = settings
    config.check_covers(day)
    items: list[Item] = []
    for (number, fields), submitter in zip(chunk, submitters, strict=True):
        doc = parse_document(fields, day) if isinstance(fields, dict) else fields
        if not isinstance(doc, Document):
            items.append(RowOutcome(number, "rejected", errors=tuple(doc)))
            continue
        channel = route(doc.category, doc.amount_tiyn, day, config)
        band = draw_config.band(doc.amount_tiyn)
        lodged = doc.lodged_with or doc.region
        weighing = Weighing(band, draw_config.weight(doc.category, band), affinity_hash(affinity_key, lodged, doc.debtor.idn))
        public, private = registration_parts(replace(doc, region=lodged) if doc.lodged_with else doc, channel, weighing)
        claimant, document = registration_values(public, private, doc.identity(), str(doc.claimant.type))
        forward = None
        if lodged != doc.region and channel == Channel.PRIVATE_BAILIFF:
            # Lodged with another region's chamber: forwarded "by territoriality" to where the basis points.
            forward = (lodged, doc.region, str(doc.basis), affinity_hash(affinity_key, doc.region, doc.debtor.idn))
        items.append(Prepared(number, submitter, public, encode_fields(private), claimant, document, forward))
    return items


def register_prepared(store: Store, day: dt.date, parts: Parts, ctx: Context, key: IdempotencyKey | None = None,
                      item_keys: Sequence[IdempotencyKey | None] | None = None) -> list[RowOutcome]:
    """Register a prepared chunk, part after part as `parts` yields them, in one transaction, in order;
    ctx gives the clock and the salts. A duplicate is found in earlier parts as in the database.

    Idempotency keys are looked up and answered in the same transaction, under the log lock, so two
    requests with one key register once even from two processes. `key` is the whole chunk's (a bulk
    request): the answer already given to it, or this one, kept. `item_keys` are single submissions'
    own, item by item: an item whose key has an answer gets it back (or, if the key came with another
    document, a refusal naming Idempotency-Key) and is not registered again."""
    with store.write() as writer:
        at, today = writer.stamp(ctx)
        if today != day:
            raise DayChanged(today)
        if key is not None and (stored := store.idempotent_response(writer.conn, key[0])) is not None:
            return answered(key, stored)
        outcomes: list[RowOutcome] = []
        for items in parts:
            keys = item_keys[len(outcomes) : len(outcomes) + len(items)] if item_keys is not None else None
            outcomes += _register_part(writer, store, at, items, keys, ctx)
        if key is not None:
            store.remember_response_in(writer.conn, key[0], key[1], _response(outcomes), at)
        return outcomes


def _register_part(writer: Writer, store: Store, at: str, items: Sequence[Item], item_keys: Sequence[IdempotencyKey | None] | None,
                   ctx: Context) -> list[RowOutcome]:
    answered_items = _answered_items(writer.conn, store, items, item_keys) if item_keys is not None else {}
    fresh = _register_into(writer, store, at, [item for i, item in enumerate(items) if i not in answered_items], ctx)
    outcomes, registered = [], iter(fresh)
    for i in range(len(items)):
        outcome = answered_items[i] if i in answered_items else next(registered)
        item_key = item_keys[i] if item_keys is not None else None
        if item_key is not None and i not in answered_items and outcome.status != "rejected":
            store.remember_response_in(writer.conn, item_key[0], item_key[1], _response([outcome]), at)
        outcomes.append(outcome)
    return outcomes


def _answered_items(conn: Connection, store: Store, items: Sequence[Item], item_keys: Sequence[IdempotencyKey | None]) -> dict[int, RowOutcome]:
    """Items whose own idempotency key already has an answer: that answer, or a refusal for another document."""
    stored = store.idempotent_responses(conn, [k[0] for k in item_keys if k is not None])
    found: dict[int, RowOutcome] = {}
    for i, (item, item_key) in enumerate(zip(items, item_keys, strict=True)):
        if item_key is None or item_key[0] not in stored:
            continue
        try:
            found[i] = replace(answered(item_key, stored[item_key[0]])[0], row=item.row)
        except IdempotencyConflict:
            found[i] = RowOutcome(item.row, "rejected", errors=(FieldError("Idempotency-Key", "already used for a different request"),))
    return found


def _register_into(writer: Writer, store: Store, at: str, items: Sequence[Item], ctx: Context) -> list[RowOutcome]:
    known = store.documents_by_identity(writer.conn, [item.identity for item in items if isinstance(item, Prepared)])
    outcomes: list[RowOutcome] = []
    events = []
    registrations = Registrations()
    forwarded_ops: list[Op] = []  # after the documents' rows, which they change
    actors: dict[tuple[str, str], Actor] = {}
    for item in items:
        if not isinstance(item, Prepared):
            outcomes.append(item)
            continue
        channel = item.public["channel"]
        if item.identity in known:
            doc_id, channel = known[item.identity]
            outcomes.append(RowOutcome(item.row, "duplicate", doc_id, channel))
            continue
        doc_id = writer.next_document_id()
        actor = actors.get(item.actor) or actors.setdefault(item.actor, Actor(*item.actor))
        registrations.add(item.claimant, item.document, doc_id, writer.size + len(events), at)
        events.append(document_registered_encoded(at, actor, doc_id, item.public, item.fields, ctx.salt()))
        if item.forward is not None:
            origin, target, basis, key = item.forward
            forwarded = document_forwarded(at, INTAKE, doc_id, origin, target, basis, key, None, "lodged with another chamber", ctx.salt())
            forwarded_ops += project(writer.size + len(events), forwarded)
            events.append(forwarded)
        known[item.identity] = (doc_id, channel)
        outcomes.append(RowOutcome(item.row, "accepted", doc_id, channel))
    writer.append(events, registrations.ops() + forwarded_ops)
    return outcomes


def affinity_hash(key: bytes, region: str, debtor_idn: str) -> str:
    """Links documents against one debtor in one region without revealing who the debtor is."""
    keyed = _keyed_hmac(key).copy()
    keyed.update(f"{region}:{debtor_idn}".encode("ascii"))
    return keyed.hexdigest()[:32]


@lru_cache(maxsize=4)
def _keyed_hmac(key: bytes) -> hmac.HMAC:
    """HMAC-SHA256 with the key already absorbed: a copy costs a third of keying afresh (OpenSSL 3)."""
    return hmac.new(key, digestmod=hashlib.sha256)


def _request_hash(rows: Sequence[SourceRow]) -> str:
    def plain(fields: dict[str, object] | list[FieldError]) -> object:
        if isinstance(fields, list):
            return [str(e) for e in fields]
        return {k: None if v is None else str(v) for k, v in fields.items()}

    return hashlib.sha256(canonical.encode([[n, plain(f)] for n, f in rows])).hexdigest()
