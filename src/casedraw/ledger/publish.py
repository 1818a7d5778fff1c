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
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from casedraw.ledger import canonical
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


def verify_export(directory: Path, verifier: NoteVerifier, origin: str | None = None, *, parallel: bool = True) -> VerifyResult:
    """Replay the whole log and check it against every checkpoint; raise at the first disagreement.

    Two independent passes over the file: the bytes (canonical form, leaf hashes, Merkle roots at
    every checkpoint) and the replay (every event follows from the ones before). With `parallel`
    the first runs in a second process; the failure reported is the first event either pass
    rejects, exactly as one sequential pass would report it.
    """
    checkpoints = read_checkpoints(directory, verifier, origin)
    log = directory / LOG_FILE
    if not log.is_file():
        raise VerificationFailed(f"{log}: missing")
    if parallel and "fork" in multiprocessing.get_all_start_methods():
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
            bytes_pass = pool.submit(_check_bytes, log, checkpoints)
            replayed, replay_failure = _replay(log, Replayer(decode=canonical.decode_trusted))
            bytes_failure, size, root = bytes_pass.result()
    else:
        bytes_failure, size, root = _check_bytes(log, checkpoints)
        replayed, replay_failure = _replay(log, Replayer())
    failures = [f for f in (bytes_failure, replay_failure) if f is not None]
    if failures:
        index, _, message = min(failures, key=lambda f: f[:2])
        raise message if isinstance(message, Discrepancy) else _from_bytes_pass(index, message)
    return VerifyResult(replayed.summary, len(checkpoints), size, root)


# A failure, ordered as a single sequential pass would meet it: (event index, rank, what).
# At one index a non-canonical body (rank 0) comes before the replay (1), which comes before the
# Merkle root of the checkpoint that ends with that event (2). The bytes pass reports plain
# strings (they cross a process boundary); "canonical:" marks a body that is not canonical.
_Failure = tuple[int, int, "str | Discrepancy"]


def _from_bytes_pass(index: int, message: str) -> Exception:
    if message.startswith("canonical:"):
        return Discrepancy(index, "?", f"body is not canonical JSON ({message.removeprefix('canonical:')})")
    return VerificationFailed(message)


def _replay(log: Path, replayer: Replayer) -> tuple[Replayer, _Failure | None]:
    with log.open("rb") as f:
        for index, line in enumerate(f):
            if not line.endswith(b"\n"):
                break  # reported by the bytes pass
            try:
                replayer.feed(index, line[:-1])
            except Discrepancy as exc:
                return replayer, (index, 1, exc)
    return replayer, None


def _check_bytes(log: Path, checkpoints: list[Checkpoint]) -> tuple[_Failure | None, int, bytes]:
    """Canonical form of every body, the Merkle tree, and its root at every signed checkpoint."""
    tree = TreeBuilder()
    pending = list(checkpoints)
    if pending and pending[0].size == 0 and tree.root() != pending[0].root:
        return (-1, 2, _root_differs(pending[0], tree.root())), 0, tree.root()
    if pending and pending[0].size == 0:
        pending.pop(0)
    with log.open("rb") as f:
        for index, line in enumerate(f):
            if not line.endswith(b"\n"):
                return (index, 0, f"event {index}: the last line is not terminated (a partial write?)"), tree.size, tree.root()
            body = line[:-1]
            try:
                canonical.decode(body)
            except (ValueError, UnicodeDecodeError) as exc:
                return (index, 0, f"canonical:{exc}"), tree.size, tree.root()
            tree.append(leaf_hash(body))
            while pending and pending[0].size == tree.size:
                checkpoint = pending.pop(0)
                if tree.root() != checkpoint.root:
                    return (index, 2, _root_differs(checkpoint, tree.root())), tree.size, tree.root()
    if pending:
        removed = f"the log has {tree.size} events but a signed checkpoint covers {pending[0].size}: events were removed"
        return (tree.size, 2, removed), tree.size, tree.root()
    return None, tree.size, tree.root()


def _root_differs(checkpoint: Checkpoint, root: bytes) -> str:
    return (
        f"Merkle root of the first {checkpoint.size} events differs from the signed checkpoint"
        f"\n  expected: {checkpoint.root.hex()}\n  found:    {root.hex()}"
    )


__all__ = ["Discrepancy", "VerificationFailed", "VerifyResult", "read_checkpoints", "verify_export", "write_export"]
