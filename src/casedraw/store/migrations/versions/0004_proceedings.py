"""Proceedings after the draw (acknowledgement, initiation, recoveries, suspension, closure), the
documents' recovered shares, historical records for comparison, and the indexes for affinity's end.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("recovered_bp", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("recovered_tiyn", sa.BigInteger, nullable=False, server_default="0"))
    with op.batch_alter_table("documents") as batch:
        batch.alter_column("recovered_bp", server_default=None)
        batch.alter_column("recovered_tiyn", server_default=None)
    op.create_index("ix_affinity_licence_key", "affinity", ["licence", "key"])
    op.drop_index("ix_documents_assigned_to", "documents")
    op.create_index("ix_documents_assigned_to_affinity", "documents", ["assigned_to", "affinity"])
    op.create_table(
        "proceedings",
        sa.Column("doc", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("round", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("licence", sa.String(32), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("open", sa.Boolean, nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("assigned_at", sa.String(32), nullable=False),
        sa.Column("acknowledge_by", sa.Date, nullable=False),
        sa.Column("initiate_by", sa.Date, nullable=False),
        sa.Column("acknowledged_at", sa.String(32)),
        sa.Column("initiated_at", sa.String(32)),
        sa.Column("resolution", sa.String(200)),
        sa.Column("suspensions", sa.Integer, nullable=False),
        sa.Column("ended_at", sa.String(32)),
        sa.Column("outcome", sa.String(16)),
        sa.Column("recovered_bp", sa.Integer, nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_proceedings_licence", "proceedings", ["licence"])
    op.create_index("ix_proceedings_stage", "proceedings", ["stage"])
    op.create_table(
        "history",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("source_ref", sa.String(64), nullable=False, unique=True),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("claimant_kind", sa.String(24), nullable=False),
        sa.Column("licence", sa.String(32), nullable=False),
        sa.Column("lodged", sa.Date, nullable=False),
        sa.Column("initiated", sa.Date),
        sa.Column("closed", sa.Date),
        sa.Column("outcome", sa.String(16)),
        sa.Column("amount_tiyn", sa.BigInteger, nullable=False),
        sa.Column("recovered_tiyn", sa.BigInteger, nullable=False),
        sa.Column("recovered_bp", sa.Integer, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("history")
    op.drop_index("ix_proceedings_stage", "proceedings")
    op.drop_index("ix_proceedings_licence", "proceedings")
    op.drop_table("proceedings")
    op.drop_index("ix_documents_assigned_to_affinity", "documents")
    op.drop_index("ix_affinity_licence_key", "affinity")
    op.create_index("ix_documents_assigned_to", "documents", ["assigned_to"])
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("recovered_tiyn")
        batch.drop_column("recovered_bp")
