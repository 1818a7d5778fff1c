"""The Alembic migrations build exactly the schema the code declares."""

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine

from casedraw.store.db import HEAD_REVISION, alembic_config, make_engine, schema_revision
from casedraw.store.repository import Store
from casedraw.store.schema import metadata


@contextmanager
def upgraded_to(db_url: str, revision: str, downgrade: bool = False) -> Iterator[tuple[Engine, Connection]]:
    """An engine on a database brought to `revision` (down to it, if `downgrade`), and the transaction
    that did it, for the test to add rows in."""
    engine = make_engine(db_url)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if downgrade else command.upgrade)(config, revision)
        yield engine, conn


def test_migrated_schema_matches_declared_tables(db_url):
    store = Store.open(db_url)
    try:
        with store.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), metadata)
        assert differences == []
    finally:
        store.close()


def test_migrating_twice_is_harmless(db_url):
    Store.open(db_url).close()
    Store.open(db_url).close()


def test_the_revision_opening_checks_is_alembics_head(db_url):
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [HEAD_REVISION]
    engine = make_engine(db_url)
    try:
        assert schema_revision(engine) is None  # a new database
        Store.open(db_url).close()
        assert schema_revision(engine) == HEAD_REVISION
    finally:
        engine.dispose()


def test_opening_a_database_at_the_head_leaves_alembic_unloaded(db_url):
    """Every command opens the database: at the newest revision it does not load Alembic and its scripts."""
    Store.open(db_url).close()
    script = ("import sys; from casedraw.store.repository import Store; Store.open(sys.argv[1]).close(); "
              "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'holidays')))")
    loaded = subprocess.run([sys.executable, "-c", script, db_url], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_single_submission_answers_kept_the_old_way_are_rewritten(db_url):
    """Until migration 0008 a single submission's idempotent answer was the route's JSON answer."""
    import json

    from sqlalchemy import insert, select

    from casedraw.store import schema

    with upgraded_to(db_url, "0007") as (engine, conn):
        old = {"index": 0, "status": "accepted", "id": 7, "channel": "pb", "errors": [], "http_status": 201}
        bulk = [{"row": 0, "status": "accepted", "key": 8, "detail": "pb", "errors": []}]
        conn.execute(insert(schema.idempotency), [
            {"key": "claimant:940140000385:one", "request_hash": "h1", "response": json.dumps(old), "created_at": "t"},
            {"key": "claimant:940140000385:bulk", "request_hash": "h2", "response": json.dumps(bulk), "created_at": "t"},
        ])
    engine.dispose()
    store = Store.open(db_url)  # migrates to the newest revision
    try:
        with store.read() as conn:
            answers = dict(conn.execute(select(schema.idempotency.c.key, schema.idempotency.c.response)).all())
        assert json.loads(answers["claimant:940140000385:one"]) == [{"row": 0, "status": "accepted", "key": 7, "detail": "pb", "errors": []}]
        assert json.loads(answers["claimant:940140000385:bulk"]) == bulk
    finally:
        store.close()


def test_tables_rebuilt_by_0009_to_0013_keep_every_row(db_url):
    """0009 copies SQLite's busiest tables into new ones (rowid keys, WITHOUT ROWID); 0010 moves the
    debtor's name onto the document; 0011 copies the affinity map into a table of its own layout,
    0012 drops its licence index; 0013 orders a bailiff's documents by id in their index. A
    database taken down to 0008 and up again keeps every row and index, equals a rebuild from its log,
    and takes new work."""
    from factories import bailiff_row, document_row
    from sqlalchemy import inspect

    from casedraw.ledger.events import Actor
    from casedraw.services import Context
    from casedraw.services.intake import submit_documents
    from casedraw.services.registry import import_bailiffs
    from casedraw.services.rounds import run_round
    from casedraw.services.setup import initialise

    old = Store.open(db_url)
    ctx = Context(Actor("operator", "test"))
    initialise(old, ctx)
    import_bailiffs(old, list(enumerate([bailiff_row(n) for n in range(6)], start=2)), ctx)
    submit_documents(old, list(enumerate([document_row(n) for n in range(30)], start=2)), ctx)
    assert run_round(old, ctx) is not None
    submit_documents(old, list(enumerate([document_row(n) for n in range(30, 40)], start=2)), ctx)
    before = old.projection_snapshot()
    assert before["affinity"]  # the round made entries for 0011 to copy
    events_before = list(old.events())
    with old.read() as conn:
        debtor_names = dict(conn.exec_driver_sql("SELECT debtor_idn, debtor_name FROM documents").all())
    old.close()
    with upgraded_to(db_url, "0008", downgrade=True) as (engine, conn):
        debtors = dict(conn.exec_driver_sql("SELECT idn, name FROM debtors").all())
        columns = {c["name"] for c in inspect(conn).get_columns("documents")}
    engine.dispose()
    assert debtors == debtor_names and "debtor_name" not in columns  # 0010 down: the debtors table as it was

    store = Store.open(db_url)
    try:
        assert store.projection_snapshot() == before
        assert list(store.events()) == events_before
        indexes = {ix["name"]: ix["column_names"] for ix in inspect(store.engine).get_indexes("documents")}
        assert {"ix_documents_status_region_channel", "ix_documents_claimant_idn"} <= set(indexes)
        assert not set(indexes) & {"ix_documents_region_status", "ix_documents_status_channel", "ix_documents_assigned_to_affinity"}
        assert indexes["ix_documents_assigned_to_id_affinity"] == ["assigned_to", "id", "affinity"]
        if store.engine.dialect.name == "sqlite":
            with store.read() as conn:
                tables = dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'").all())
                autoindexes = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE tbl_name IN ('events', 'documents', "
                                                   "'affinity', 'proceedings') AND name LIKE 'sqlite_autoindex_%'").scalars().all()
            assert tables["proceedings"].endswith("WITHOUT ROWID") and "debtors" not in tables
            assert "seq INTEGER NOT NULL" in tables["events"] and "id INTEGER NOT NULL" in tables["documents"]
            # 0011: the affinity entries in the order they are made, their key beside them
            assert not tables["affinity"].endswith("WITHOUT ROWID") and 'PRIMARY KEY ("key")' in tables["affinity"]
            assert sorted(autoindexes) == ["sqlite_autoindex_affinity_1", "sqlite_autoindex_documents_1"]  # identity's, affinity's key
        assert inspect(store.engine).get_indexes("affinity") == []  # 0012: no licence index
        assert run_round(store, ctx).documents == 10  # the waiting documents are found through the new index
        after = store.projection_snapshot()
        store.rebuild()
        assert store.projection_snapshot() == after
    finally:
        store.close()
