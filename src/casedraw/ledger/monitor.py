"""Monitoring a published log: each new checkpoint must extend the last one seen.

A monitor keeps the last checkpoint it accepted (size and root). For a newer
checkpoint it fetches the consistency proof from that size and checks, with
RFC 9162, that the old tree is a prefix of the new one. A log that shrank,
two different roots for one size, or a proof that fails means history was
rewritten.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from casedraw.ledger.checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from casedraw.ledger.merkle import ProofError, verify_consistency

_MAX_BYTES = 1 << 20


class MonitorAlarm(Exception):
    """The log's history was rewritten (or the operator served something it cannot prove)."""


class SourceUnavailable(Exception):
    """The published files cannot be fetched right now."""


def fetch(source: str, path: str, timeout: float = 10.0) -> bytes:
    """A file of an export: from a directory, or over HTTP(S) from the same layout on a web server."""
    if source.startswith(("http://", "https://")):
        url = source.rstrip("/") + "/" + path
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (scheme checked above)
                return response.read(_MAX_BYTES + 1)[:_MAX_BYTES]
        except urllib.error.HTTPError as exc:
            raise SourceUnavailable(f"{url}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise SourceUnavailable(f"{url}: {exc}") from None
    file = Path(source) / path
    if not file.is_file():
        raise SourceUnavailable(f"{file}: missing")
    return file.read_bytes()


@dataclass(frozen=True)
class Seen:
    size: int
    root: bytes

    def to_json(self) -> str:
        return json.dumps({"size": self.size, "root": self.root.hex()})

    @classmethod
    def load(cls, path: Path) -> Seen | None:
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(int(data["size"]), bytes.fromhex(data["root"]))


def check_once(source: str, verifier: NoteVerifier, seen: Seen | None, origin: str | None = None) -> tuple[Checkpoint, str]:
    """Fetch the newest checkpoint and check it against the last one seen; returns it and what happened."""
    try:
        checkpoint = open_checkpoint(verifier, fetch(source, "checkpoint"), origin=origin)
    except ValueError as exc:
        raise MonitorAlarm(f"the checkpoint does not verify: {exc}") from None
    if seen is None:
        return checkpoint, f"first checkpoint: size {checkpoint.size}, root {checkpoint.root.hex()} (trusted on first use)"
    if checkpoint.size < seen.size:
        raise MonitorAlarm(f"the log shrank from {seen.size} to {checkpoint.size} events")
    if checkpoint.size == seen.size:
        if checkpoint.root != seen.root:
            raise MonitorAlarm(f"two different roots signed for size {seen.size}: {seen.root.hex()} and {checkpoint.root.hex()}")
        return checkpoint, f"unchanged at size {checkpoint.size}"
    try:
        proof = [bytes.fromhex(h) for h in json.loads(fetch(source, f"proofs/{seen.size}-{checkpoint.size}"))]
    except SourceUnavailable as exc:
        raise MonitorAlarm(f"no consistency proof from {seen.size} to {checkpoint.size} is published: {exc}") from None
    except (ValueError, TypeError) as exc:
        raise MonitorAlarm(f"the consistency proof from {seen.size} to {checkpoint.size} is malformed: {exc}") from None
    try:
        verify_consistency(seen.size, checkpoint.size, seen.root, checkpoint.root, proof)
    except ProofError as exc:
        raise MonitorAlarm(f"checkpoint {checkpoint.size} does not extend checkpoint {seen.size}: {exc}") from None
    return checkpoint, f"grew from {seen.size} to {checkpoint.size} events, consistent"
