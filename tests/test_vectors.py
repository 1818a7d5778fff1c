"""The published test vectors in docs/vectors/ are what the code produces."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

import pytest

from casedraw.ledger import canonical

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import make_vectors  # noqa: E402


def published(name: str) -> object:
    return json.loads((ROOT / "docs" / "vectors" / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["encoding", "identifiers", "identity", "routing", "events", "rng", "quotas", "draw"])
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


def test_draw_vectors_replay_through_the_engine_alone():
    """What an independent implementation does: seal + documents + state + seed in, round.drawn out."""
    from casedraw.draw.config import DrawConfig
    from casedraw.draw.engine import DrawState, RegionState, draw_round
    from casedraw.services.rounds import drawn_data, sealed_inputs, state_digest

    state = None
    for case in published("draw"):
        if not case["name"].startswith("round ") or case["name"].startswith("round 1 "):
            state = DrawState({
                iso: RegionState({l: b[0] for l, b in r["bailiffs"].items()}, r["floor"], {l: b[1] for l, b in r["bailiffs"].items()},
                                 {l: b[2] for l, b in r["bailiffs"].items()}, dict(r["affinity"]))
                for iso, r in case["state_before"].items()
            })
        assert state_digest(state) == case["state_digest"], case["name"]
        documents = {int(d): (v["region"], v["category"], v["weight"], v["affinity"]) for d, v in case["documents"].items()}
        roster, docs = sealed_inputs(case["seal"], documents)
        before = state.copy()
        outcome = draw_round(state, roster, docs, dt.date.fromisoformat(case["seal"]["day"]), bytes.fromhex(case["seed"]),
                             DrawConfig.from_json(case["config"]))
        assert drawn_data(case["seal"]["round"], bytes.fromhex(case["seed"]), roster, state, before, outcome) == case["drawn"], case["name"]
