"""Receipts: what a claimant keeps to prove a document was registered, and how it was assigned.

A receipt carries the event's public body, its log index, an inclusion proof
(RFC 9162) to a signed checkpoint, and for a registration the private part
(salt and personal fields) that opens the body's commitment. Checking needs
only the receipt and the log's verifier key: no database, no network.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from casedraw.ledger import canonical
from casedraw.ledger.checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from casedraw.ledger.merkle import ProofError, inclusion_proof, leaf_hash, verify_inclusion

FORMAT = "casedraw-receipt/1"


class ReceiptInvalid(ValueError):
    """The receipt does not prove what it claims."""


@dataclass(frozen=True)
class ReceiptFacts:
    kind: str  # registration or assignment
    document: int
    index: int
    checkpoint: Checkpoint
    event: dict[str, Any]
    opened: dict[str, Any] | None  # the private fields, when the commitment was opened
    assigned_to: tuple[str, str] | None  # (licence, how) for an assignment receipt


def make_receipt(
    kind: str, document: int, index: int, body: bytes, leaf_hashes: Sequence[bytes], note: bytes, private: bytes | None,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "kind": kind,
        "document": document,
        "index": index,
        "body": body.decode("utf-8"),
        "proof": [h.hex() for h in inclusion_proof(leaf_hashes, index)],
        "checkpoint": note.decode("utf-8"),
        "private": None if private is None else private.decode("utf-8"),
    }


def check_receipt(receipt: dict[str, Any], verifier: NoteVerifier, origin: str | None = None) -> ReceiptFacts:
    """Verify a receipt offline; raise ReceiptInvalid naming the first thing that does not hold."""
    try:
        if receipt.get("format") != FORMAT:
            raise ReceiptInvalid(f"format: expected {FORMAT}, got {receipt.get('format')!r}")
        kind, document, index = receipt["kind"], receipt["document"], receipt["index"]
        body = receipt["body"].encode("utf-8")
        event = canonical.decode(body)
        checkpoint = open_checkpoint(verifier, receipt["checkpoint"].encode("utf-8"), origin=origin)
        proof = [bytes.fromhex(h) for h in receipt["proof"]]
    except ReceiptInvalid:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ReceiptInvalid(f"malformed receipt or checkpoint: {exc}") from None
    if not isinstance(event, dict) or not 0 <= index < checkpoint.size:
        raise ReceiptInvalid(f"index {index} is outside the checkpoint's {checkpoint.size} events")
    try:
        verify_inclusion(leaf_hash(body), index, checkpoint.size, proof, checkpoint.root)
    except ProofError as exc:
        raise ReceiptInvalid(f"the event is not in the signed log at index {index}: {exc}") from None

    data = event["data"]
    opened = None
    assigned_to = None
    if kind == "registration":
        if event["kind"] != "document.registered" or data["doc"] != document:
            raise ReceiptInvalid(f"the event is not the registration of document {document}")
        if receipt.get("private") is not None:
            private = receipt["private"].encode("utf-8")
            if hashlib.sha256(private).hexdigest() != data["commit"]:
                raise ReceiptInvalid("the private part does not open the commitment in the log")
            opened = json.loads(private)["fields"]
    elif kind == "assignment":
        if event["kind"] != "round.drawn":
            raise ReceiptInvalid("the event is not a round.drawn event")
        for region in data["regions"].values():
            for doc, licence, how in region["assigned"]:
                if doc == document:
                    assigned_to = (licence, how)
        if assigned_to is None:
            raise ReceiptInvalid(f"document {document} is not assigned in round {data['round']}")
    else:
        raise ReceiptInvalid(f"kind: {kind!r} is not registration or assignment")
    return ReceiptFacts(kind, document, index, checkpoint, event, opened, assigned_to)
