"""Lighter documents indexes for intake, where every new document enters each index once.

- The index on the debtor goes: no query looks documents up by debtor (the personal-data joins go
  from a document to its debtor's row), and its random keys made it the costliest index to keep on
  intake, about a third of SQLite's work per registered document.
- The index on (assigned_to, affinity) keeps only drawn documents. A new document has no bailiff,
  so it entered under its random affinity key, at a random place; every query of this index names
  a bailiff.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_DRAWN = sa.text("assigned_to IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_documents_debtor_idn", table_name="documents")
    op.drop_index("ix_documents_assigned_to_affinity", table_name="documents")
    op.create_index("ix_documents_assigned_to_affinity", "documents", ["assigned_to", "affinity"], sqlite_where=_DRAWN, postgresql_where=_DRAWN)


def downgrade() -> None:
    op.drop_index("ix_documents_assigned_to_affinity", table_name="documents")
    op.create_index("ix_documents_assigned_to_affinity", "documents", ["assigned_to", "affinity"])
    op.create_index("ix_documents_debtor_idn", "documents", ["debtor_idn"])
