"""No statement of intake, rounds or the procedures around the draw reads a whole table that grows
with the documents: at national volume (millions of rows) one such statement per round or per
procedure makes the year quadratic. The national-year benchmark found two, both by the affinity
table's key read without its region; this asks SQLite's planner about every statement they run.

SQLite only: EXPLAIN QUERY PLAN shows the plan the query's shape allows. PostgreSQL's planner picks
a sequential scan of a small test table on costs, whatever indexes exist, so its plan here says
nothing about millions of rows."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

from conftest import acting, ministry
from factories import bailiff_row, document_row
from sqlalchemy import event

from casedraw.services.intake import submit_documents
from casedraw.services.procedures import (
    decide_application,
    file_application,
    licence_action,
    record_absence,
    set_member,
    set_self_suspension,
)
from casedraw.services.registry import import_bailiffs
from casedraw.services.rounds import run_round
from casedraw.services.setup import initialise
from casedraw.store.repository import Store

# Tables with a row (or more) per document or per event.
GROWING = {"events", "documents", "affinity", "proceedings", "document_moves", "document_exclusions"}
KZ = dt.timezone(dt.timedelta(hours=5))
# The documents status index finds those waiting for a round, a few days' worth. Searched for drawn
# documents it reads nearly the whole table, as a scan would: statuses a document keeps for good.
STATUS_INDEX = "ix_documents_status_region_channel"
SETTLED = {"assigned", "closed"}


def test_no_statement_of_the_draw_and_its_procedures_scans_a_growing_table(tmp_path, ctx, clock):
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    store = Store.open(url)
    initialise(store, ctx)
    rows = [bailiff_row(i, region="KZ-75", chamber_head="yes" if i == 0 else "no") for i in range(5)]
    import_bailiffs(store, list(enumerate(rows, start=2)), acting(ctx, "chamber", "registry"))
    licences = [str(r["licence"]) for r in rows]
    statements: dict[str, tuple[object, ...]] = {}

    def seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.setdefault(statement, tuple(parameters[0] if executemany else parameters))

    event.listen(store.engine, "before_cursor_execute", seen)
    claimant = acting(ctx, "claimant", "halyk-api")
    today = clock().astimezone(KZ).date()
    try:
        submit_documents(store, list(enumerate([document_row(n) for n in range(40)], start=2)), claimant)
        run_round(store, ctx)
        set_member(store, ministry(ctx), "KZ-75", "commission-kz-75", "commission")
        set_self_suspension(store, acting(ctx, "chamber_head", licences[0]), licences[0], True, "Chamber duties")
        record_absence(store, acting(ctx, "bailiff", licences[1]), licences[1], today, today + dt.timedelta(days=60), "illness")
        with store.read() as conn:
            doc, claimant_idn = conn.exec_driver_sql(
                "SELECT id, claimant_idn FROM documents WHERE assigned_to = ? ORDER BY id LIMIT 1", (licences[2],)).one()
        filed = file_application(store, acting(ctx, "claimant", claimant_idn), doc, claimant_idn, "inaction", "No action", ["Letter 1"])
        decide_application(store, acting(ctx, "commission", "commission-kz-75"), filed.application, "granted", "DC-1", "Inaction")
        licence_action(store, ministry(ctx), licences[3], "suspended", "MJ-1")
        clock.advance(days=1)
        submit_documents(store, list(enumerate([document_row(n) for n in range(40, 50)], start=2)), claimant)
        run_round(store, ctx)  # releases the long absence's portfolio first
        licence_action(store, ministry(ctx), licences[3], "reinstated", "MJ-2")
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
        store.close()

    scans = {}
    with sqlite3.connect(tmp_path / "plans.db") as db:
        for statement, parameters in statements.items():
            if not re.match(r"\s*(SELECT|UPDATE|DELETE|INSERT)", statement, re.I):
                continue
            plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + statement, parameters)]
            scanned = {m.group(1) for line in plan if (m := re.match(r"SCAN (\w+)", line))} & GROWING
            if any(STATUS_INDEX in line for line in plan) and SETTLED & {p for p in parameters if isinstance(p, str)}:
                scanned.add(f"documents by {STATUS_INDEX}")
            if scanned:
                scans[statement] = plan
    assert len(statements) > 40  # the statements were seen
    assert any(re.match(r'DELETE FROM affinity WHERE affinity\."key" = ', s) for s in statements)  # an affinity ended
    # a bailiff left the draw: its entries found by its documents' keys (the affinity table has no licence index)
    assert any(re.match(r'DELETE FROM affinity WHERE affinity\.licence = \? AND affinity\."key" IN \(SELECT', s) for s in statements)
    assert scans == {}
