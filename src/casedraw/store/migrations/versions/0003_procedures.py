"""Procedures around the draw: configuration dates of effect, paragraph 17, absences, chamber members,
paragraph 12 applications, document moves and exclusions, pending reasons.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("config_versions") as batch:
        batch.add_column(sa.Column("effective", sa.Date, nullable=False, server_default="2026-03-02"))
    with op.batch_alter_table("bailiffs") as batch:
        batch.add_column(sa.Column("self_suspended", sa.Boolean, nullable=False, server_default=sa.false()))
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("pending_reasons", sa.Text))
    op.create_index("ix_documents_assigned_to", "documents", ["assigned_to"])
    with op.batch_alter_table("config_versions") as batch:
        batch.alter_column("effective", server_default=None)
    with op.batch_alter_table("bailiffs") as batch:
        batch.alter_column("self_suspended", server_default=None)
    op.create_table(
        "chamber_members",
        sa.Column("region", sa.String(8), primary_key=True),
        sa.Column("member", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), primary_key=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "absences",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("licence", sa.String(32), nullable=False),
        sa.Column("start", sa.Date, nullable=False),
        sa.Column("end", sa.Date, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False),
        sa.Column("entered_by", sa.String(80), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_absences_licence", "absences", ["licence"])
    op.create_table(
        "applications",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("doc", sa.BigInteger, nullable=False),
        sa.Column("licence", sa.String(32), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("grounds", sa.String(24), nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
        sa.Column("references", sa.Text, nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("filed_at", sa.String(32), nullable=False),
        sa.Column("filed_seq", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("decided_at", sa.String(32)),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("reference", sa.String(200)),
        sa.Column("reasons", sa.Text),
        sa.Column("decided_seq", sa.BigInteger),
    )
    op.create_index("ix_applications_doc", "applications", ["doc"])
    op.create_index("ix_applications_region", "applications", ["region"])
    op.create_table(
        "document_moves",
        sa.Column("doc", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("cause", sa.String(24), nullable=False),
        sa.Column("licence", sa.String(32)),
        sa.Column("to_region", sa.String(8)),
    )
    op.create_table(
        "document_exclusions",
        sa.Column("doc", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("licence", sa.String(32), primary_key=True),
        sa.Column("reason", sa.String(24), nullable=False),
    )


def downgrade() -> None:
    for table in ("document_exclusions", "document_moves", "applications", "absences", "chamber_members"):
        op.drop_table(table)
    op.drop_index("ix_documents_assigned_to", "documents")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("pending_reasons")
    with op.batch_alter_table("bailiffs") as batch:
        batch.drop_column("self_suspended")
    with op.batch_alter_table("config_versions") as batch:
        batch.drop_column("effective")
