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
