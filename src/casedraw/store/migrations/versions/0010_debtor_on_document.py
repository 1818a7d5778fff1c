"""The debtor's name on the document's row; no debtors table (issue 9: national volume).

Every registration inserted its debtor into a table keyed by the debtor's number, a random place in
a B-tree that outgrows any cache at national volume: about a tenth of intake's time at 666,000
documents, and a fifth of what it wrote. The name is only ever read with a document, so the document
now carries it as submitted. Existing documents take the name their debtor's row had.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A default only so that existing rows can take the column before they are filled.
    op.add_column("documents", sa.Column("debtor_name", sa.String(200), nullable=False, server_default=""))
    op.execute("UPDATE documents SET debtor_name = (SELECT name FROM debtors WHERE debtors.idn = documents.debtor_idn)")
    op.drop_table("debtors")


def downgrade() -> None:
    op.create_table(
        "debtors",
        sa.Column("idn", sa.String(12), primary_key=True),
        sa.Column("type", sa.String(8), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sqlite_with_rowid=False,
    )
    # The first document's name, as the debtors table kept the first fact; the type from the number's 5th digit.
    op.execute("""
        INSERT INTO debtors (idn, type, name)
        SELECT d.debtor_idn, CASE WHEN substr(d.debtor_idn, 5, 1) IN ('0', '1', '2', '3') THEN 'person' ELSE 'entity' END, d.debtor_name
        FROM documents d WHERE d.id = (SELECT min(id) FROM documents f WHERE f.debtor_idn = d.debtor_idn)""")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("debtor_name")
