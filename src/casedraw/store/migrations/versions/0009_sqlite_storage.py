"""Fewer B-trees written per document (issue 9: national volume).

SQLite keeps a table in a B-tree keyed by a hidden rowid, and any other primary key in an index
beside it, so each row went in twice. Only a column declared exactly INTEGER becomes the rowid.
- `events.seq` and `documents.id` become INTEGER: the log index and the document id are the rowid.
- Tables keyed by text or by two columns and written per document (debtors, claimants, affinity,
  proceedings, document_moves, document_exclusions) become WITHOUT ROWID: stored in their key's B-tree.
- On both databases the documents' two status indexes, (region, status) and (status, channel),
  become one on (status, region, channel): every query of either names the status first or can,
  and each document changes status three times (registered, sealed, assigned), in every such index.

SQLite cannot change a table's key in place: those tables are copied into new ones, indexes kept.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import re

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ROWID_KEYS = {"events": "seq", "documents": "id"}
WITHOUT_ROWID = ("claimants", "debtors", "affinity", "proceedings", "document_moves", "document_exclusions")


def upgrade() -> None:
    op.drop_index("ix_documents_region_status", table_name="documents")
    op.drop_index("ix_documents_status_channel", table_name="documents")
    op.create_index("ix_documents_status_region_channel", "documents", ["status", "region", "channel"])
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, key in ROWID_KEYS.items():
        _rebuild(table, lambda sql, key=key: re.sub(rf"^(\s*{key}) BIGINT NOT NULL", r"\1 INTEGER NOT NULL", sql, count=1, flags=re.M))
    for table in WITHOUT_ROWID:
        _rebuild(table, lambda sql: sql.rstrip() + " WITHOUT ROWID")


def downgrade() -> None:
    op.drop_index("ix_documents_status_region_channel", table_name="documents")
    op.create_index("ix_documents_region_status", "documents", ["region", "status"])
    op.create_index("ix_documents_status_channel", "documents", ["status", "channel"])
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, key in ROWID_KEYS.items():
        _rebuild(table, lambda sql, key=key: re.sub(rf"^(\s*{key}) INTEGER NOT NULL", r"\1 BIGINT NOT NULL", sql, count=1, flags=re.M))
    for table in WITHOUT_ROWID:
        _rebuild(table, lambda sql: re.sub(r"\s*WITHOUT ROWID\s*$", "", sql))


def _rebuild(table: str, change) -> None:  # type: ignore[no-untyped-def]
    """Copy `table` into one created by `change`(its CREATE statement), keeping its rows and indexes."""
    conn = op.get_bind()
    create = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar_one()
    indexes = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,)).scalars().all()
    new_create = change(create)
    if new_create == create:
        raise RuntimeError(f"migration 0009: the table {table} does not have the shape this migration expects")
    conn.exec_driver_sql(re.sub(r'^CREATE TABLE "?\w+"?', f"CREATE TABLE {table}_0009", new_create, count=1))
    conn.exec_driver_sql(f"INSERT INTO {table}_0009 SELECT * FROM {table}")
    conn.exec_driver_sql(f"DROP TABLE {table}")
    conn.exec_driver_sql(f"ALTER TABLE {table}_0009 RENAME TO {table}")
    for sql in indexes:
        conn.exec_driver_sql(sql)
