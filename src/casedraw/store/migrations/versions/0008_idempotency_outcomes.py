"""Idempotency answers in one form: the list of row outcomes intake keeps with a registration.

A single submission's answer was kept by the HTTP route as its JSON answer with the status
({"index", "status", "id", "channel", "errors", "http_status"}); the writer now keeps it in the
registering transaction as a bulk request's is kept, a list of outcomes ({"row", "status", "key",
"detail", "errors"}). Answers kept the old way are rewritten, so a client retrying with its key
still gets the same answer.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_idempotency = sa.table("idempotency", sa.column("key", sa.String), sa.column("response", sa.Text))


def upgrade() -> None:
    conn = op.get_bind()
    for key, response in conn.execute(sa.select(_idempotency.c.key, _idempotency.c.response)).all():
        answer = json.loads(response)
        if not isinstance(answer, dict):
            continue  # a list of outcomes already
        outcome = {"row": 0, "status": answer["status"], "key": answer["id"], "detail": answer["channel"] or "",
                   "errors": answer["errors"]}
        conn.execute(_idempotency.update().where(_idempotency.c.key == key).values(response=json.dumps([outcome], ensure_ascii=False)))


def downgrade() -> None:
    # Left as they are: a single submission's answer and a one-document bulk request's now look alike,
    # so the old form cannot be told back apart; an old server would answer such a retry with a 500.
    pass
