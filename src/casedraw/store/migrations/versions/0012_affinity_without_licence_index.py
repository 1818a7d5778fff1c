"""The affinity map without its index by licence (issue 9).

Each new debtor's entry went to two places: its key's index, random, and the licence index, in the
order entries are made within each of 1,500 bailiffs. At national volume, without it, 100,000 more
documents took 17.8 s instead of 19.5 (docs/PERFORMANCE.md). It served one statement only: a
bailiff who leaves the draw loses its entries. An entry names a bailiff only while the bailiff holds
an open proceeding with its key (docs/ALGORITHM.md 10.3), so those entries are now found by the keys
of the documents drawn to it, through the documents' (assigned_to, affinity) index that closures
already use (projections._affinity_left).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_affinity_licence", table_name="affinity")


def downgrade() -> None:
    op.create_index("ix_affinity_licence", "affinity", ["licence"])
