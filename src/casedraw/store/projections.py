"""Projections: how each event changes the tables derived from the log.

`project` is pure: the same function serves live appends and `rebuild`, so the
tables can always be recreated from the log alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.dialects import postgresql, sqlite

from casedraw.domain.identifiers import party_type_of
from casedraw.domain.model import document_identity
from casedraw.ledger import canonical
from casedraw.ledger.events import Event, EventKind
from casedraw.store import schema


@dataclass(frozen=True, slots=True)
class Insert:
    table: Table
    row: dict[str, Any]
    ignore_existing: bool = False  # first fact wins (parties seen again)


@dataclass(frozen=True, slots=True)
class Update:
    table: Table
    key: dict[str, Any]
    values: dict[str, Any]


Op = Insert | Update


def _json_list(items: Iterable[str]) -> str:
    return canonical.encode(list(items)).decode()


def _config_set(seq: int, e: Event) -> list[Op]:
    return [Insert(schema.config_versions, {"name": e.data["name"], "version": e.data["version"], "value": canonical.encode(e.data["value"]).decode(), "seq": seq})]


def _bailiff_registered(seq: int, e: Event) -> list[Op]:
    d, p = e.data, e.private["fields"]  # type: ignore[index]
    return [Insert(schema.bailiffs, {
        "licence": d["licence"], "full_name": p["full_name"], "iin": p["iin"], "region": d["region"],
        "district": d["district"], "status": d["status"], "chamber_head": d["chamber_head"],
        "share_milli": d["share_milli"], "specialisations": _json_list(d["specialisations"]),
        "conflicts": _json_list(p["conflicts"]), "registered_seq": seq, "updated_seq": seq,
    })]


def _bailiff_changed(seq: int, e: Event) -> list[Op]:
    values: dict[str, Any] = {**e.data["changes"], **(e.private["fields"] if e.private else {})}
    for listed in ("specialisations", "conflicts"):
        if listed in values:
            values[listed] = _json_list(values[listed])
    return [Update(schema.bailiffs, {"licence": e.data["licence"]}, {**values, "updated_seq": seq})]


def _document_registered(seq: int, e: Event) -> list[Op]:
    d, p = e.data, e.private["fields"]  # type: ignore[index]
    claimant, debtor = p["claimant"], p["debtor"]
    return [
        Insert(schema.claimants, {"idn": claimant["idn"], "type": str(party_type_of(claimant["idn"])), "kind": d["claimant_kind"], "name": claimant["name"]}, True),
        Insert(schema.debtors, {"idn": debtor["idn"], "type": str(party_type_of(debtor["idn"])), "name": debtor["name"]}, True),
        Insert(schema.documents, {
            "id": d["doc"],
            "identity": document_identity(p["issuing_body"], p["number"], p["date"], debtor["idn"], claimant["idn"]),
            "seq": seq, "registered_at": e.at, "claimant_idn": claimant["idn"], "claimant_kind": d["claimant_kind"],
            "debtor_idn": debtor["idn"], "doc_kind": d["doc_kind"], "issuing_body": p["issuing_body"],
            "number": p["number"], "doc_date": dt.date.fromisoformat(p["date"]), "basis": d["basis"],
            "region": d["region"], "category": d["category"], "amount_tiyn": p["amount_tiyn"],
            "channel": d["channel"], "status": "registered", "external_ref": p["external_ref"],
        }),
    ]


_PROJECTORS: dict[EventKind, Callable[[int, Event], list[Op]]] = {
    EventKind.CONFIG_SET: _config_set,
    EventKind.BAILIFF_REGISTERED: _bailiff_registered,
    EventKind.BAILIFF_CHANGED: _bailiff_changed,
    EventKind.DOCUMENT_REGISTERED: _document_registered,
}


def project(seq: int, event: Event) -> list[Op]:
    return _PROJECTORS[event.kind](seq, event)


def apply(conn: Connection, ops: Iterable[Op]) -> None:
    """Execute operations with the effect of running them in order.

    Inserts are gathered per table into one executemany each; an update first
    flushes every pending insert, so it always sees the rows logged before it.
    """
    pending: dict[tuple[Table, bool], list[dict[str, Any]]] = {}

    def flush() -> None:
        for (table, ignore_existing), rows in pending.items():
            conn.execute(_insert_statement(conn, table, ignore_existing), rows)
        pending.clear()

    for op in ops:
        if isinstance(op, Insert):
            pending.setdefault((op.table, op.ignore_existing), []).append(op.row)
        else:
            flush()
            clause = [op.table.c[name] == value for name, value in op.key.items()]
            conn.execute(op.table.update().where(*clause).values(**op.values))
    flush()


def _insert_statement(conn: Connection, table: Table, ignore_existing: bool):  # type: ignore[no-untyped-def]
    return insert_ignoring_existing(conn, table) if ignore_existing else insert(table)


def insert_ignoring_existing(conn: Connection, table: Table):  # type: ignore[no-untyped-def]
    """INSERT that leaves an existing row with the same key as it is."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()
