"""Event log, log head, projections of the registry and of document intake.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("private", sa.LargeBinary),
    )
    log_head = op.create_table(
        "log_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("documents", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(log_head, [{"id": 1, "size": 0, "documents": 0}])
    op.create_table(
        "config_versions",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "bailiffs",
        sa.Column("licence", sa.String(32), primary_key=True),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("iin", sa.String(12), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("district", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("chamber_head", sa.Boolean, nullable=False),
        sa.Column("share_milli", sa.Integer, nullable=False),
        sa.Column("specialisations", sa.Text, nullable=False),
        sa.Column("conflicts", sa.Text, nullable=False),
        sa.Column("registered_seq", sa.BigInteger, nullable=False),
        sa.Column("updated_seq", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_bailiffs_region", "bailiffs", ["region"])
    op.create_table(
        "claimants",
        sa.Column("idn", sa.String(12), primary_key=True),
        sa.Column("type", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_table(
        "debtors",
        sa.Column("idn", sa.String(12), primary_key=True),
        sa.Column("type", sa.String(8), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("identity", sa.String(64), nullable=False, unique=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("registered_at", sa.String(32), nullable=False),
        sa.Column("claimant_idn", sa.String(12), nullable=False),
        sa.Column("claimant_kind", sa.String(24), nullable=False),
        sa.Column("debtor_idn", sa.String(12), nullable=False),
        sa.Column("doc_kind", sa.String(24), nullable=False),
        sa.Column("issuing_body", sa.String(200), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("doc_date", sa.Date, nullable=False),
        sa.Column("basis", sa.String(24), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("category", sa.String(24), nullable=False),
        sa.Column("amount_tiyn", sa.BigInteger, nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("external_ref", sa.String(64), nullable=False),
    )
    op.create_index("ix_documents_claimant_idn", "documents", ["claimant_idn"])
    op.create_index("ix_documents_debtor_idn", "documents", ["debtor_idn"])
    op.create_index("ix_documents_region_status", "documents", ["region", "status"])
    op.create_table(
        "idempotency",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    for table in ("idempotency", "documents", "debtors", "claimants", "bailiffs", "config_versions", "log_head", "events"):
        op.drop_table(table)
