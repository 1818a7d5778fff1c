"""Drop the documents index on the debtor: no query looks documents up by debtor (the personal-data
joins go from a document to its debtor's row), and its random keys made it the costliest index to
keep on intake: about a third of SQLite's work per registered document.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_documents_debtor_idn", table_name="documents")


def downgrade() -> None:
    op.create_index("ix_documents_debtor_idn", "documents", ["debtor_idn"])
