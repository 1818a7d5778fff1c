"""Publishing from the store: exports, checkpoints and claimants' receipts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from casedraw.ledger.checkpoint import Checkpoint, NoteSigner, sign_checkpoint
from casedraw.ledger.merkle import leaf_hash, root
from casedraw.ledger.publish import write_export
from casedraw.ledger.receipts import make_receipt
from casedraw.store import schema
from casedraw.store.repository import Store

RECEIPT_KINDS = ("registration", "assignment")


class NoSuchReceipt(ValueError):
    """The document does not exist, or has not reached the stage the receipt proves."""


def export_store(store: Store, out: Path, signer: NoteSigner, origin: str) -> Checkpoint:
    return write_export(store.bodies(), out, signer, origin)


def leaf_hashes(store: Store) -> list[bytes]:
    return [leaf_hash(body) for body in store.bodies()]


def issue_receipt(store: Store, document: int, kind: str, signer: NoteSigner, origin: str) -> dict[str, Any]:
    """A receipt for a document's registration or assignment, proven against a fresh signed checkpoint."""
    if kind not in RECEIPT_KINDS:
        raise NoSuchReceipt(f"--kind: {kind!r} is not one of {', '.join(RECEIPT_KINDS)}")
    d, r = schema.documents, schema.rounds
    with store.read() as conn:
        row = conn.execute(select(d.c.seq, d.c.status, d.c.round).where(d.c.id == document)).one_or_none()
        if row is None:
            raise NoSuchReceipt(f"document {document} is not registered")
        if kind == "registration":
            index = row.seq
        else:
            if row.status != "assigned":
                raise NoSuchReceipt(f"document {document} is {row.status}, not assigned yet")
            index = conn.execute(select(r.c.drawn_seq).where(r.c.round == row.round)).scalar_one()
        stored = conn.execute(select(schema.events.c.body, schema.events.c.private).where(schema.events.c.seq == index)).one()
    hashes = leaf_hashes(store)
    note = sign_checkpoint(signer, Checkpoint(origin, len(hashes), root(hashes)))
    private = bytes(stored.private) if kind == "registration" and stored.private is not None else None
    return make_receipt(kind, document, index, bytes(stored.body), hashes, note, private)
