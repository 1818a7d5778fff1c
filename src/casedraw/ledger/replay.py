"""Replaying the public log: every check anyone can make without personal data.

`Replayer.feed(index, body)` takes the public events in log order and raises
`Discrepancy` at the first one that does not follow from the events before
it and the published algorithm (docs/ALGORITHM.md): malformed or
non-canonical bytes, numbering, timestamps going back, weights that do not
match the weight table, a seal that does not hold exactly the waiting
documents or the roster as replayed, a wrong state digest or beacon, a
randomness value that does not verify, and any difference between a logged
draw and the draw recomputed from the seal. Memory grows with the number of
documents waiting and of debtors with open proceedings, not with the log.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from casedraw.domain.model import Category, LicenceStatus
from casedraw.domain.regions import REGIONS
from casedraw.domain.routing import Channel, RoutingConfig
from casedraw.draw.beacons import QUICKNET, BeaconInvalid, drand_randomness, hashchain_verify, target_round
from casedraw.draw.config import DrawConfig
from casedraw.draw.engine import DrawState, Reason, RegionState, draw_round
from casedraw.draw.protocol import drawn_data, round_seed, sealed_inputs, state_digest
from casedraw.ledger import canonical
from casedraw.ledger.events import EventKind

_KZ = dt.timedelta(hours=5)
_DOC_EXCLUSIONS = {str(Reason.CONFLICT), str(Reason.REPLACED)}
_CATEGORIES = frozenset(c.value for c in Category)
_CHANNELS = frozenset(c.value for c in Channel)
_STATUSES = frozenset(s.value for s in LicenceStatus)


class Discrepancy(Exception):
    """The first event that does not follow from the log before it."""

    def __init__(self, index: int, kind: str, what: str, expected: object = None, found: object = None):
        self.index, self.kind, self.what, self.expected, self.found = index, kind, what, expected, found
        detail = "" if expected is None and found is None else f"\n  expected: {_short(expected)}\n  found:    {_short(found)}"
        super().__init__(f"event {index} ({kind}): {what}{detail}")


def _short(value: object, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def first_difference(expected: object, found: object, path: str = "") -> tuple[str, object, object] | None:
    """The path of the first place two JSON values differ, with both values there."""
    if not path and canonical.same(expected, found):  # equal bytes: nothing to look for
        return None
    if isinstance(expected, Mapping) and isinstance(found, Mapping):
        for key in sorted(set(expected) | set(found)):
            if key not in found or key not in expected:
                return f"{path}.{key}", expected.get(key), found.get(key)
            diff = first_difference(expected[key], found[key], f"{path}.{key}")
            if diff:
                return diff
        return None
    if isinstance(expected, list) and isinstance(found, list):
        for i, (a, b) in enumerate(zip(expected, found, strict=False)):  # lengths are compared below
            diff = first_difference(a, b, f"{path}[{i}]")
            if diff:
                return diff
        if len(expected) != len(found):
            return f"{path} (length)", len(expected), len(found)
        return None
    return None if expected == found and type(expected) is type(found) else (path or "$", expected, found)


@dataclass
class OpenRound:
    number: int
    seal: dict[str, Any]
    body: bytes
    randomness: bytes | None = None


@dataclass
class Summary:
    events: int = 0
    documents: int = 0
    rounds: int = 0
    assignments: int = 0
    pending: int = 0
    bailiffs: int = 0


@dataclass
class Replayer:
    configs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    draw_configs: list[DrawConfig] = field(default_factory=list)  # parsed once per version
    roster: dict[str, dict[str, Any]] = field(default_factory=dict)
    waiting: dict[int, tuple[str, str, int, str]] = field(default_factory=dict)  # doc -> region, category, weight, affinity
    state: DrawState = field(default_factory=DrawState)
    anchors: dict[int, list[Any]] = field(default_factory=dict)  # chain -> [length, last index, last value]
    open_round: OpenRound | None = None
    last_at: str = ""
    summary: Summary = field(default_factory=Summary)

    def feed(self, index: int, body: bytes) -> None:
        if index != self.summary.events:
            raise Discrepancy(index, "?", f"expected the event at index {self.summary.events}")
        try:
            event = canonical.decode(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Discrepancy(index, "?", f"body is not canonical JSON ({exc})") from None
        if not isinstance(event, dict) or set(event) != {"at", "by", "data", "kind"}:
            raise Discrepancy(index, "?", "body must be an object with exactly at, by, data, kind")
        kind = event["kind"]
        try:
            handler = _HANDLERS[EventKind(kind)]
        except ValueError:
            raise Discrepancy(index, str(kind), "unknown event kind") from None
        self._check_time(index, kind, event["at"])
        try:
            handler(self, index, event["data"], event["at"], body)
        except Discrepancy:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise Discrepancy(index, kind, f"malformed data ({type(exc).__name__}: {exc})") from None
        self.summary.events += 1

    def _check_time(self, index: int, kind: str, at: object) -> None:
        if not isinstance(at, str) or len(at) != 27 or at[10] != "T" or at[19] != "." or not at.endswith("Z"):
            raise Discrepancy(index, kind, "time is not YYYY-MM-DDTHH:MM:SS.ffffffZ", None, at)
        try:
            dt.datetime.fromisoformat(at[:-1])
        except ValueError:
            raise Discrepancy(index, kind, "time is not a valid UTC time", None, at) from None
        if at < self.last_at:
            raise Discrepancy(index, kind, "time goes back", f">= {self.last_at}", at)
        self.last_at = at

    # --- configuration and registry --------------------------------------

    def _config_set(self, index: int, d: dict[str, Any], _at: str, _body: bytes) -> None:
        versions = self.configs.setdefault(d["name"], [])
        if d["version"] != len(versions) + 1:
            raise Discrepancy(index, "config.set", f"{d['name']} version out of order", len(versions) + 1, d["version"])
        if d["name"] == "routing":
            RoutingConfig.from_json(d["value"])
        elif d["name"] == "draw":
            self.draw_configs.append(DrawConfig.from_json(d["value"]))
        else:
            raise Discrepancy(index, "config.set", "unknown configuration name", "routing or draw", d["name"])
        versions.append(d["value"])

    def _draw_config(self, version: int | None = None) -> DrawConfig:
        if not self.draw_configs:
            raise ValueError("no draw configuration logged yet")
        return self.draw_configs[(version or len(self.draw_configs)) - 1]

    def _bailiff_registered(self, index: int, d: dict[str, Any], _at: str, _body: bytes) -> None:
        if d["licence"] in self.roster:
            raise Discrepancy(index, "bailiff.registered", f"licence {d['licence']} is already registered")
        self._check_bailiff(index, d)
        self.roster[d["licence"]] = {k: d[k] for k in ("region", "district", "status", "chamber_head", "share_milli", "specialisations")}
        self.summary.bailiffs += 1

    def _bailiff_changed(self, index: int, d: dict[str, Any], _at: str, _body: bytes) -> None:
        current = self.roster.get(d["licence"])
        if current is None:
            raise Discrepancy(index, "bailiff.changed", f"licence {d['licence']} is not registered")
        unknown = set(d["changes"]) - set(current)
        if unknown:
            raise Discrepancy(index, "bailiff.changed", f"unknown fields {sorted(unknown)}")
        updated = {**current, **d["changes"]}
        self._check_bailiff(index, updated)
        self.roster[d["licence"]] = updated

    @staticmethod
    def _check_bailiff(index: int, b: Mapping[str, Any]) -> None:
        if b["region"] not in REGIONS or b["status"] not in _STATUSES or not 1 <= b["share_milli"] <= 10_000:
            raise Discrepancy(index, "bailiff", "region, status or share out of range", None, dict(b))

    # --- documents ---------------------------------------------------------

    def _document_registered(self, index: int, d: dict[str, Any], _at: str, _body: bytes) -> None:
        expected_doc = self.summary.documents + 1
        if d["doc"] != expected_doc:
            raise Discrepancy(index, "document.registered", "document number out of order", expected_doc, d["doc"])
        if d["region"] not in REGIONS or d["category"] not in _CATEGORIES or d["channel"] not in _CHANNELS:
            raise Discrepancy(index, "document.registered", "region, category or channel unknown", None, d)
        config = self._draw_config()
        if not 0 <= d["band"] <= len(config.band_edges_kzt):
            raise Discrepancy(index, "document.registered", "band out of range", f"0..{len(config.band_edges_kzt)}", d["band"])
        weight = config.weight(d["category"], d["band"])
        if d["weight"] != weight:
            raise Discrepancy(index, "document.registered", "weight does not match the weight table", weight, d["weight"])
        if not isinstance(d["affinity"], str) or len(d["affinity"]) != 32 or len(d["commit"]) != 64:
            raise Discrepancy(index, "document.registered", "affinity key or commitment malformed")
        self.summary.documents += 1
        if d["channel"] == Channel.PRIVATE_BAILIFF:
            self.waiting[d["doc"]] = (d["region"], d["category"], d["weight"], d["affinity"])

    # --- rounds --------------------------------------------------------------

    def _beacon_anchor(self, index: int, d: dict[str, Any], _at: str, _body: bytes) -> None:
        if d["chain"] != len(self.anchors) + 1 or d["source"] != "hashchain" or len(bytes.fromhex(d["anchor"])) != 32:
            raise Discrepancy(index, "beacon.anchor", "anchor out of order or malformed", len(self.anchors) + 1, d["chain"])
        self.anchors[d["chain"]] = [d["length"], 0, d["anchor"]]

    def expected_seal(self, d: dict[str, Any], at: str) -> dict[str, Any]:
        """The seal that must follow from the log so far, given the parts only the operator knows
        (which documents were excluded for private conflicts) and the choice of beacon source."""
        moment = dt.datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ")
        documents = sorted(self.waiting)
        regions = sorted({self.waiting[doc][0] for doc in documents})
        roster = [
            [lic, b["region"], b["status"], b["share_milli"], list(b["specialisations"]), False, False]
            for lic, b in sorted(self.roster.items()) if b["region"] in regions
        ]
        keys = {self.waiting[doc][3] for doc in documents}
        digest_state = DrawState({
            iso: RegionState(
                rs.vtime, rs.floor, rs.open_count, rs.load, {k: v for k, v in rs.affinity.items() if k in keys},
            )
            for iso in regions for rs in [self.state.regions.get(iso, RegionState())]
        })
        if d["beacon"]["source"] == "hashchain":
            chain = len(self.anchors)
            beacon = {"source": "hashchain", "chain": chain, "index": self.anchors[chain][1] + 1}
        else:
            beacon = {"source": "drand-quicknet", "chain": QUICKNET.chain_hash, "index": target_round(QUICKNET, calendar.timegm(moment.utctimetuple()))}
        return {
            "round": self.summary.rounds + 1,
            "day": (moment + _KZ).date().isoformat(),
            "config": {"draw": len(self.configs.get("draw") or [])},
            "documents": documents,
            "excluded": d["excluded"],
            "roster": roster,
            "beacon": beacon,
            "state": state_digest(digest_state),
        }

    def _round_sealed(self, index: int, d: dict[str, Any], at: str, body: bytes) -> None:
        if self.open_round is not None:
            raise Discrepancy(index, "round.sealed", f"round {self.open_round.number} is still open")
        expected = self.expected_seal(d, at)
        diff = first_difference(expected, d)
        if diff:
            raise Discrepancy(index, "round.sealed", f"seal differs at {diff[0]}", diff[1], diff[2])
        roster_regions = {lic: region for lic, region, *_ in d["roster"]}
        previous: tuple[int, str] | None = None
        for doc, licence, reason in d["excluded"]:
            if doc not in self.waiting or roster_regions.get(licence) != self.waiting[doc][0] or reason not in _DOC_EXCLUSIONS:
                raise Discrepancy(index, "round.sealed", "exclusion names a document, bailiff or reason outside the round", None, [doc, licence, reason])
            if previous is not None and (doc, licence) <= previous:
                raise Discrepancy(index, "round.sealed", "exclusions not sorted by document and licence, or repeated", None, [doc, licence])
            previous = (doc, licence)
        self.open_round = OpenRound(d["round"], d, body)

    def _round_randomness(self, index: int, d: dict[str, Any], _at: str, _body: bytes) -> None:
        r = self.open_round
        if r is None or r.randomness is not None or d["round"] != r.number:
            raise Discrepancy(index, "round.randomness", "no sealed round waits for randomness", None if r is None else r.number, d["round"])
        beacon = r.seal["beacon"]
        if d["source"] != beacon["source"] or d["index"] != beacon["index"]:
            raise Discrepancy(index, "round.randomness", "not the beacon value the seal committed to", beacon, {"source": d["source"], "index": d["index"]})
        value = bytes.fromhex(d["value"])
        try:
            if d["source"] == "hashchain":
                anchor = self.anchors[beacon["chain"]]
                hashchain_verify(value, d["index"], bytes.fromhex(anchor[2]), anchor[1])
                anchor[1], anchor[2] = d["index"], d["value"]
            else:
                verified = drand_randomness(d["index"], d["proof"]["signature"])
                if verified.value != value:
                    raise BeaconInvalid(f"drand round {d['index']}: value is not SHA-256 of the signature")
        except BeaconInvalid as exc:
            raise Discrepancy(index, "round.randomness", f"randomness does not verify: {exc}") from None
        r.randomness = value

    def _round_drawn(self, index: int, d: dict[str, Any], _at: str, _body: bytes) -> None:
        r = self.open_round
        if r is None or r.randomness is None or d["round"] != r.number:
            raise Discrepancy(index, "round.drawn", "no round with randomness waits to be drawn", None if r is None else r.number, d["round"])
        documents = {doc: self.waiting[doc] for doc in r.seal["documents"]}
        roster, docs = sealed_inputs(r.seal, documents)
        seed = round_seed(r.number, r.randomness, r.body)
        outcome = draw_round(self.state, roster, docs, dt.date.fromisoformat(r.seal["day"]), seed, self._draw_config(r.seal["config"]["draw"]))
        expected = drawn_data(r.number, seed, roster, self.state, outcome)
        diff = first_difference(expected, d)
        if diff:
            raise Discrepancy(index, "round.drawn", f"draw differs at {diff[0]}", diff[1], diff[2])
        for region in outcome.values():
            for a in region.assignments:
                del self.waiting[a.doc]
            self.summary.assignments += len(region.assignments)
        self.summary.pending = sum(len(o.pending) for o in outcome.values())
        self.summary.rounds += 1
        self.open_round = None


_HANDLERS = {
    EventKind.CONFIG_SET: Replayer._config_set,
    EventKind.BAILIFF_REGISTERED: Replayer._bailiff_registered,
    EventKind.BAILIFF_CHANGED: Replayer._bailiff_changed,
    EventKind.DOCUMENT_REGISTERED: Replayer._document_registered,
    EventKind.BEACON_ANCHOR: Replayer._beacon_anchor,
    EventKind.ROUND_SEALED: Replayer._round_sealed,
    EventKind.ROUND_RANDOMNESS: Replayer._round_randomness,
    EventKind.ROUND_DRAWN: Replayer._round_drawn,
}
