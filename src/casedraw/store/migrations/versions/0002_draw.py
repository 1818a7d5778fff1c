"""The draw: document weights and assignments, rounds, draw state, beacon anchors, operator secrets.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("band", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("weight", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("affinity", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("round", sa.BigInteger))
        batch.add_column(sa.Column("assigned_to", sa.String(32)))
        batch.add_column(sa.Column("how", sa.String(8)))
    with op.batch_alter_table("documents") as batch:
        for column in ("band", "weight", "affinity"):
            batch.alter_column(column, server_default=None)
    op.create_index("ix_documents_status_channel", "documents", ["status", "channel"])
    op.create_table(
        "rounds",
        sa.Column("round", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("beacon_source", sa.String(24), nullable=False),
        sa.Column("beacon_index", sa.BigInteger, nullable=False),
        sa.Column("documents", sa.BigInteger, nullable=False),
        sa.Column("sealed_seq", sa.BigInteger, nullable=False),
        sa.Column("seed", sa.String(64)),
        sa.Column("drawn_seq", sa.BigInteger),
    )
    op.create_table(
        "bailiff_draw",
        sa.Column("licence", sa.String(32), primary_key=True),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("vtime", sa.BigInteger, nullable=False),
        sa.Column("open_count", sa.BigInteger, nullable=False),
        sa.Column("load", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_bailiff_draw_region", "bailiff_draw", ["region"])
    op.create_table(
        "region_draw",
        sa.Column("region", sa.String(8), primary_key=True),
        sa.Column("floor", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "affinity",
        sa.Column("region", sa.String(8), primary_key=True),
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("licence", sa.String(32), nullable=False),
    )
    op.create_table(
        "beacon_anchors",
        sa.Column("chain", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("length", sa.BigInteger, nullable=False),
        sa.Column("anchor", sa.String(64), nullable=False),
        sa.Column("last_index", sa.BigInteger, nullable=False),
        sa.Column("last_value", sa.String(64), nullable=False),
    )
    op.create_table(
        "operator_secrets",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    for table in ("operator_secrets", "beacon_anchors", "affinity", "region_draw", "bailiff_draw", "rounds"):
        op.drop_table(table)
    op.drop_index("ix_documents_status_channel", "documents")
    with op.batch_alter_table("documents") as batch:
        for column in ("how", "assigned_to", "round", "affinity", "weight", "band"):
            batch.drop_column(column)
