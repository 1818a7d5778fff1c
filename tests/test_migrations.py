"""The Alembic migrations build exactly the schema the code declares."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from casedraw.store.repository import Store
from casedraw.store.schema import metadata


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


def test_single_submission_answers_kept_the_old_way_are_rewritten(db_url):
    """Until migration 0008 a single submission's idempotent answer was the route's JSON answer."""
    import json
    from importlib import resources

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import insert, select

    from casedraw.store import schema
    from casedraw.store.db import make_engine

    engine = make_engine(db_url)
    config = Config()
    config.set_main_option("script_location", str(resources.files("casedraw.store").joinpath("migrations")))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0007")
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
