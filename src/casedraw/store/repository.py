"""The store: appends events in one total order and keeps projections in step."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Protocol

from sqlalchemy import ARRAY, Connection, Engine, Row, Select, any_, bindparam, delete, func, select, update
from sqlalchemy.sql.elements import BinaryExpression, BindParameter
from sqlalchemy.sql.visitors import replacement_traverse

from casedraw.domain.model import Bailiff, LicenceStatus
from casedraw.domain.procedures import ProcedureConfig
from casedraw.domain.routing import RoutingConfig
from casedraw.draw.config import CONFIGURATIONS, DrawConfig
from casedraw.ledger.events import Event, Registered, kz_day
from casedraw.ledger.pseudonyms import actor_key, needs_pseudonyms, published
from casedraw.store import schema
from casedraw.store.db import database_url, make_engine, migrate, writer_lock
from casedraw.store.projections import Op, apply, execute_many, insert_ignoring_existing, project

_LOOKUP_CHUNK = 900  # stays below every backend's limit on bound parameters
AFFINITY_KEY = "affinity_key"


def hashchain_secret_name(chain: int) -> str:
    return f"hashchain/{chain}"


class NotInitialised(RuntimeError):
    """The database has no configuration yet: run `casedraw init`."""


class Stamping(Protocol):
    def stamp(self) -> tuple[str, dt.date]: ...


@dataclass
class Writer:
    """A write transaction holding the log lock: appends go to the end of the log."""

    conn: Connection
    size: int  # events in the log, including those appended in this transaction
    documents: int  # documents registered, ditto
    last_at: str = ""  # time of the log's last event
    actor_key: Callable[[], bytes] = field(kw_only=True, repr=False)  # K_actor, read when a claimant's event first needs it

    def stamp(self, ctx: Stamping) -> tuple[str, dt.date]:
        """The time for events appended now, and that day in Kazakhstan. Taken while holding the log
        lock and never before the last event's, so concurrent writers cannot make time go back."""
        at, today = ctx.stamp()
        if at < self.last_at:
            at = self.last_at
            today = kz_day(at)
        self.last_at = at
        return at, today

    def next_document_id(self) -> int:
        self.documents += 1
        return self.documents

    def append(self, events: Sequence[Event | Registered], ops: Iterable[Op] | None = None) -> range:
        """Append events and their projections; returns their log indexes. `ops`, when given, are the
        projections, made by the caller from the same parts as the events (intake, for speed, which
        alone appends Registered events and so always gives them).

        Events come with the real actor (services authorise by it); what is logged, and projected, names
        a claimant by its pseudonym (docs/ALGORITHM.md, 5.1), so live tables match a rebuild from the log."""
        if not events:
            return range(self.size, self.size)
        if needs_pseudonyms(events):  # every event enters the log here: the only place to replace the actor
            events = published(self.actor_key(), events)
        first = self.size
        rows = [(first + i, str(e.kind), e.at, e.body(), e.private_bytes()) for i, e in enumerate(events)]
        execute_many(self.conn, _INSERT_EVENTS, rows)
        apply(self.conn, (op for i, e in enumerate(events) for op in project(first + i, e)) if ops is None else ops)
        self.size += len(events)
        self.last_at = max(self.last_at, events[-1].at)
        return range(first, self.size)


_INSERT_EVENTS = ("insert", schema.events, ("seq", "kind", "at", "body", "private"), ())

# The statements every write transaction runs, built once. The first takes the log head's row lock.
_head = schema.log_head
_CLAIM_HEAD = update(_head).where(_head.c.id == 1).values(size=_head.c.size).returning(_head.c.size, _head.c.documents)
_AT_OF = select(schema.events.c.at).where(schema.events.c.seq == bindparam("seq"))
_SET_HEAD = update(_head).where(_head.c.id == 1).values(size=bindparam("size"), documents=bindparam("documents"))


class Store:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._writer_lock = writer_lock(engine.url.render_as_string(hide_password=False))
        self._intake_day: tuple[dt.date, tuple[RoutingConfig, DrawConfig, bytes]] | None = None
        self._actor_key: bytes | None = None

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        """Connect to the database (creating and migrating it as needed)."""
        engine = make_engine(database_url(url))
        migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def write(self) -> Iterator[Writer]:
        """A transaction that owns the end of the log until it commits."""
        with self._writer_lock, self.engine.begin() as conn:
            size, documents = conn.execute(_CLAIM_HEAD).one()
            last_at = conn.execute(_AT_OF, {"seq": size - 1}).scalar_one_or_none() if size else None
            writer = Writer(conn, size, documents, last_at or "", actor_key=partial(self._actor_key_in, conn))
            yield writer
            conn.execute(_SET_HEAD, {"size": writer.size, "documents": writer.documents})

    def _actor_key_in(self, conn: Connection) -> bytes:
        """K_actor (docs/ALGORITHM.md, 5.1), derived from the affinity key on first use: operator secrets never change."""
        if self._actor_key is None:
            self._actor_key = actor_key(self.secret(conn, AFFINITY_KEY))
        return self._actor_key

    @staticmethod
    def log_size(conn: Connection) -> int:
        """Events in the log, as committed."""
        return conn.execute(select(_head.c.size)).scalar_one()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    # --- queries -----------------------------------------------------------

    @staticmethod
    def config_in_force(conn: Connection, name: str, day: dt.date | None = None, version: int | None = None) -> tuple[int, object]:
        """(version, parsed value) of a configuration: the given version, the one in force on `day`, or the newest."""
        t = schema.config_versions
        query = select(t.c.version, t.c.value).where(t.c.name == name)
        if version is not None:
            query = query.where(t.c.version == version)
        elif day is not None:
            query = query.where(t.c.effective <= day)
        row = conn.execute(query.order_by(t.c.version.desc()).limit(1)).one_or_none()
        if row is None:
            raise NotInitialised(f"the database holds no {name} configuration in force yet: run `casedraw init` first")
        return row.version, _parsed_config(name, row.value)

    @staticmethod
    def routing_config(conn: Connection, day: dt.date | None = None) -> RoutingConfig:
        return Store.config_in_force(conn, "routing", day)[1]  # type: ignore[return-value]

    @staticmethod
    def draw_config(conn: Connection, version: int | None = None, day: dt.date | None = None) -> tuple[int, DrawConfig]:
        return Store.config_in_force(conn, "draw", day, version)  # type: ignore[return-value]

    def intake_settings(self, day: dt.date) -> tuple[RoutingConfig, DrawConfig, bytes]:
        """Routing and draw configuration in force on `day`, and the affinity key, read once a day.
        Safe to keep for the day: a new version takes effect from a later day than the one it is issued on."""
        if self._intake_day is None or self._intake_day[0] != day:
            with self.read() as conn:
                settings = (self.routing_config(conn, day), self.draw_config(conn, day=day)[1], self.secret(conn, AFFINITY_KEY))
            self._intake_day = (day, settings)
        return self._intake_day[1]

    @staticmethod
    def procedure_config(conn: Connection, day: dt.date) -> ProcedureConfig:
        return Store.config_in_force(conn, "procedures", day)[1]  # type: ignore[return-value]

    @staticmethod
    def config_versions(conn: Connection, name: str | None = None) -> list[Row]:
        t = schema.config_versions
        query = select(t.c.name, t.c.version, t.c.effective, t.c.value, t.c.seq).order_by(t.c.name, t.c.version)
        return list(conn.execute(query if name is None else query.where(t.c.name == name)))

    @staticmethod
    def current_anchor(conn: Connection) -> Row:
        """The newest hash-chain anchor with how far it has been revealed."""
        t = schema.beacon_anchors
        return conn.execute(select(t).order_by(t.c.chain.desc()).limit(1)).one()

    @staticmethod
    def secret(conn: Connection, name: str) -> bytes:
        t = schema.operator_secrets
        value = conn.execute(select(t.c.value).where(t.c.name == name)).scalar_one_or_none()
        if value is None:
            raise NotInitialised(f"operator secret {name!r} is missing: run `casedraw init`")
        return bytes(value)

    @staticmethod
    def config_version(conn: Connection, name: str) -> int:
        t = schema.config_versions
        return conn.execute(select(func.coalesce(func.max(t.c.version), 0)).where(t.c.name == name)).scalar_one()

    @staticmethod
    def bailiffs(conn: Connection) -> dict[str, Bailiff]:
        """The roster by licence. Every round seals and draws from it (1,500 rows in the demo), so rows
        are read as plain tuples, in Bailiff's field order."""
        t = schema.bailiffs
        query = select(t.c.licence, t.c.full_name, t.c.iin, t.c.region, t.c.district, t.c.status, t.c.chamber_head,
                       t.c.share_milli, t.c.specialisations, t.c.conflicts).order_by(t.c.licence)
        statuses = _STATUSES
        return {
            licence: Bailiff(licence, full_name, iin, region, district, statuses[status], chamber_head, share_milli,
                             _json_tuple(specialisations), _json_tuple(conflicts))
            for licence, full_name, iin, region, district, status, chamber_head, share_milli, specialisations, conflicts
            in conn.execute(query)
        }

    @staticmethod
    def documents_by_identity(conn: Connection, identities: Sequence[str]) -> dict[str, tuple[int, str]]:
        """Already registered documents among these identities: identity -> (id, channel)."""
        t = schema.documents
        query = select(t.c.identity, t.c.id, t.c.channel).where(t.c.identity.in_(bindparam("values", expanding=True)))
        return {row.identity: (row.id, row.channel) for row in rows_in(conn, query, identities)}

    @staticmethod
    def region_summary(conn: Connection) -> dict[str, dict[str, int]]:
        """Per region: active bailiffs, and documents and amounts (tiyn) by routing channel."""
        summary: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        b = schema.bailiffs
        for region, status, count in conn.execute(select(b.c.region, b.c.status, func.count()).group_by(b.c.region, b.c.status)):
            summary[region][f"bailiffs_{status}"] += count
        d = schema.documents
        query = select(d.c.region, d.c.channel, func.count(), func.coalesce(func.sum(d.c.amount_tiyn), 0)).group_by(d.c.region, d.c.channel)
        for region, channel, count, amount in conn.execute(query):
            summary[region][f"documents_{channel}"] += count
            summary[region][f"amount_{channel}"] += int(amount)
        return summary

    @staticmethod
    def region_loads(conn: Connection) -> dict[str, dict[str, float]]:
        """Per region: bailiffs drawn for, documents assigned and pending, and the spread of
        weighted load per unit of share (load / share), the quantity the draw keeps balanced."""
        out: dict[str, dict[str, float]] = {}
        b, bd = schema.bailiffs, schema.bailiff_draw
        rows = conn.execute(select(bd.c.region, bd.c.load, bd.c.open_count, b.c.share_milli, b.c.status).join(b, b.c.licence == bd.c.licence))
        for row in rows:
            r = out.setdefault(row.region, {"bailiffs": 0, "assigned": 0, "pending": 0, "min_load": float("inf"), "max_load": 0.0})
            r["assigned"] += row.open_count
            if row.status == "active":
                per_share = row.load * 1000 / row.share_milli
                r["bailiffs"] += 1
                r["min_load"] = min(r["min_load"], per_share)
                r["max_load"] = max(r["max_load"], per_share)
        d = schema.documents
        for region, count in conn.execute(select(d.c.region, func.count()).where(d.c.status == "pending").group_by(d.c.region)):
            out.setdefault(region, {"bailiffs": 0, "assigned": 0, "pending": 0, "min_load": 0.0, "max_load": 0.0})["pending"] = count
        return out

    @staticmethod
    def idempotent_response(conn: Connection, key: str) -> tuple[str, str] | None:
        """(request hash, response) stored for an idempotency key, if any."""
        t = schema.idempotency
        row = conn.execute(select(t.c.request_hash, t.c.response).where(t.c.key == key)).one_or_none()
        return None if row is None else (row.request_hash, row.response)

    @staticmethod
    def idempotent_responses(conn: Connection, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
        """idempotent_response for many keys at once: key -> (request hash, response), where stored."""
        t = schema.idempotency
        query = select(t.c.key, t.c.request_hash, t.c.response).where(t.c.key.in_(bindparam("values", expanding=True)))
        return {row.key: (row.request_hash, row.response) for row in rows_in(conn, query, keys)} if keys else {}

    def remember_response(self, key: str, request_hash: str, response: str, at: str) -> None:
        with self.engine.begin() as conn:
            self.remember_response_in(conn, key, request_hash, response, at)

    @staticmethod
    def remember_response_in(conn: Connection, key: str, request_hash: str, response: str, at: str) -> None:
        """The answer to an idempotency key, kept in the caller's transaction; the first one stays."""
        row = {"key": key, "request_hash": request_hash, "response": response, "created_at": at}
        conn.execute(insert_ignoring_existing(conn, schema.idempotency), [row])

    def events(self, start: int = 0, batch: int = 10_000) -> Iterator[tuple[int, Event]]:
        """Every event from `start` on, in log order, read in batches."""
        with self.read() as conn:
            for row in _stored_from(conn, start, batch):
                yield row.seq, Event.from_stored(row.body, row.private)

    def bodies(self, batch: int = 10_000) -> Iterator[bytes]:
        """Every event's stored public bytes in log order, as published (nothing decoded)."""
        with self.read() as conn:
            for row in _stored_from(conn, 0, batch):
                yield bytes(row.body)

    def rebuild(self) -> int:
        """Recreate every projection from the log; returns the number of events replayed."""
        with self.write() as writer:
            for table in reversed(schema.PROJECTIONS):
                writer.conn.execute(delete(table))
            replayed = 0
            for row in _stored_from(writer.conn, 0, 5_000):
                apply(writer.conn, project(row.seq, Event.from_stored(row.body, row.private)))
                replayed += 1
            writer.documents = writer.conn.execute(select(func.count()).select_from(schema.documents)).scalar_one()
            return replayed

    def projection_snapshot(self) -> dict[str, list[tuple[object, ...]]]:
        """Every projection table's rows in key order: equal snapshots mean equal state."""
        with self.read() as conn:
            return {
                table.name: [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns))]
                for table in schema.PROJECTIONS
            }


@lru_cache(maxsize=64)
def _parsed_config(name: str, text: str) -> object:
    """A stored configuration, parsed once: intake, every round and every procedure read one."""
    return CONFIGURATIONS[name](json.loads(text))


_STATUSES = {s.value: s for s in LicenceStatus}


@lru_cache(maxsize=4096)
def _json_tuple(text: str) -> tuple[str, ...]:
    """A stored JSON list as a tuple; most are "[]", and every round reads all 1,500 bailiffs."""
    return tuple(json.loads(text))


def rows_in(conn: Connection, query: Select, values: Iterable[object], **params: object) -> list[Row]:
    """Run a query whose expanding parameter `values` takes a long list, in chunks every backend accepts
    (with `params` for its other parameters).

    On PostgreSQL each chunk is planned for itself. psycopg prepares a statement once it has run five
    times, and the server may then keep one generic plan for it: made while a table was still small,
    that plan scans the whole table, and it stays while the table grows (intake's duplicate check went
    from 6 to 850 us per document over 40,000 documents, until an ANALYZE would have replanned it)."""
    ordered = sorted(set(values))  # type: ignore[type-var]
    if not ordered:
        return []
    if conn.dialect.name != "postgresql":
        return [row for start in range(0, len(ordered), _LOOKUP_CHUNK)
                for row in conn.execute(query, {**params, "values": ordered[start : start + _LOOKUP_CHUNK]})]
    # PostgreSQL takes the whole list as one array parameter: an IN list of hundreds of parameters
    # costs SQLAlchemy and psycopg more to render and the server more to parse than the lookup itself.
    conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
    rows = list(conn.execute(_as_any_array(query), {**params, "values": ordered}))
    conn.exec_driver_sql("SET LOCAL plan_cache_mode = DEFAULT")
    return rows


def _as_any_array(query: Select) -> Select:
    """The query with its `column IN (:values)` as `column = ANY(:values)`, :values one array."""
    def replace(element: object) -> object:
        if isinstance(element, BinaryExpression) and isinstance(element.right, BindParameter) and element.right.key == "values" \
                and element.right.expanding:
            return element.left == any_(bindparam("values", type_=ARRAY(element.left.type)))
        return None

    return replacement_traverse(query, {}, replace)


def keys_by_region(pairs: Iterable[tuple[str, str | None]]) -> dict[str, set[str]]:
    """{region: debtor affinity keys} of (region, key) pairs; every region present, with or without keys."""
    keys: dict[str, set[str]] = {}
    for region, key in pairs:
        found = keys.setdefault(region, set())
        if key:
            found.add(key)
    return keys


_AFFINITY_OF = select(schema.affinity.c.key, schema.affinity.c.licence).where(
    schema.affinity.c.region == bindparam("region"), schema.affinity.c.key.in_(bindparam("values", expanding=True)))


def affinity_of(conn: Connection, keys: Mapping[str, Iterable[str]]) -> dict[tuple[str, str], str]:
    """{(region, key): licence} of the affinity entries of these debtor keys, by region. Read by the
    table's primary key (region, key): by key alone, SQLite scans the whole table for each chunk."""
    return {(region, key): licence for region, region_keys in sorted(keys.items())
            for key, licence in rows_in(conn, _AFFINITY_OF, region_keys, region=region)}


def _stored_from(conn: Connection, start: int, batch: int) -> Iterator[Row]:
    t = schema.events
    position = start
    while True:
        rows = conn.execute(
            select(t.c.seq, t.c.body, t.c.private).where(t.c.seq >= position).order_by(t.c.seq).limit(batch)
        ).all()
        yield from rows
        if len(rows) < batch:
            return
        position = rows[-1].seq + 1
