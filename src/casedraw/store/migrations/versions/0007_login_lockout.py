"""Login lockout: an account counts wrong passwords and, after five in a row, refuses every login for a
while (docs/API.md, section 2).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as accounts:
        accounts.add_column(sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"))
        accounts.add_column(sa.Column("locked_until", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as accounts:
        accounts.drop_column("locked_until")
        accounts.drop_column("failed_logins")
