"""A small world for the HTTP API tests: two regions' bailiffs, chamber members, documents drawn in a
round, an application under review, and a token for every role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from factories import BANK_BIN, bailiff_row, bin_, document_row
from sqlalchemy import func, select
from starlette.testclient import TestClient

from casedraw.api.app import create_app
from casedraw.ledger.events import Actor
from casedraw.services import KZ_TIME, Context
from casedraw.services import procedures as proc
from casedraw.services.access import Role, create_token
from casedraw.services.intake import submit_documents
from casedraw.services.registry import import_bailiffs
from casedraw.services.rounds import run_round
from casedraw.services.setup import initialise
from casedraw.store import schema
from casedraw.store.repository import Store

OTHER_BANK = bin_(3)
HEAD_75, HEAD_11 = "PB-00000", "PB-00010"
COMMISSION_75, STAFF_75 = "cm-75", "st-75"


def today() -> dt.date:
    return dt.datetime.now(KZ_TIME).date()


@dataclass
class World:
    store: Store
    client: TestClient
    tokens: dict[str, str]  # role (or "anonymous"/"other_claimant") -> bearer token
    bailiff: str  # the bailiff token's licence: holds at least two documents
    bailiff_docs: list[int]  # our bank's documents it holds (at least two)
    held_docs: list[int]  # every document it holds
    other_docs_75: list[int]  # assigned in KZ-75 to someone else
    claimant_docs: list[int]
    other_claimant_doc: int
    application: int

    def headers(self, role: str) -> dict[str, str]:
        token = self.tokens.get(role)
        return {} if token is None else {"Authorization": f"Bearer {token}"}


def _ctx(role: str, ident: str) -> Context:
    return Context(Actor(role, ident))


def populate(store: Store, documents: int = 16) -> dict[str, object]:
    """The world's data in a fresh store: everything of World but the client."""
    operator = _ctx("operator", "test")
    initialise(store, operator)
    rows = [bailiff_row(0, chamber_head="yes"), *(bailiff_row(n) for n in (1, 2, 3)),
            bailiff_row(10, region="KZ-11", chamber_head="yes", district="Astana, district 1"),
            bailiff_row(11, region="KZ-11", district="Astana, district 1")]
    import_bailiffs(store, list(enumerate(rows, start=2)), operator)
    ministry = _ctx("ministry", "mj-1")
    proc.set_member(store, ministry, "KZ-75", COMMISSION_75, "commission")
    proc.set_member(store, ministry, "KZ-75", STAFF_75, "staff")
    ours = [document_row(n) for n in range(documents)]
    theirs = [document_row(500, claimant_idn=OTHER_BANK, claimant_name="Other Bank")]
    submit_documents(store, list(enumerate(ours)), _ctx("claimant", BANK_BIN), actors=None)
    submit_documents(store, list(enumerate(theirs)), _ctx("claimant", OTHER_BANK))
    run_round(store, operator)
    d = schema.documents
    with store.read() as conn:
        # The bailiff token's holder: the one with most of our bank's documents (the draw decides who).
        held = conn.execute(select(d.c.assigned_to, func.count()).where(d.c.assigned_to != HEAD_75, d.c.claimant_idn == BANK_BIN)
                            .group_by(d.c.assigned_to).order_by(func.count().desc(), d.c.assigned_to)).first()
        bailiff = held[0]
        assigned = {r.id: r for r in conn.execute(select(d.c.id, d.c.assigned_to, d.c.claimant_idn).where(d.c.status == "assigned"))}
    bailiff_docs = sorted(i for i, r in assigned.items() if r.assigned_to == bailiff and r.claimant_idn == BANK_BIN)
    held_docs = sorted(i for i, r in assigned.items() if r.assigned_to == bailiff)
    other_docs = sorted(i for i, r in assigned.items() if r.assigned_to != bailiff and r.claimant_idn == BANK_BIN)
    claimant_docs = sorted(i for i, r in assigned.items() if r.claimant_idn == BANK_BIN)
    other_claimant_doc = next(i for i, r in assigned.items() if r.claimant_idn == OTHER_BANK)
    application = proc.file_application(store, _ctx("claimant", BANK_BIN), bailiff_docs[0], BANK_BIN, "inaction",
                                        "Nothing happened.", []).application
    tokens = {str(role): create_token(store, role, subject, "test", rate=10_000).token for role, subject in subjects(bailiff).items()}
    tokens["other_claimant"] = create_token(store, Role.CLAIMANT, OTHER_BANK, "test", rate=10_000).token
    return {"store": store, "tokens": tokens, "bailiff": bailiff, "bailiff_docs": bailiff_docs, "held_docs": held_docs,
            "other_docs_75": other_docs, "claimant_docs": claimant_docs, "other_claimant_doc": other_claimant_doc,
            "application": application}


def subjects(bailiff: str) -> dict[Role, str]:
    """Whom each role's token (or account) stands for in the world."""
    return {Role.CLAIMANT: BANK_BIN, Role.BAILIFF: bailiff, Role.CHAMBER_HEAD: HEAD_75, Role.CHAMBER: STAFF_75,
            Role.COMMISSION: COMMISSION_75, Role.MINISTRY: "mj-1", Role.AUDITOR: "au-1", Role.OPERATOR: "op-1"}


@contextmanager
def api_world(db_url: str, documents: int = 16) -> Iterator[World]:
    store = Store.open(db_url)
    try:
        data = populate(store, documents)
        with TestClient(create_app(store, anonymous_rate=10_000), raise_server_exceptions=False) as client:
            yield World(client=client, **data)  # type: ignore[arg-type]
    finally:
        store.close()
