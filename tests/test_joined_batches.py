"""On PostgreSQL a round's thousands of updates, and of inserts that keep existing rows, go to the
server as a COPY into a temporary table and one statement (projections._joined_to_copy). What they
leave must be what the same changes one by one leave: a row changed twice ends with its last values,
a key inserted twice keeps its first row, an existing row is kept. On SQLite the batch is the driver's
executemany, so both databases must agree row for row."""

from __future__ import annotations

import pytest
from factories import bailiff_row, document_row
from sqlalchemy import select

import casedraw.store.projections as projections
from casedraw.services.intake import submit_documents
from casedraw.services.registry import import_bailiffs
from casedraw.services.rounds import run_round
from casedraw.store import schema
from casedraw.store.projections import Batch, apply, inserts, updates


@pytest.fixture
def joined_from_one_row(monkeypatch):
    """Every batch of updates or inserts-or-keep through the temporary table, however small."""
    monkeypatch.setattr(projections, "JOINED_BATCH", 1)


def state(store) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    b = schema.bailiff_draw
    with store.read() as conn:
        return [tuple(r) for r in conn.execute(select(b.c.licence, b.c.region, b.c.vtime, b.c.open_count, b.c.load).order_by(b.c.licence))]


def test_repeated_keys_end_as_one_by_one_would_leave_them(store, joined_from_one_row):
    b = schema.bailiff_draw
    with store.write() as writer:
        apply(writer.conn, [inserts(b, [{"licence": "PB-1", "region": "KZ-75", "vtime": 1, "open_count": 1, "load": 1}])])
        apply(writer.conn, [
            # PB-1 exists: kept; PB-2 inserted twice: its first row
            inserts(b, [{"licence": "PB-1", "region": "KZ-11", "vtime": 9, "open_count": 9, "load": 9},
                        {"licence": "PB-2", "region": "KZ-75", "vtime": 2, "open_count": 2, "load": 2},
                        {"licence": "PB-2", "region": "KZ-11", "vtime": 7, "open_count": 7, "load": 7}], ignore_existing=True),
        ])
        apply(writer.conn, [
            # PB-1 changed twice in one batch: its last values; PB-3 does not exist: nothing
            updates(b, "licence", ("vtime", "open_count", "load"), [("PB-1", 10, 11, 12), ("PB-3", 5, 5, 5), ("PB-1", 20, 21, 22)]),
            Batch(("update", b, ("region",), ("licence",)), [{"k_licence": "PB-2", "v_region": "KZ-19"}]),  # dict rows too
        ])
    assert state(store) == [("PB-1", "KZ-75", 20, 21, 22), ("PB-2", "KZ-19", 2, 2, 2)]


def test_a_round_through_temporary_tables_equals_a_rebuild_one_by_one(store, ctx, joined_from_one_row, monkeypatch):
    import_bailiffs(store, list(enumerate([bailiff_row(n) for n in range(6)], start=2)), ctx)
    debtors = [document_row(n) for n in range(40)] + [document_row(n, debtor_idn=document_row(1)["debtor_idn"], doc_number=f"R-{n}")
                                                     for n in range(3)]  # one debtor thrice: affinity
    submit_documents(store, list(enumerate(debtors, start=2)), ctx)
    drawn = run_round(store, ctx)
    assert drawn is not None and drawn.assigned > 0
    live = store.projection_snapshot()
    assert live["affinity"] and any(row for row in live["documents"])
    monkeypatch.setattr(projections, "JOINED_BATCH", 10**9)  # the rebuild: every change one by one
    store.rebuild()
    assert store.projection_snapshot() == live
