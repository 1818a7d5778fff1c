"""The published test vectors in docs/vectors/ are what the code produces."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from casedraw.ledger import canonical

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import make_vectors  # noqa: E402


def published(name: str) -> object:
    return json.loads((ROOT / "docs" / "vectors" / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["encoding", "identifiers", "identity", "routing", "events", "pseudonyms", "rng", "quotas", "draw", "log",
                                  "history"])
def test_code_reproduces_published_vectors(name):
    assert getattr(make_vectors, name)() == published(name), f"docs/vectors/{name}.json no longer matches the code"


def test_encoding_vectors_are_self_consistent():
    for vector in published("encoding"):
        data = bytes.fromhex(vector["canonical_utf8_hex"])
        assert canonical.decode(data) == vector["value"]
        assert hashlib.sha256(data).hexdigest() == vector["sha256"]


def test_event_vectors_open_their_commitments_and_are_canonical():
    for vector in published("events"):
        body = vector["body_utf8"].encode()
        assert canonical.encode(canonical.decode(body)) == body
        assert hashlib.sha256(body).hexdigest() == vector["leaf_input_sha256"]
        if vector["private_utf8"] is not None:
            private = vector["private_utf8"].encode()
            assert hashlib.sha256(private).hexdigest() == vector["commit"]
            assert json.loads(body)["data"]["commit"] == vector["commit"]


def test_white_space_listed_in_the_spec_is_what_identity_normalisation_uses():
    spec = (ROOT / "docs" / "ALGORITHM.md").read_text(encoding="utf-8")
    listed = spec.split("*White space* here is exactly:")[1].split("(general category")[0]
    code_points: set[int] = set()
    for item in listed.replace("\n", " ").split(","):
        ends = [int(part.strip().removeprefix("U+"), 16) for part in item.split("–")]
        code_points.update(range(ends[0], ends[-1] + 1))
    assert code_points == {c for c in range(0x110000) if chr(c).isspace()}


def test_vectors_replay_with_the_pure_core_alone():
    import replay_vectors

    assert replay_vectors.replay() > 30


def _interpreters() -> list[str]:
    """This interpreter and every other CPython 3.11+ installed here (pyenv versions, or on PATH)."""
    found = {sys.executable}
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for path in sorted(pyenv.glob("3.*/bin/python")):
        major, minor = (int(x) for x in path.parent.parent.name.split(".")[:2])
        if (major, minor) >= (3, 11):
            found.add(str(path))
    for version in ("3.11", "3.12", "3.13", "3.14"):
        path = shutil.which(f"python{version}")
        if path and "/shims/" not in path:
            found.add(path)
    return sorted(found)


@pytest.mark.parametrize("python", _interpreters())
def test_same_assignments_on_every_python_version(python):
    """The draw must not depend on the interpreter: replay every vector under each one found here."""
    result = subprocess.run(
        [python, str(ROOT / "tools" / "replay_vectors.py")], capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "vectors match on Python" in result.stdout


def test_log_vector_proofs_verify_with_the_published_key():
    from casedraw.ledger.checkpoint import NoteVerifier, open_checkpoint
    from casedraw.ledger.merkle import verify_consistency, verify_inclusion

    vector = published("log")
    checkpoint = open_checkpoint(NoteVerifier.from_vkey(vector["verifier_key"]), vector["checkpoint_note"].encode())
    assert checkpoint.root.hex() == vector["root"]
    for index, (leaf, proof) in enumerate(zip(vector["leaf_hashes"], vector["inclusion_proofs"], strict=True)):
        verify_inclusion(bytes.fromhex(leaf), index, checkpoint.size, [bytes.fromhex(h) for h in proof], checkpoint.root)
    from casedraw.ledger.merkle import root
    for span, proof in vector["consistency_proofs"].items():
        old = int(span.split("-")[0])
        old_root = root([bytes.fromhex(h) for h in vector["leaf_hashes"][:old]])
        verify_consistency(old, checkpoint.size, old_root, checkpoint.root, [bytes.fromhex(h) for h in proof])
