"""The affinity map laid out for national volume (issue 9).

The map was kept in its key's B-tree (region, key), with an index (licence, key) beside it to find a
bailiff's debtors, so each new entry went to two random places: two pages of their own written per
new debtor. Now the entries are kept in the order they are made (a rowid table on SQLite, the heap on
PostgreSQL) and the licence index holds only the licence, so one bailiff's entries follow each other
in that order: a round's new entries go to the end of each bailiff's range, a few pages that stay in
the cache. The unique key is the debtor key alone, an HMAC of region and debtor that no two regions
share: an ending names the key and the bailiff, not the region, and must find the entry by its key,
not among the bailiff's thousands. One random place per new entry instead of two.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _rebuild(("key",), keyed=False)
    op.create_index("ix_affinity_licence", "affinity", ["licence"])


def downgrade() -> None:
    _rebuild(("region", "key"), keyed=True)
    op.create_index("ix_affinity_licence_key", "affinity", ["licence", "key"])


def _rebuild(key: tuple[str, ...], keyed: bool) -> None:
    """A new affinity table with this primary key, stored in its key's B-tree on SQLite if `keyed`,
    holding the old one's entries. Copied on both databases: SQLite cannot change a table's key in place."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "affinity_0011",
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("licence", sa.String(32), nullable=False),
        # PostgreSQL names the key's index after the constraint, so it cannot take the old table's name yet.
        sa.PrimaryKeyConstraint(*key, name="affinity_0011_pkey" if postgresql else None),
        sqlite_with_rowid=not keyed,
    )
    op.execute('INSERT INTO affinity_0011 (region, "key", licence) SELECT region, "key", licence FROM affinity')
    op.drop_table("affinity")  # and its indexes
    op.rename_table("affinity_0011", "affinity")
    if postgresql:  # the constraint keeps the name it was made with
        op.execute("ALTER TABLE affinity RENAME CONSTRAINT affinity_0011_pkey TO affinity_pkey")
