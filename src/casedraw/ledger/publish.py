"""Publishing the public log and verifying a published copy.

An export directory holds what any static web server can serve:

    log.jsonl            one event body per line, exactly the canonical bytes, line i = log index i
    checkpoint           the newest signed checkpoint (C2SP signed note)
    checkpoints/N        every checkpoint published, by tree size
    proofs/M-N           consistency proof (JSON list of hex hashes) from each earlier checkpoint M to N
    log.vkey             the log's verifier key (also published out of band: trust that one)

JSON Lines rather than tlog-tiles: a verifier must replay every event anyway
(the draw is recomputed from the first event), so one sequential file is the
simplest complete format; tiles can be added for serving proofs at scale.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from casedraw.ledger.checkpoint import Checkpoint, NoteError, NoteSigner, NoteVerifier, open_checkpoint, sign_checkpoint
from casedraw.ledger.merkle import TreeBuilder, consistency_proof, leaf_hash
from casedraw.ledger.replay import Discrepancy, Replayer, Summary

LOG_FILE = "log.jsonl"
CHECKPOINT_FILE = "checkpoint"
HISTORY_DIR = "checkpoints"
VKEY_FILE = "log.vkey"
PROOFS_DIR = "proofs"


@dataclass(frozen=True)
class VerifyResult:
    summary: Summary
    checkpoints: int
    size: int
    root: bytes


class VerificationFailed(Exception):
    """The published log, its checkpoints or their signatures do not agree."""


def write_export(bodies: Iterator[bytes], out: Path, signer: NoteSigner, origin: str) -> Checkpoint:
    """Write the log and a signed checkpoint of it; earlier checkpoints in `out` are kept."""
    out.mkdir(parents=True, exist_ok=True)
    (out / HISTORY_DIR).mkdir(exist_ok=True)
    (out / PROOFS_DIR).mkdir(exist_ok=True)
    earlier = sorted(int(p.name) for p in (out / HISTORY_DIR).iterdir() if p.name.isdigit())
    hashes: list[bytes] = []
    tree = TreeBuilder()
    partial = out / (LOG_FILE + ".partial")
    with partial.open("wb") as f:
        for body in bodies:
            if b"\n" in body:
                raise ValueError("an event body contains a newline; canonical JSON never does")
            f.write(body + b"\n")
            hashes.append(leaf_hash(body))
            tree.append(hashes[-1])
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, out / LOG_FILE)  # readers never see half a log
    checkpoint = Checkpoint(origin, tree.size, tree.root())
    for old in earlier:
        if 0 < old < checkpoint.size:  # monitors holding an earlier checkpoint check that history was only appended to
            proof = [h.hex() for h in consistency_proof(hashes, old)]
            (out / PROOFS_DIR / f"{old}-{checkpoint.size}").write_text(json.dumps(proof) + "\n", encoding="ascii")
    note = sign_checkpoint(signer, checkpoint)
    (out / HISTORY_DIR / str(checkpoint.size)).write_bytes(note)
    (out / CHECKPOINT_FILE).write_bytes(note)
    (out / VKEY_FILE).write_text(signer.verifier_key() + "\n", encoding="ascii")
    return checkpoint


def read_checkpoints(directory: Path, verifier: NoteVerifier, origin: str | None) -> list[Checkpoint]:
    """Every published checkpoint, verified, sorted by size."""
    notes = sorted((directory / HISTORY_DIR).glob("*")) if (directory / HISTORY_DIR).is_dir() else []
    paths = notes + [directory / CHECKPOINT_FILE]
    checkpoints: dict[int, Checkpoint] = {}
    for path in paths:
        if not path.is_file():
            continue
        try:
            checkpoint = open_checkpoint(verifier, path.read_bytes(), origin=origin)
        except (NoteError, ValueError) as exc:
            raise VerificationFailed(f"{path.relative_to(directory)}: {exc}") from None
        if checkpoint.size in checkpoints and checkpoints[checkpoint.size] != checkpoint:
            raise VerificationFailed(f"two different signed checkpoints for size {checkpoint.size}")
        checkpoints[checkpoint.size] = checkpoint
    if not checkpoints:
        raise VerificationFailed(f"{directory}: no signed checkpoint found")
    return [checkpoints[size] for size in sorted(checkpoints)]


def verify_export(directory: Path, verifier: NoteVerifier, origin: str | None = None) -> VerifyResult:
    """Replay the whole log and check it against every checkpoint; raise at the first disagreement."""
    checkpoints = read_checkpoints(directory, verifier, origin)
    log = directory / LOG_FILE
    if not log.is_file():
        raise VerificationFailed(f"{log}: missing")
    replayer = Replayer()
    tree = TreeBuilder()
    pending = list(checkpoints)
    if pending and pending[0].size == 0:
        _check_root(pending.pop(0), tree)
    with log.open("rb") as f:
        for index, line in enumerate(f):
            if not line.endswith(b"\n"):
                raise VerificationFailed(f"event {index}: the last line is not terminated (a partial write?)")
            body = line[:-1]
            replayer.feed(index, body)
            tree.append(leaf_hash(body))
            while pending and pending[0].size == tree.size:
                _check_root(pending.pop(0), tree)
    if pending:
        raise VerificationFailed(
            f"the log has {tree.size} events but a signed checkpoint covers {pending[0].size}: events were removed"
        )
    return VerifyResult(replayer.summary, len(checkpoints), tree.size, tree.root())


def _check_root(checkpoint: Checkpoint, tree: TreeBuilder) -> None:
    root = tree.root()
    if root != checkpoint.root:
        raise VerificationFailed(
            f"Merkle root of the first {checkpoint.size} events differs from the signed checkpoint"
            f"\n  expected: {checkpoint.root.hex()}\n  found:    {root.hex()}"
        )


__all__ = ["Discrepancy", "VerificationFailed", "VerifyResult", "read_checkpoints", "verify_export", "write_export"]
