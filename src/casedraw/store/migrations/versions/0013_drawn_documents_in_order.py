"""A bailiff's drawn documents indexed in the order they came, not by debtor (issue 9).

The documents' index (assigned_to, affinity) put each drawn document at a random place among its
bailiff's thousands: a page of its own written for nearly every document drawn, at national volume.
(assigned_to, id, affinity) keeps a bailiff's documents in the order of their ids, so a round's go to
the end of each bailiff's range, a few pages that stay in the cache. It still answers what the old
one did, reading a bailiff's range instead of one key in it: whether the bailiff holds another open
proceeding against a debtor (its entries carry the key), a bailiff's portfolio, and now in the order
the bailiff's pages list them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

DRAWN = sa.text("assigned_to IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_documents_assigned_to_affinity", table_name="documents")
    op.create_index("ix_documents_assigned_to_id_affinity", "documents", ["assigned_to", "id", "affinity"],
                    sqlite_where=DRAWN, postgresql_where=DRAWN)


def downgrade() -> None:
    op.drop_index("ix_documents_assigned_to_id_affinity", table_name="documents")
    op.create_index("ix_documents_assigned_to_affinity", "documents", ["assigned_to", "affinity"],
                    sqlite_where=DRAWN, postgresql_where=DRAWN)
