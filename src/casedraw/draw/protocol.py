"""The round protocol's pure parts: seeds, the state digest, the engine's inputs from a seal,
and the data of round.drawn (docs/ALGORITHM.md, sections 7.2-7.6). Standard library only, so
the published vectors replay on any Python without the storage stack."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from typing import Any

from casedraw.draw.engine import DrawState, RegionOutcome, RosterEntry, SealedDoc
from casedraw.draw.rng import derive
from casedraw.ledger import canonical


def state_digest(state: DrawState) -> str:
    """SHA-256 of the canonical draw state the round starts from (docs/ALGORITHM.md, 7.6)."""
    return hashlib.sha256(canonical.encode({
        iso: {
            "floor": rs.floor,
            "bailiffs": {lic: [rs.vtime[lic], rs.open_count.get(lic, 0), rs.load.get(lic, 0)] for lic in sorted(rs.vtime)},
            "affinity": dict(sorted(rs.affinity.items())),
        }
        for iso, rs in sorted(state.regions.items())
    })).hexdigest()


def round_seed(round_no: int, randomness: bytes, seal_body: bytes) -> bytes:
    return derive(b"casedraw/draw/v1/seed", round_no.to_bytes(8, "big"), randomness, hashlib.sha256(seal_body).digest())


def sealed_inputs(seal: dict[str, Any], documents: dict[int, tuple[str, str, int, str]]) -> tuple[list[RosterEntry], list[SealedDoc]]:
    """The engine's inputs from a seal and the sealed documents' public fields (region, category, weight, affinity)."""
    day = dt.date.fromisoformat(seal["day"])
    roster = [
        RosterEntry(lic, region, status, share, frozenset(specs), ((day, day),) if absent else (), suspended)
        for lic, region, status, share, specs, absent, suspended in seal["roster"]
    ]
    excluded: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for doc, licence, reason in seal["excluded"]:
        excluded[doc].append((licence, reason))
    docs = [
        SealedDoc(doc, *documents[doc][:3], affinity_key=documents[doc][3], excluded=tuple(excluded.get(doc, ())))
        for doc in seal["documents"]
    ]
    return roster, docs


BailiffStates = dict[tuple[str, str], tuple[int, int, int]]


def bailiff_states(state: DrawState, roster: list[RosterEntry]) -> BailiffStates:
    """(region, licence) -> (vtime, open, load) of the roster's bailiffs: taken before a draw, so that
    round.drawn lists only the states the draw changed."""
    out = {}
    for e in roster:
        rs = state.regions.get(e.region)
        if rs is not None and e.licence in rs.vtime:
            out[(e.region, e.licence)] = (rs.vtime[e.licence], rs.open_count.get(e.licence, 0), rs.load.get(e.licence, 0))
    return out


def drawn_data(
    round_no: int, seed: bytes, roster: list[RosterEntry], state: DrawState, outcomes: dict[str, RegionOutcome], before: BailiffStates,
) -> dict[str, Any]:
    """The data of round.drawn from the engine's outcome, the state it left and the bailiffs' states
    before it (section 7.6)."""
    regions: dict[str, Any] = {}
    for iso, outcome in outcomes.items():
        rs = state.regions[iso]
        eligible = sorted(
            e.licence for e in roster if e.region == iso and e.licence not in outcome.excluded
            and before.get((iso, e.licence)) != (rs.vtime[e.licence], rs.open_count.get(e.licence, 0), rs.load.get(e.licence, 0))
        )
        regions[iso] = {
            "excluded": dict(sorted(outcome.excluded.items())),
            "assigned": [[a.doc, a.licence, a.how] for a in outcome.assignments],
            "pending": [[p.doc, [list(r) for r in p.reasons]] for p in outcome.pending],
            "floor": rs.floor,
            "bailiffs": {lic: {"vtime": rs.vtime[lic], "open": rs.open_count.get(lic, 0), "load": rs.load.get(lic, 0)} for lic in eligible},
            "affinity": sorted([key, lic] for key, lic in outcome.new_affinity),
        }
    return {"round": round_no, "seed": seed.hex(), "regions": regions}
