"""Replay the published vectors with nothing but the standard library and casedraw's pure core.

    PYTHONPATH=src python tools/replay_vectors.py

Exits 0 and prints how many vectors matched, or 1 with the first mismatch.
Run it under any Python 3.11+ to check that the draw gives identical results
there (tests/test_vectors.py runs it under every interpreter it finds).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import sys
from pathlib import Path

from casedraw.draw.config import DrawConfig
from casedraw.draw.engine import DrawState, RegionState, draw_round, water_level_quotas
from casedraw.draw.protocol import bailiff_states, drawn_data, sealed_inputs, state_digest
from casedraw.draw.rng import Stream, derive
from casedraw.ledger import canonical

VECTORS = Path(__file__).resolve().parent.parent / "docs" / "vectors"


def _load(name: str) -> object:
    return json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8"))


def _state(data: dict) -> DrawState:
    return DrawState({
        iso: RegionState(
            {lic: b[0] for lic, b in r["bailiffs"].items()}, r["floor"], {lic: b[1] for lic, b in r["bailiffs"].items()},
            {lic: b[2] for lic, b in r["bailiffs"].items()}, dict(r["affinity"]),
        )
        for iso, r in data.items()
    })


def replay() -> int:
    """Check every vector; returns how many matched, raises AssertionError at the first that does not."""
    checked = 0
    for v in _load("encoding"):
        assert canonical.encode(v["value"]).hex() == v["canonical_utf8_hex"], f"encoding of {v['value']!r}"
        checked += 1
    rng = _load("rng")
    for v in rng["derive"]:
        assert derive(*(bytes.fromhex(p) for p in v["parts_hex"])).hex() == v["sha256"], "derive"
        checked += 1
    for v in rng["streams"]:
        key = bytes.fromhex(v["key_hex"])
        stream = Stream(key)
        assert [str(stream.next_u64()) for _ in v["u64"]] == v["u64"], "stream"
        for n, expected in v["uniform"].items():
            stream = Stream(key)
            assert [str(stream.uniform(int(n))) for _ in expected] == expected, f"uniform({n})"
        items = list(range(20))
        Stream(key).shuffle(items)
        assert items == v["shuffle_0_to_19"], "shuffle"
        checked += 1
    for v in _load("quotas"):
        assert water_level_quotas(v["vtimes"], v["shares"], v["total_weight"]) == v["quotas"], "quotas"
        checked += 1
    state = DrawState()
    for case in _load("draw"):
        if not case["name"].startswith("round ") or case["name"].startswith("round 1 "):
            state = _state(case["state_before"])
        assert state_digest(state) == case["state_digest"], f"{case['name']}: state digest"
        documents = {int(d): (x["region"], x["category"], x["weight"], x["affinity"]) for d, x in case["documents"].items()}
        roster, docs = sealed_inputs(case["seal"], documents)
        seed = bytes.fromhex(case["seed"])
        before = bailiff_states(state, roster)
        outcome = draw_round(state, roster, docs, dt.date.fromisoformat(case["seal"]["day"]), seed, DrawConfig.from_json(case["config"]))
        assert drawn_data(case["seal"]["round"], seed, roster, state, outcome, before) == case["drawn"], f"{case['name']}: round.drawn"
        checked += 1
    for v in _load("events"):
        body = v["body_utf8"].encode()
        assert hashlib.sha256(body).hexdigest() == v["leaf_input_sha256"] and canonical.decode(body) is not None
        checked += 1
    checked += _pseudonyms(_load("pseudonyms"))  # type: ignore[arg-type]
    return checked


def _pseudonyms(v: dict) -> int:
    """Section 5.1 with the standard library alone: K_actor, then each account's public ACTOR_ID."""
    key = hmac.digest(bytes.fromhex(v["affinity_key_hex"]), v["label_utf8"].encode(), "sha256")
    assert key.hex() == v["actor_key_hex"], "actor key"
    for a in v["actors"]:
        expected = "c-" + hmac.digest(key, a["account"].encode(), "sha256").hex()[:32] if a["role"] == "claimant" else a["account"]
        assert a["id"] == expected, f"pseudonym of {a['role']}:{a['account']}"
    return 1


if __name__ == "__main__":
    try:
        count = replay()
    except AssertionError as exc:
        print(f"MISMATCH on Python {sys.version.split()[0]}: {exc}")
        sys.exit(1)
    print(f"{count} vectors match on Python {sys.version.split()[0]}")
