"""Publishing from the store: exports, checkpoints and claimants' receipts."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import select

from casedraw.ledger.checkpoint import Checkpoint, NoteSigner, sign_checkpoint
from casedraw.ledger.merkle import TreeBuilder, consistency_proof, inclusion_proof, leaf_hash, root
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


class PublishedLog:
    """The log as a server publishes it: leaf hashes kept in memory and extended as the log grows,
    so a checkpoint costs O(log n) and a proof no re-reading of the log."""

    def __init__(self, store: Store, signer: NoteSigner, origin: str):
        self._store, self.signer, self.origin = store, signer, origin
        self._leaves: list[bytes] = []
        self._tree = TreeBuilder()
        self._roots: dict[int, bytes] = {0: self._tree.root()}
        self._notes: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def refresh(self) -> int:
        """Read what was appended since the last call; the log's size now."""
        with self._lock:
            t = schema.events
            with self._store.read() as conn:
                rows = conn.execute(select(t.c.body).where(t.c.seq >= len(self._leaves)).order_by(t.c.seq)).scalars().all()
            for body in rows:
                hashed = leaf_hash(bytes(body))
                self._leaves.append(hashed)
                self._tree.append(hashed)
            self._roots[len(self._leaves)] = self._tree.root()
            return len(self._leaves)

    def root(self, size: int) -> bytes:
        with self._lock:
            if size not in self._roots:
                self._roots[size] = root(self._leaves[:size])
            return self._roots[size]

    def checkpoint(self, size: int | None = None) -> tuple[Checkpoint, bytes]:
        """A signed checkpoint of the log at `size` (its current size by default)."""
        size = self.refresh() if size is None else size
        checkpoint = Checkpoint(self.origin, size, self.root(size))
        with self._lock:
            note = self._notes.get(size)
            if note is None:
                note = self._notes[size] = sign_checkpoint(self.signer, checkpoint)
        return checkpoint, note

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return inclusion_proof(self.leaves(size), index)

    def consistency(self, first: int, second: int) -> list[bytes]:
        return consistency_proof(self.leaves(second), first)

    def leaves(self, size: int) -> list[bytes]:
        """The first `size` leaf hashes."""
        with self._lock:
            return self._leaves[:size]


def issue_receipt(store: Store, document: int, kind: str, signer: NoteSigner, origin: str,
                  published: PublishedLog | None = None, *, with_private: bool = True) -> dict[str, Any]:
    """A receipt for a document's registration or assignment, proven against a fresh signed checkpoint.
    `with_private`: include what opens the registration's commitment (for the claimant only)."""
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
    if published is not None:
        checkpoint, note = published.checkpoint()
        hashes = published.leaves(checkpoint.size)
    else:
        hashes = leaf_hashes(store)
        note = sign_checkpoint(signer, Checkpoint(origin, len(hashes), root(hashes)))
    opens = with_private and kind == "registration" and stored.private is not None
    private = bytes(stored.private) if opens else None
    return make_receipt(kind, document, index, bytes(stored.body), hashes, note, private)
