"""Projections: how each event changes the tables derived from the log.

`project` is pure: the same function serves live appends and `rebuild`, so the
tables can always be recreated from the log alone.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Dialect, LargeBinary, Table, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from casedraw.domain.identifiers import party_type_of
from casedraw.domain.model import document_identity
from casedraw.ledger import canonical
from casedraw.ledger.events import Event, EventKind
from casedraw.store import schema


# Operations live for one transaction and nobody changes them; not frozen, because a frozen
# dataclass takes three times as long to build, and intake builds three per document.
@dataclass(slots=True)
class Insert:
    table: Table
    row: dict[str, Any]
    ignore_existing: bool = False  # first fact wins (parties seen again)


@dataclass(slots=True)
class Update:
    table: Table
    key: dict[str, Any]
    values: dict[str, Any]


@dataclass(slots=True)
class Upsert:
    table: Table
    row: dict[str, Any]  # the primary key columns identify the row; the rest replace it


@dataclass(slots=True)
class Delete:
    table: Table
    key: dict[str, Any]


@dataclass(slots=True)
class Batch:
    """Rows of one shape, already as `execute_many` takes them: what a round's projection makes for its
    thousands of documents, without an operation per row for `apply` to sort into batches again."""

    shape: Shape
    rows: Rows


def updates(table: Table, key: str, values: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> Batch:
    """Updates of rows found by `key`: each row is (key value, *values in that order)."""
    return Batch(("update", table, values, (key,)), list(rows))


def inserts(table: Table, rows: list[dict[str, Any]], ignore_existing: bool = False) -> Batch:
    """Inserts of rows that all have the same columns (those of the first)."""
    return Batch(("insert_ignore" if ignore_existing else "insert", table, tuple(rows[0]) if rows else (), ()), rows)


Op = Insert | Update | Upsert | Delete | Batch


def _json_list(items: Iterable[str]) -> str:
    return canonical.encode(list(items)).decode()


def _config_set(seq: int, e: Event) -> list[Op]:
    d = e.data
    return [Insert(schema.config_versions, {
        "name": d["name"], "version": d["version"], "value": canonical.encode(d["value"]).decode(), "seq": seq,
        "effective": dt.date.fromisoformat(d["effective"]),
    })]


def _bailiff_registered(seq: int, e: Event) -> list[Op]:
    d, p = e.data, e.private["fields"]  # type: ignore[index]
    return [Insert(schema.bailiffs, {
        "licence": d["licence"], "full_name": p["full_name"], "iin": p["iin"], "region": d["region"],
        "district": d["district"], "status": d["status"], "chamber_head": d["chamber_head"],
        "share_milli": d["share_milli"], "specialisations": _json_list(d["specialisations"]),
        "conflicts": _json_list(p["conflicts"]), "self_suspended": False, "registered_seq": seq, "updated_seq": seq,
    })]


def _bailiff_changed(seq: int, e: Event) -> list[Op]:
    values: dict[str, Any] = {**e.data["changes"], **(e.private["fields"] if e.private else {})}
    for listed in ("specialisations", "conflicts"):
        if listed in values:
            values[listed] = _json_list(values[listed])
    if values.get("chamber_head") is False:
        values["self_suspended"] = False  # paragraph 17 ends with the office
    return [Update(schema.bailiffs, {"licence": e.data["licence"]}, {**values, "updated_seq": seq})]


def _document_registered(seq: int, e: Event) -> list[Op]:
    d, p = e.data, e.private["fields"]  # type: ignore[index]
    identity = document_identity(p["issuing_body"], p["number"], p["date"], p["debtor"]["idn"], p["claimant"]["idn"])
    return registration_ops(d, p, identity, d["doc"], seq, e.at)


def registration_ops(public: Mapping[str, Any], fields: Mapping[str, Any], identity: str, doc_id: int, seq: int, at: str) -> list[Op]:
    """The claimant and document rows of a registration, from the two halves of registration_parts."""
    claimant, document = registration_values(public, fields, identity)
    return [Insert(schema.claimants, dict(zip(CLAIMANT_COLUMNS, claimant, strict=True)), True),
            Insert(schema.documents, dict(zip(DOCUMENT_COLUMNS, (doc_id, seq, at, *document), strict=True)))]


# A registration's rows as tuples, in these columns' order: intake prepares them ahead of the log lock
# (a document's row lacks only its id, log index and time, the first three), and writes them as they are.
CLAIMANT_COLUMNS = ("idn", "type", "kind", "name")
DOCUMENT_COLUMNS = (
    "id", "seq", "registered_at", "identity", "claimant_idn", "claimant_kind", "debtor_idn", "debtor_name", "doc_kind", "issuing_body",
    "number", "doc_date", "basis", "region", "category", "amount_tiyn", "channel", "status", "external_ref", "band", "weight",
    "affinity", "recovered_bp", "recovered_tiyn",
)


def registration_values(public: Mapping[str, Any], fields: Mapping[str, Any], identity: str,
                        claimant_type: str | None = None) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The claimant's row, and the document's row but its first three columns (id, seq, registered_at),
    from the two halves of registration_parts; intake knows the claimant's type from parsing its number."""
    claimant, debtor = fields["claimant"], fields["debtor"]
    return (
        (claimant["idn"], claimant_type or str(party_type_of(claimant["idn"])), public["claimant_kind"], claimant["name"]),
        (identity, claimant["idn"], public["claimant_kind"], debtor["idn"], debtor["name"], public["doc_kind"], fields["issuing_body"],
         fields["number"], dt.date.fromisoformat(fields["date"]), public["basis"], public["region"], public["category"], fields["amount_tiyn"],
         public["channel"], "registered", fields["external_ref"], public["band"], public["weight"], public["affinity"], 0, 0),
    )


class Registrations:
    """The rows of many registrations, as two batches: what intake appends for a chunk of thousands.
    A claimant seen again keeps its first row, as an insert that leaves an existing row alone would."""

    def __init__(self) -> None:
        self.claimants: dict[str, tuple[Any, ...]] = {}
        self.documents: list[tuple[Any, ...]] = []

    def add(self, claimant: tuple[Any, ...], document: tuple[Any, ...], doc_id: int, seq: int, at: str) -> None:
        """registration_values' rows, the document's completed by its id, log index and time."""
        self.claimants.setdefault(claimant[0], claimant)
        self.documents.append((doc_id, seq, at, *document))

    def ops(self) -> list[Op]:
        return [Batch(("insert_ignore", schema.claimants, CLAIMANT_COLUMNS, ()), list(self.claimants.values())),
                Batch(("insert", schema.documents, DOCUMENT_COLUMNS, ()), self.documents)]


def _beacon_anchor(seq: int, e: Event) -> list[Op]:
    d = e.data
    return [Insert(schema.beacon_anchors, {"chain": d["chain"], "length": d["length"], "anchor": d["anchor"], "last_index": 0, "last_value": d["anchor"]})]


def _round_sealed(seq: int, e: Event) -> list[Op]:
    d = e.data
    beacon = d["beacon"]
    ops: list[Op] = [Insert(schema.rounds, {
        "round": d["round"], "status": "sealed", "day": dt.date.fromisoformat(d["day"]),
        "beacon_source": beacon["source"], "beacon_index": beacon["index"], "documents": len(d["documents"]),
        "sealed_seq": seq, "seed": None, "drawn_seq": None,
    })]
    ops.append(updates(schema.documents, "id", ("status", "round", "pending_reasons"), ((doc, "sealed", d["round"], None) for doc in d["documents"])))
    return ops


def _round_randomness(seq: int, e: Event) -> list[Op]:
    d = e.data
    if d["source"] != "hashchain":
        return []
    return [Update(schema.beacon_anchors, {"chain": int(d["proof"]["chain"])}, {"last_index": d["index"], "last_value": d["value"]})]


def _round_drawn(seq: int, e: Event) -> list[Op]:
    d = e.data
    ops: list[Op] = [Update(schema.rounds, {"round": d["round"]}, {"status": "drawn", "seed": d["seed"], "drawn_seq": seq})]
    acknowledge_by, initiate_by = (dt.date.fromisoformat(d["deadlines"][k]) for k in ("acknowledge", "initiate"))
    regions = sorted(d["regions"].items())
    # Each document appears once in a round: its rows go in batches of one shape for the whole round.
    ops.append(updates(schema.documents, "id", ("status", "assigned_to", "how"),
                       ((doc, "assigned", licence, how) for _, outcome in regions for doc, licence, how in outcome["assigned"])))
    ops.append(updates(schema.documents, "id", ("status", "pending_reasons"),
                       ((doc, "pending", canonical.encode(reasons).decode()) for _, outcome in regions for doc, reasons in outcome["pending"])))
    for region, outcome in regions:
        ops += [
            Upsert(schema.bailiff_draw, {"licence": lic, "region": region, "vtime": b["vtime"], "open_count": b["open"], "load": b["load"]})
            for lic, b in sorted(outcome["bailiffs"].items())
        ]
        ops.append(Upsert(schema.region_draw, {"region": region, "floor": outcome["floor"]}))
    ops.append(inserts(schema.affinity, [
        {"region": region, "key": key, "licence": lic} for region, outcome in regions for key, lic in outcome["affinity"]
    ], ignore_existing=True))
    ops.append(inserts(schema.proceedings, [
        {"doc": doc, "round": d["round"], "licence": licence, "region": region, "open": True, "stage": "assigned", "assigned_at": e.at,
         "acknowledge_by": acknowledge_by, "initiate_by": initiate_by, "suspensions": 0, "recovered_bp": 0}
        for region, outcome in regions for doc, licence, _ in outcome["assigned"]
    ]))
    return ops


def _chamber_member(seq: int, e: Event) -> list[Op]:
    d = e.data
    return [Upsert(schema.chamber_members, {"region": d["region"], "member": d["member"], "role": d["role"], "active": d["active"], "seq": seq})]


def _absence_recorded(seq: int, e: Event) -> list[Op]:
    d, p = e.data, e.private["fields"]  # type: ignore[index]
    return [Insert(schema.absences, {
        "id": d["absence"], "licence": d["licence"], "start": dt.date.fromisoformat(d["from"]), "end": dt.date.fromisoformat(d["to"]),
        "kind": p["kind"], "note": p["note"], "cancelled": False, "entered_by": f"{e.actor.role}:{e.actor.id}", "seq": seq,
    })]


def _absence_changed(seq: int, e: Event) -> list[Op]:
    d = e.data
    return [Update(schema.absences, {"id": d["absence"]}, {"start": dt.date.fromisoformat(d["from"]), "end": dt.date.fromisoformat(d["to"]), "seq": seq})]


def _absence_cancelled(seq: int, e: Event) -> list[Op]:
    return [Update(schema.absences, {"id": e.data["absence"]}, {"cancelled": True, "seq": seq})]


def _self_suspension(seq: int, e: Event) -> list[Op]:
    return [Update(schema.bailiffs, {"licence": e.data["licence"]}, {"self_suspended": e.data["suspended"], "updated_seq": seq})]


def _licence_event(seq: int, e: Event) -> list[Op]:
    d = e.data
    ops: list[Op] = [Update(schema.bailiffs, {"licence": d["licence"]}, {**d["changes"], "updated_seq": seq})]
    if d["action"] != "reinstated":  # debtors no longer follow a bailiff who left
        ops.append(_affinity_left(d["licence"]))
    return ops


def _released(seq: int, e: Event, docs: list[int], licence: str, cause: str, reason: str) -> list[Op]:
    """Documents back in the draw: waiting, never again to the bailiff they left; its proceedings end."""
    outcome = "replaced" if reason == "replaced" else "redistributed"
    return [
        *(Update(schema.documents, {"id": doc}, {"status": "released", "assigned_to": None, "how": None}) for doc in docs),
        *(_proceeding_ended(e, doc, outcome) for doc in docs),
        *(Insert(schema.document_moves, {"doc": doc, "seq": seq, "cause": cause, "licence": licence, "to_region": None}) for doc in docs),
        *(Insert(schema.document_exclusions, {"doc": doc, "licence": licence, "reason": reason}) for doc in docs),
    ]


def _proceeding_ended(e: Event, doc: int, outcome: str) -> Update:
    return Update(schema.proceedings, {"doc": doc, "open": True}, {"open": False, "stage": "moved", "ended_at": e.at, "outcome": outcome})


def _draw_state(licence: str, state: dict[str, int]) -> Update:
    return Update(schema.bailiff_draw, {"licence": licence}, {"vtime": state["vtime"], "open_count": state["open"], "load": state["load"]})


def _affinity_ended(licence: str, key: str | None) -> list[Op]:
    return [] if key is None else [Delete(schema.affinity, {"key": key, "licence": licence})]


def _affinity_left(licence: str) -> Batch:
    """Every affinity entry naming a bailiff who leaves the draw. An entry names a bailiff only while
    it holds an open proceeding with the entry's key (docs/ALGORITHM.md 10.3), so the entries are
    found by way of the keys of the documents drawn to it (the documents' (assigned_to, id, affinity)
    index), not by an index of the affinity table by licence, which cost every new debtor a second
    random place at national volume (migration 0012)."""
    return Batch(("delete_left", schema.affinity, (), ("licence",)), [(licence,)])


def _portfolio_released(seq: int, e: Event) -> list[Op]:
    d = e.data
    return [
        _affinity_left(d["licence"]),  # no open proceeding keeps a debtor with it; before its documents leave it
        *_released(seq, e, d["documents"], d["licence"], d["cause"], "redistributed"),
        _draw_state(d["licence"], d["state"]),
    ]


def _application_filed(seq: int, e: Event) -> list[Op]:
    d, p = e.data, e.private["fields"]  # type: ignore[index]
    return [Insert(schema.applications, {
        "id": d["application"], "doc": d["doc"], "licence": d["licence"], "region": d["region"], "grounds": d["grounds"],
        "statement": p["statement"], "references": _json_list(p["references"]), "deadline": dt.date.fromisoformat(d["deadline"]),
        "filed_at": e.at, "filed_seq": seq, "status": "review",
    })]


def _application_decided(seq: int, e: Event) -> list[Op]:
    d, p = e.data, e.private["fields"]  # type: ignore[index]
    ops: list[Op] = [Update(schema.applications, {"id": d["application"]}, {
        "status": d["decision"], "decided_at": e.at, "decided_by": e.actor.id, "reference": d["reference"],
        "reasons": p["reasons"], "decided_seq": seq,
    })]
    released = d["released"]
    if released is not None:
        ops += _released(seq, e, [d["doc"]], released["licence"], "replaced", "replaced")
        ops += [_draw_state(released["licence"], released["state"]), *_affinity_ended(released["licence"], released["affinity_ended"])]
    return ops


def _document_forwarded(seq: int, e: Event) -> list[Op]:
    d = e.data
    released = d["released"]
    ops: list[Op] = [
        Update(schema.documents, {"id": d["doc"]}, {
            "status": "forwarded", "region": d["to"], "basis": d["basis"], "affinity": d["affinity"], "assigned_to": None, "how": None,
        }),
        Insert(schema.document_moves, {
            "doc": d["doc"], "seq": seq, "cause": "territoriality", "licence": None if released is None else released["licence"], "to_region": d["to"],
        }),
        Delete(schema.document_exclusions, {"doc": d["doc"]}),  # they named bailiffs of the region it left
    ]
    if released is not None:
        ops += [
            _proceeding_ended(e, d["doc"], "forwarded"), _draw_state(released["licence"], released["state"]),
            *_affinity_ended(released["licence"], released["affinity_ended"]),
        ]
    return ops


def _open_proceeding(doc: int, values: dict[str, Any]) -> Update:
    return Update(schema.proceedings, {"doc": doc, "open": True}, values)


def _acknowledged(seq: int, e: Event) -> list[Op]:
    return [_open_proceeding(e.data["doc"], {"stage": "acknowledged", "acknowledged_at": e.at})]


def _initiated(seq: int, e: Event) -> list[Op]:
    return [_open_proceeding(e.data["doc"], {"stage": "initiated", "initiated_at": e.at, "resolution": e.private["fields"]["resolution"]})]  # type: ignore[index]


def _recovered(seq: int, e: Event) -> list[Op]:
    total = e.private["fields"]["total_tiyn"]  # type: ignore[index]
    return [Update(schema.documents, {"id": e.data["doc"]}, {"recovered_bp": e.data["recovered_bp"], "recovered_tiyn": total})]


def _suspended(seq: int, e: Event) -> list[Op]:
    return [_open_proceeding(e.data["doc"], {"stage": "suspended", "suspensions": e.data["suspension"]})]


def _resumed(seq: int, e: Event) -> list[Op]:
    return [_open_proceeding(e.data["doc"], {"stage": "initiated"})]


def _closed(seq: int, e: Event) -> list[Op]:
    d = e.data
    return [
        _open_proceeding(d["doc"], {
            "open": False, "stage": "closed", "ended_at": e.at, "outcome": d["reason"], "recovered_bp": d["recovered_bp"],
            "note": e.private["fields"]["note"],  # type: ignore[index]
        }),
        Update(schema.documents, {"id": d["doc"]}, {"status": "closed", "recovered_bp": d["recovered_bp"]}),
        Update(schema.bailiff_draw, {"licence": d["licence"]}, {"open_count": d["state"]["open"], "load": d["state"]["load"]}),
        *_affinity_ended(d["licence"], d["affinity_ended"]),
    ]


def _history_imported(seq: int, e: Event) -> list[Op]:
    d, private = e.data, e.private["fields"]["records"]  # type: ignore[index]
    return [
        Insert(schema.history, {
            "id": d["first"] + i, "source_ref": source_ref, "region": region, "claimant_kind": kind, "licence": licence,
            "lodged": dt.date.fromisoformat(lodged), "initiated": None if initiated is None else dt.date.fromisoformat(initiated),
            "closed": None if closed is None else dt.date.fromisoformat(closed), "outcome": outcome,
            "amount_tiyn": amount, "recovered_tiyn": recovered, "recovered_bp": bp, "seq": seq,
        })
        for i, ((region, kind, licence, lodged, initiated, closed, outcome, bp), (source_ref, amount, recovered))
        in enumerate(zip(d["records"], private, strict=True))
    ]


_PROJECTORS: dict[EventKind, Callable[[int, Event], list[Op]]] = {
    EventKind.CONFIG_SET: _config_set,
    EventKind.BAILIFF_REGISTERED: _bailiff_registered,
    EventKind.BAILIFF_CHANGED: _bailiff_changed,
    EventKind.DOCUMENT_REGISTERED: _document_registered,
    EventKind.BEACON_ANCHOR: _beacon_anchor,
    EventKind.ROUND_SEALED: _round_sealed,
    EventKind.ROUND_RANDOMNESS: _round_randomness,
    EventKind.ROUND_DRAWN: _round_drawn,
    EventKind.MEMBER_SET: _chamber_member,
    EventKind.ABSENCE_RECORDED: _absence_recorded,
    EventKind.ABSENCE_CHANGED: _absence_changed,
    EventKind.ABSENCE_CANCELLED: _absence_cancelled,
    EventKind.SELF_SUSPENSION: _self_suspension,
    EventKind.LICENCE_EVENT: _licence_event,
    EventKind.PORTFOLIO_RELEASED: _portfolio_released,
    EventKind.APPLICATION_FILED: _application_filed,
    EventKind.APPLICATION_DECIDED: _application_decided,
    EventKind.DOCUMENT_FORWARDED: _document_forwarded,
    EventKind.PROCEEDING_ACKNOWLEDGED: _acknowledged,
    EventKind.PROCEEDING_INITIATED: _initiated,
    EventKind.PROCEEDING_RECOVERED: _recovered,
    EventKind.PROCEEDING_SUSPENDED: _suspended,
    EventKind.PROCEEDING_RESUMED: _resumed,
    EventKind.PROCEEDING_CLOSED: _closed,
    EventKind.HISTORY_IMPORTED: _history_imported,
}


def project(seq: int, event: Event) -> list[Op]:
    return _PROJECTORS[event.kind](seq, event)


def apply(conn: Connection, ops: Iterable[Op]) -> None:
    """Execute operations with the effect of running them in order.

    Inserts and upserts are gathered per table (and upserts per column set),
    updates and deletes per table and shape, into one executemany each. A
    pending batch is flushed before any operation that could depend on it: an
    update or delete waits for pending inserts and upserts, an insert or
    upsert waits for pending updates and deletes, and a change of a row that
    already has a pending change of another shape waits for that one. An
    insert that leaves an existing row alone is dropped when an earlier one of
    this call already inserted that key (and nothing was updated or deleted
    since): intake inserts a bank's claimant row once per chunk, not per document.
    """
    inserts: dict[tuple[Table, bool], list[dict[str, Any]]] = {}
    ignored_keys: set[tuple[Table, tuple[Any, ...]]] = set()  # keys an insert-or-ignore of this call has covered
    updates: dict[tuple[Table, tuple[str, ...], tuple[str, ...]], list[dict[str, Any]]] = {}
    updated_rows: dict[tuple[Table, tuple[tuple[str, Any], ...]], tuple[str, ...]] = {}  # row -> shape of its pending update
    upserts: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}

    def flush_inserts() -> None:
        for (table, ignore_existing), rows in inserts.items():
            execute_many(conn, ("insert_ignore" if ignore_existing else "insert", table, tuple(rows[0]), ()), rows)
        inserts.clear()
        for (table, names), rows in upserts.items():
            execute_many(conn, ("upsert", table, names, ()), rows)
        upserts.clear()

    def flush_updates() -> None:
        for (table, keys, names), rows in updates.items():
            execute_many(conn, ("delete" if names == _DELETE else "update", table, names, keys), rows)
        updates.clear()
        updated_rows.clear()

    for op in ops:
        if isinstance(op, Insert):
            if op.ignore_existing:
                key = (op.table, tuple(op.row[name] for name in _primary_key(op.table)))
                if key in ignored_keys:
                    continue
                ignored_keys.add(key)
            if updates:
                flush_updates()
            inserts.setdefault((op.table, op.ignore_existing), []).append(op.row)
        elif isinstance(op, Update | Delete):  # a delete is batched like an update that removes the row
            ignored_keys.clear()  # it may remove a row those keys stand for
            flush_inserts()
            shape = (op.table, tuple(sorted(op.key)), tuple(sorted(op.values)) if isinstance(op, Update) else _DELETE)
            row = (op.table, tuple(sorted(op.key.items())))
            if updated_rows.setdefault(row, shape[2]) != shape[2]:
                flush_updates()  # batches of other shapes run later: this row's updates must keep their order
                updated_rows[row] = shape[2]
            values = op.values if isinstance(op, Update) else {}
            updates.setdefault(shape, []).append({**{f"k_{k}": v for k, v in op.key.items()}, **{f"v_{n}": v for n, v in values.items()}})
        elif isinstance(op, Upsert):  # batched like inserts: rows of one batch run in their order
            flush_updates()
            upserts.setdefault((op.table, tuple(op.row)), []).append(op.row)
        elif op.rows:  # a Batch runs after everything before it, and before anything after it
            flush_updates()
            flush_inserts()
            ignored_keys.clear()
            execute_many(conn, op.shape, op.rows)
    flush_updates()
    flush_inserts()


_DELETE = ("-delete-",)  # the shape of a delete among the updates


@lru_cache(maxsize=64)
def _primary_key(table: Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.primary_key.columns)

# What a batch does: (insert | insert_ignore | upsert | update | delete, table, column names, key names).
# Rows are dicts keyed by column name, and for updates and deletes by k_<key> and v_<column>; or tuples
# of the same values in the order _tuple_layout gives: an insert's columns; an update's keys, then columns.
Shape = tuple[str, Table, tuple[str, ...], tuple[str, ...]]
Rows = list[dict[str, Any]] | list[tuple[Any, ...]]


@lru_cache(maxsize=512)
def _tuple_layout(shape: Shape) -> tuple[str, ...]:
    """The names of a tuple row's values, in order, as a dict row would key them."""
    kind, _, names, keys = shape
    return names if kind in ("insert", "insert_ignore", "upsert") else tuple(f"k_{k}" for k in keys) + tuple(f"v_{n}" for n in names)


def execute_many(conn: Connection, shape: Shape, rows: Rows) -> None:
    """Run one batch as a single executemany of SQL compiled once per shape and database.

    Binding row by row, SQLAlchemy would cost more than the database itself on intake; here rows
    go to the driver as they are, after only the conversions SQLAlchemy makes for these columns
    (on SQLite: dates to text, booleans to integers), so the stored values are the same.
    On PostgreSQL (psycopg), inserts of more than one row are a COPY (_copy)."""
    as_tuples = isinstance(rows[0], tuple)
    sql, values, processors = _compiled(conn.dialect, shape, as_tuples)
    if shape[0] == "insert" and conn.dialect.driver == "psycopg" and len(rows) > 1:
        _copy(conn, shape, rows, dict(processors))
        return
    if shape[0] in ("update", "insert_ignore") and conn.dialect.driver == "psycopg" and len(rows) >= JOINED_BATCH:
        _joined_to_copy(conn, shape, rows, dict(processors))
        return
    params: list[Any]
    if values is None:  # parameters by name (psycopg)
        named = rows if not as_tuples else [dict(zip(_tuple_layout(shape), row, strict=True)) for row in rows]  # type: ignore[arg-type]
        params = named if not processors else [{**row, **{n: process(row[n]) for n, process in processors}} for row in named]
    elif not processors:
        params = rows if values is _AS_THEY_ARE else list(map(values, rows))
    else:
        params = list(_converted(map(values, rows), processors))
    conn.exec_driver_sql(sql, params)


def _converted(rows: Iterable[Sequence[Any]], conversions: Processors) -> Iterator[tuple[Any, ...]]:
    """Each row's values with SQLAlchemy's conversions applied at their positions."""
    for row in rows:
        values = list(row)
        for i, convert in conversions:
            values[i] = convert(values[i])
        yield tuple(values)


Processors = tuple[tuple[Any, Callable[[Any], Any]], ...]


def _copy(conn: Connection, shape: Shape, rows: Rows, converters: dict[str, Callable[[Any], Any]]) -> None:
    """PostgreSQL: insert rows with COPY, in the connection's transaction: a third of the time of a
    statement per row for the documents, events and proceedings (docs/PERFORMANCE.md)."""
    _, table, names, _ = shape
    _copy_rows(conn, _copy_sql(table.name, names), names, rows, converters)


def _copy_rows(conn: Connection, sql: str, names: tuple[str, ...], rows: Rows, converters: dict[str, Callable[[Any], Any]]) -> None:
    """Run the COPY `sql` of columns `names` with `rows` (tuples in that order, or dicts by name).

    COPY is the driver's, not a statement SQLAlchemy runs, so this does what SQLAlchemy does around
    one: it tells the listeners of cursor statements, and hands any driver error to SQLAlchemy's own
    handling, which names a lost connection or a full disk as store.db does for every statement and
    invalidates the connection."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        conn.dispatch.before_cursor_execute(conn, cursor, sql, rows, None, True)
        in_order = rows if isinstance(rows[0], tuple) else ([row[n] for n in names] for row in rows)  # type: ignore[index]
        conversions = tuple((names.index(n), convert) for n, convert in converters.items())
        with cursor.copy(sql) as copy:
            for values in _converted(in_order, conversions) if conversions else in_order:
                copy.write_row(values)
    except conn.dialect.loaded_dbapi.Error as error:
        conn._handle_dbapi_exception(error, sql, rows, cursor, None)
    finally:
        cursor.close()


JOINED_BATCH = 1_000  # from this many rows, updates or inserts that keep existing rows go through a temporary table
_batches = itertools.count()


def _joined_to_copy(conn: Connection, shape: Shape, rows: Rows, converters: dict[str, Callable[[Any], Any]]) -> None:
    """PostgreSQL: a round's thousands of updates (or of inserts that leave existing rows alone) as a
    COPY into a temporary table, then one statement that takes them from it: the server plans and runs
    one statement, not one per row (docs/PERFORMANCE.md). The rows come out as one by one would leave
    them: a row updated twice takes its last values, a key inserted twice its first. An update is
    made to find each row by its key: on a table of millions the planner could otherwise choose to
    read all of it for a hash or merge join."""
    kind, table, names, keys = shape
    layout = _tuple_layout(shape)
    tuples = rows if isinstance(rows[0], tuple) else [tuple(row[n] for n in layout) for row in rows]  # type: ignore[index]
    if kind == "update":
        unique = {row[: len(keys)]: row for row in tuples}  # the last of each key
    else:
        at = [layout.index(k) for k in _primary_key(table)]
        unique = {}
        for row in tuples:
            unique.setdefault(tuple(row[i] for i in at), row)  # the first of each key
    temp = f"casedraw_batch_{next(_batches)}"
    quote = postgresql.dialect().identifier_preparer.quote
    target = quote(table.name)
    columns = (*keys, *names) if kind == "update" else names
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS SELECT "
                         + ", ".join(f"{quote(c)} AS {quote(n)}" for c, n in zip(columns, layout, strict=True))
                         + f" FROM {target} WITH NO DATA")
    _copy_rows(conn, _copy_sql(temp, layout), layout, list(unique.values()), converters)
    if kind == "insert_ignore":
        listed = ", ".join(quote(n) for n in names)
        conn.exec_driver_sql(f"INSERT INTO {target} ({listed}) SELECT {listed} FROM {temp} ON CONFLICT DO NOTHING")
        return
    sets = ", ".join(f"{quote(n)} = s.{quote(f'v_{n}')}" for n in names)
    joined = " AND ".join(f"t.{quote(k)} = s.{quote(f'k_{k}')}" for k in keys)
    conn.exec_driver_sql("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")
    conn.exec_driver_sql(f"UPDATE {target} AS t SET {sets} FROM {temp} AS s WHERE {joined}")
    conn.exec_driver_sql("RESET enable_hashjoin; RESET enable_mergejoin")


def _copy_sql(table: str, names: tuple[str, ...]) -> str:
    quote = postgresql.dialect().identifier_preparer.quote
    return f"COPY {quote(table)} ({', '.join(quote(n) for n in names)}) FROM STDIN"


_AS_THEY_ARE = tuple  # tuple rows already in the statement's order: tuple(row) is the row itself


@lru_cache(maxsize=512)
def _compiled(dialect: Dialect, shape: Shape, as_tuples: bool = False) -> tuple[str, Callable[[Any], tuple[Any, ...]] | None, Processors]:
    """The SQL; for positional parameters (SQLite), what takes a row's values in their order (from a
    dict, or from a tuple in the shape's column order), else None; and SQLAlchemy's conversions of
    parameters (by position, else by name)."""
    kind, table, names, keys = shape
    statement: Any
    if kind == "insert":
        statement = insert(table)
    elif kind == "insert_ignore":
        statement = _insert(dialect, table).on_conflict_do_nothing()
    elif kind == "upsert":
        statement = _upsert_statement(dialect, table, names)
    else:
        where = [table.c[k] == bindparam(f"k_{k}") for k in keys]
        if kind == "delete_left":  # _affinity_left: the entries of a bailiff's documents' keys that name it
            d = schema.documents
            where.append(table.c.key.in_(select(d.c.affinity).where(d.c.assigned_to == bindparam("k_licence"))))
        statement = (table.delete().where(*where) if kind.startswith("delete")
                     else table.update().where(*where).values({n: bindparam(f"v_{n}") for n in names}))
    compiled = statement.compile(dialect=dialect, column_keys=list(names) if kind in ("insert", "insert_ignore", "upsert") else None)
    # What SQLAlchemy applies to each parameter as it binds it, but for wrapping bytes in the driver's
    # Binary, which sqlite3 and psycopg store exactly as the bytes themselves (SQLAlchemy's own comment).
    converters = {n: p for n, p in compiled._bind_processors.items() if not isinstance(compiled.binds[n].type, LargeBinary)}
    if not compiled.positional:
        return compiled.string, None, tuple(converters.items())
    order = tuple(compiled.positiontup or ())
    keys_in_order: tuple[Any, ...] = tuple(_tuple_layout(shape).index(n) for n in order) if as_tuples else order
    values: Callable[[Any], tuple[Any, ...]]
    if as_tuples and keys_in_order == tuple(range(len(order))):
        values = _AS_THEY_ARE
    elif len(order) > 1:
        values = itemgetter(*keys_in_order)
    else:  # itemgetter of one key gives no tuple
        values = lambda row: (row[keys_in_order[0]],)  # noqa: E731
    return compiled.string, values, tuple((order.index(n), process) for n, process in converters.items() if n in order)


def _upsert_statement(dialect: Dialect, table: Table, names: tuple[str, ...]):  # type: ignore[no-untyped-def]
    statement = _insert(dialect, table)
    keys = [c.name for c in table.primary_key.columns]
    excluded = statement.excluded
    return statement.on_conflict_do_update(index_elements=keys, set_={n: excluded[n] for n in names if n not in keys})


def insert_ignoring_existing(conn: Connection, table: Table):  # type: ignore[no-untyped-def]
    """INSERT that leaves an existing row with the same key as it is."""
    return _insert(conn.dialect, table).on_conflict_do_nothing()


def _insert(dialect: Dialect, table: Table):  # type: ignore[no-untyped-def]
    """The database's own INSERT, which has ON CONFLICT."""
    return (postgresql if dialect.name == "postgresql" else sqlite).insert(table)
