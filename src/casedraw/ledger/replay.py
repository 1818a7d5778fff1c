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
import re
import time
from array import array
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from casedraw.domain.calendar import add_working_days
from casedraw.domain.model import Basis, Category, ClaimantKind, LicenceStatus
from casedraw.domain.procedures import (
    LICENCE_TRANSITIONS,
    RELEASING_ACTIONS,
    Absence,
    Decision,
    Grounds,
    LicenceAction,
    MemberRole,
    ReleaseCause,
    absence_cancel_refusal,
    absence_change_refusal,
    licence_refusal,
    new_absence_refusal,
)
from casedraw.domain.proceedings import (
    FULL_BP,
    TRANSITIONS,
    ClosureReason,
    Overdue,
    Stage,
    Step,
    closure_refusal,
    deadlines,
    overdue_steps,
    step_refusal,
)
from casedraw.domain.regions import REGIONS
from casedraw.domain.routing import Channel
from casedraw.draw.beacons import QUICKNET, BeaconInvalid, drand_randomness, hashchain_verify, target_round
from casedraw.draw.config import CONFIGURATIONS
from casedraw.draw.engine import UNIT, DrawState, Reason, RegionState, draw_round
from casedraw.draw.protocol import bailiff_states, drawn_data, round_seed, sealed_inputs, state_digest
from casedraw.ledger import canonical
from casedraw.ledger.events import EventKind, kz_day

_PUBLIC_EXCLUSIONS = frozenset({str(Reason.REPLACED), str(Reason.REDISTRIBUTED)})  # follow from the log
_CATEGORIES = frozenset(c.value for c in Category)
_CATEGORY_LIST = sorted(_CATEGORIES)
_REGION_LIST = sorted(REGIONS)
_BASES = frozenset(b.value for b in Basis)
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
    released: int = 0
    forwarded: int = 0
    applications: int = 0
    closed: int = 0
    history_batches: int = 0
    history: int = 0


@dataclass
class Portfolio:
    """A bailiff's documents, packed: a log of a million documents stays in memory cheaply.

    Entries are never moved while the portfolio is in use: a document that leaves (closed or
    released) is only marked dead, so positions stay valid; `compact` drops dead entries once they
    are the majority.
    """

    docs: array = field(default_factory=lambda: array("q"))
    facts: array = field(default_factory=lambda: array("q"))  # region, category and weight in one integer
    affinity: bytearray = field(default_factory=bytearray)  # 16 bytes per document
    alive: bytearray = field(default_factory=bytearray)
    live: int = 0

    def add(self, doc: int, region: str, category: str, weight: int, affinity: str) -> int:
        self.docs.append(doc)
        self.facts.append((_REGION_LIST.index(region) << 16) | (_CATEGORY_LIST.index(category) << 8) | weight)
        self.affinity += bytes.fromhex(affinity)
        self.alive.append(1)
        self.live += 1
        return len(self.docs) - 1

    def facts_at(self, position: int) -> tuple[str, str, int, str]:
        packed = self.facts[position]
        return _REGION_LIST[packed >> 16], _CATEGORY_LIST[(packed >> 8) & 0xFF], packed & 0xFF, self.affinity[16 * position:16 * position + 16].hex()

    def drop(self, position: int) -> None:
        self.alive[position] = 0
        self.live -= 1

    def open_positions(self) -> list[int]:
        return [i for i, alive in enumerate(self.alive) if alive]

    def holds_key(self, key: bytes) -> bool:
        """Whether an open document of this portfolio has this affinity key."""
        start = 0
        while (found := self.affinity.find(key, start)) >= 0:
            if found % 16 == 0 and self.alive[found // 16]:
                return True
            start = found + 1
        return False

    def compact(self) -> Portfolio:
        kept = Portfolio()
        for i in self.open_positions():
            kept.add(self.docs[i], *self.facts_at(i))
        return kept


@dataclass
class Proceedings:
    """Per document, indexed by its number: whose open proceeding it is and how far it has gone.

    Dense arrays rather than objects, so a log of millions of documents replays in little memory.
    """

    stage: bytearray = field(default_factory=lambda: bytearray(1))  # a Stage; index 0 is unused
    holder: array = field(default_factory=lambda: array("i", [-1]))  # index into Replayer.licences
    position: array = field(default_factory=lambda: array("i", [-1]))  # in the holder's portfolio
    acknowledge_by: array = field(default_factory=lambda: array("H", [0]))  # days since 2000-01-01 (two bytes: to 2179)
    initiate_by: array = field(default_factory=lambda: array("H", [0]))
    recovered_bp: array = field(default_factory=lambda: array("h", [0]))  # of the document, all tenures
    suspensions: array = field(default_factory=lambda: array("H", [0]))  # in the current tenure
    has_amount: bytearray = field(default_factory=lambda: bytearray(1))  # 0 for non-property documents

    def register(self, has_amount: bool) -> None:
        self.has_amount.append(has_amount)
        if len(self.has_amount) > len(self.stage):  # grown in blocks: one append per array per document is slow
            block = 4096
            self.stage.extend(bytes(block))
            for column, value in ((self.holder, -1), (self.position, -1), (self.acknowledge_by, 0), (self.initiate_by, 0),
                                  (self.recovered_bp, 0), (self.suspensions, 0)):
                column.extend(array(column.typecode, [value]) * block)

    def assign(self, doc: int, holder: int, position: int, acknowledge_by: int, initiate_by: int) -> None:
        self.stage[doc], self.holder[doc], self.position[doc] = Stage.ASSIGNED, holder, position
        self.acknowledge_by[doc], self.initiate_by[doc], self.suspensions[doc] = acknowledge_by, initiate_by, 0

    def leave(self, doc: int) -> None:
        """The document left its bailiff (released or forwarded): it waits for a draw again."""
        self.stage[doc], self.holder[doc], self.position[doc] = Stage.NONE, -1, -1


@dataclass
class Application:
    doc: int
    licence: str
    region: str
    decided: bool = False


@dataclass
class Replayer:
    configs: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)  # name -> [(effective, parsed value)]
    roster: dict[str, dict[str, Any]] = field(default_factory=dict)
    waiting: dict[int, tuple[str, str, int, str]] = field(default_factory=dict)  # doc -> region, category, weight, affinity
    exclusions: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # doc -> bailiffs it left (replaced, redistributed)
    portfolios: dict[str, Portfolio] = field(default_factory=dict)
    docs: Proceedings = field(default_factory=Proceedings)
    licences: list[str] = field(default_factory=list)  # bailiffs in order of registration
    licence_index: dict[str, int] = field(default_factory=dict)
    absences: dict[int, Absence | None] = field(default_factory=dict)  # None once cancelled
    absences_of: dict[str, list[int]] = field(default_factory=dict)
    members: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (region, role) -> member ids
    applications: dict[int, Application] = field(default_factory=dict)
    state: DrawState = field(default_factory=DrawState)
    anchors: dict[int, list[Any]] = field(default_factory=dict)  # chain -> [length, last index, last value]
    open_round: OpenRound | None = None
    last_at: str = ""
    summary: Summary = field(default_factory=Summary)
    decode: Callable[[bytes], object] = canonical.decode  # verify's parallel pass checks the bytes apart

    def feed(self, index: int, body: bytes) -> None:
        if index != self.summary.events:
            raise Discrepancy(index, "?", f"expected the event at index {self.summary.events}")
        try:
            event = self.decode(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Discrepancy(index, "?", f"body is not canonical JSON ({exc})") from None
        if not isinstance(event, dict) or event.keys() != _BODY_KEYS:
            raise Discrepancy(index, "?", "body must be an object with exactly at, by, data, kind")
        kind = event["kind"]
        handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is None:
            raise Discrepancy(index, str(kind), "unknown event kind")
        self._check_time(index, kind, event["at"])
        try:
            handler(self, _Step(index, kind, event["at"], event["by"], body), event["data"])
        except Discrepancy:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise Discrepancy(index, kind, f"malformed data ({type(exc).__name__}: {exc})") from None
        self.summary.events += 1

    def _check_time(self, index: int, kind: str, at: object) -> None:
        if at == self.last_at:  # events of one transaction share their time: checked once
            return
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

    def _config_set(self, e: _Step, d: dict[str, Any]) -> None:
        name = d["name"]
        if name not in CONFIGURATIONS:
            raise e.fail("unknown configuration name", " or ".join(CONFIGURATIONS), name)
        versions = self.configs.setdefault(name, [])
        if d["version"] != len(versions) + 1:
            raise e.fail(f"{name} version out of order", len(versions) + 1, d["version"])
        effective = dt.date.fromisoformat(d["effective"]).isoformat()
        earliest = e.day if not versions else max(e.day + dt.timedelta(days=1), dt.date.fromisoformat(versions[-1][0]))
        if (versions and effective < earliest.isoformat()) or (not versions and effective > e.day.isoformat()):
            # A new version takes effect from a later day than it is issued, so no round already
            # sealed today changes its rules; the first version is in force from its issue.
            raise e.fail(f"{name} version {d['version']} takes effect too early", f">= {earliest}" if versions else f"<= {e.day}", effective)
        versions.append((effective, CONFIGURATIONS[name](d["value"])))

    def _config(self, name: str, day: dt.date) -> tuple[int, Any]:
        """The version of a configuration in force on `day`, with its parsed value."""
        text = day.isoformat()
        versions = self.configs.get(name) or []
        for number in range(len(versions), 0, -1):
            if versions[number - 1][0] <= text:
                return number, versions[number - 1][1]
        raise ValueError(f"no {name} configuration in force on {day}")

    def _bailiff_registered(self, e: _Step, d: dict[str, Any]) -> None:
        if d["licence"] in self.roster:
            raise e.fail(f"licence {d['licence']} is already registered")
        self._check_bailiff(e, d)
        self.roster[d["licence"]] = {
            **{k: d[k] for k in ("region", "district", "status", "chamber_head", "share_milli", "specialisations")},
            "self_suspended": False, "transfer_due": False,
        }
        self.licence_index[d["licence"]] = len(self.licences)
        self.licences.append(d["licence"])
        self.summary.bailiffs += 1

    def _bailiff_changed(self, e: _Step, d: dict[str, Any]) -> None:
        current = self._bailiff(e, d["licence"])
        unknown = set(d["changes"]) - {"chamber_head", "share_milli", "specialisations"}
        if unknown:
            # Status, region and district change only through licence events, which release the portfolio.
            raise e.fail(f"fields {sorted(unknown)} cannot change in a registry update")
        updated = {**current, **d["changes"]}
        self._check_bailiff(e, updated)
        if not updated["chamber_head"]:
            updated["self_suspended"] = False  # paragraph 17 is the head's own; it ends with the office
        self.roster[d["licence"]] = updated

    def _bailiff(self, e: _Step, licence: object) -> dict[str, Any]:
        current = self.roster.get(licence) if isinstance(licence, str) else None
        if current is None:
            raise e.fail(f"licence {licence} is not registered")
        return current

    @staticmethod
    def _check_bailiff(e: _Step, b: Mapping[str, Any]) -> None:
        if b["region"] not in REGIONS or b["status"] not in _STATUSES or not 1 <= b["share_milli"] <= 10_000:
            raise e.fail("region, status or share out of range", None, dict(b))

    # --- documents ---------------------------------------------------------

    def _document_registered(self, e: _Step, d: dict[str, Any]) -> None:
        expected_doc = self.summary.documents + 1
        if type(d["doc"]) is not int or d["doc"] != expected_doc:
            raise e.fail("document number out of order", expected_doc, d["doc"])
        if d["region"] not in REGIONS or d["category"] not in _CATEGORIES or d["channel"] not in _CHANNELS:
            raise e.fail("region, category or channel unknown", None, d)
        _, config = self._config("draw", e.day)
        if not 0 <= d["band"] <= len(config.band_edges_kzt):
            raise e.fail("band out of range", f"0..{len(config.band_edges_kzt)}", d["band"])
        weight = config.weight(d["category"], d["band"])
        if d["weight"] != weight:
            raise e.fail("weight does not match the weight table", weight, d["weight"])
        _check_affinity(e, d["affinity"])
        if len(d["commit"]) != 64:
            raise e.fail("commitment malformed")
        self.summary.documents += 1
        self.docs.register(d["category"] != Category.NON_PROPERTY)
        if d["channel"] == Channel.PRIVATE_BAILIFF:
            self.waiting[d["doc"]] = (d["region"], d["category"], d["weight"], d["affinity"])

    # --- rounds --------------------------------------------------------------

    def _beacon_anchor(self, e: _Step, d: dict[str, Any]) -> None:
        if d["chain"] != len(self.anchors) + 1 or d["source"] != "hashchain" or len(bytes.fromhex(d["anchor"])) != 32:
            raise e.fail("anchor out of order or malformed", len(self.anchors) + 1, d["chain"])
        self.anchors[d["chain"]] = [d["length"], 0, d["anchor"]]

    def _absences(self, licence: str, day: dt.date) -> Iterator[Absence]:
        """The bailiff's absences covering `day` (they may overlap: a leave, and an illness within it)."""
        for number in self.absences_of.get(licence, ()):
            absence = self.absences[number]
            if absence is not None and absence.covers(day):
                yield absence

    def release_due(self, licence: str, day: dt.date) -> ReleaseCause | None:
        """Why this bailiff's open documents must go back to the draw before a round is sealed on `day`."""
        b = self.roster[licence]
        if b["status"] != LicenceStatus.ACTIVE:
            return ReleaseCause.LICENCE
        if b["transfer_due"]:
            return ReleaseCause.TRANSFER
        config = self._config("procedures", day)[1]
        if any(absence.is_long(config) for absence in self._absences(licence, day)):  # any of them, not the first entered
            return ReleaseCause.LONG_ABSENCE
        return None

    def expected_seal(self, d: dict[str, Any], at: str) -> dict[str, Any]:
        """The seal that must follow from the log so far, given the parts only the operator knows
        (which documents were excluded for private conflicts) and the choice of beacon source."""
        day = kz_day(at)
        documents = sorted(self.waiting)
        regions = sorted({self.waiting[doc][0] for doc in documents})
        roster = [
            [lic, b["region"], b["status"], b["share_milli"], list(b["specialisations"]), next(self._absences(lic, day), None) is not None, b["self_suspended"]]
            for lic, b in sorted(self.roster.items()) if b["region"] in regions
        ]
        public = [  # only bailiffs of the document's region matter to its draw
            [doc, lic, reason] for doc, pairs in self.exclusions.items() if doc in self.waiting
            for lic, reason in pairs if self.roster[lic]["region"] == self.waiting[doc][0]
        ]
        conflicts = [x for x in d["excluded"] if isinstance(x, list) and len(x) == 3 and x[2] == Reason.CONFLICT]
        keys: dict[str, set[str]] = {iso: set() for iso in regions}
        for doc in documents:
            region, _, _, key = self.waiting[doc]
            keys[region].add(key)
        digest_state = DrawState({  # the affinity entries of this round's debtors, looked up, not scanned
            iso: RegionState(
                rs.vtime, rs.floor, rs.open_count, rs.load, {k: rs.affinity[k] for k in keys[iso] if k in rs.affinity},
            )
            for iso in regions for rs in [self.state.regions.get(iso, RegionState())]
        })
        if d["beacon"]["source"] == "hashchain":
            chain = len(self.anchors)
            beacon = {"source": "hashchain", "chain": chain, "index": self.anchors[chain][1] + 1}
        else:
            beacon = {"source": "drand-quicknet", "chain": QUICKNET.chain_hash, "index": target_round(QUICKNET, calendar.timegm(time.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ")))}
        return {
            "round": self.summary.rounds + 1,
            "day": day.isoformat(),
            "config": {"draw": self._config("draw", day)[0]},
            "documents": documents,
            "excluded": sorted(public + conflicts),
            "roster": roster,
            "beacon": beacon,
            "state": state_digest(digest_state),
        }

    def _round_sealed(self, e: _Step, d: dict[str, Any]) -> None:
        if self.open_round is not None:
            raise e.fail(f"round {self.open_round.number} is still open")
        for licence, portfolio in self.portfolios.items():
            if portfolio.live and (cause := self.release_due(licence, e.day)) is not None:
                raise e.fail(f"bailiff {licence} still holds {portfolio.live} open documents due for redistribution ({cause})")
        expected = self.expected_seal(d, e.at)
        diff = first_difference(expected, d)
        if diff:
            raise e.fail(f"seal differs at {diff[0]}", diff[1], diff[2])
        roster_regions = {lic: region for lic, region, *_ in d["roster"]}
        previous: tuple[int, str] | None = None
        for doc, licence, _reason in d["excluded"]:
            if doc not in self.waiting or roster_regions.get(licence) != self.waiting[doc][0]:
                raise e.fail("exclusion names a document or bailiff outside the round", None, [doc, licence])
            if previous is not None and (doc, licence) <= previous:
                raise e.fail("exclusions not sorted by document and licence, or repeated", None, [doc, licence])
            previous = (doc, licence)
        self.open_round = OpenRound(d["round"], d, e.body)

    def _round_randomness(self, e: _Step, d: dict[str, Any]) -> None:
        r = self.open_round
        if r is None or r.randomness is not None or d["round"] != r.number:
            raise e.fail("no sealed round waits for randomness", None if r is None else r.number, d["round"])
        beacon = r.seal["beacon"]
        if d["source"] != beacon["source"] or d["index"] != beacon["index"]:
            raise e.fail("not the beacon value the seal committed to", beacon, {"source": d["source"], "index": d["index"]})
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
            raise e.fail(f"randomness does not verify: {exc}") from None
        r.randomness = value

    def _round_drawn(self, e: _Step, d: dict[str, Any]) -> None:
        r = self.open_round
        if r is None or r.randomness is None or d["round"] != r.number:
            raise e.fail("no round with randomness waits to be drawn", None if r is None else r.number, d["round"])
        documents = {doc: self.waiting[doc] for doc in r.seal["documents"]}
        roster, docs = sealed_inputs(r.seal, documents)
        seed = round_seed(r.number, r.randomness, r.body)
        config = self.configs["draw"][r.seal["config"]["draw"] - 1][1]
        day = dt.date.fromisoformat(r.seal["day"])
        before = bailiff_states(self.state, roster)
        outcome = draw_round(self.state, roster, docs, day, seed, config)
        due = deadlines(day, self._config("procedures", day)[1])
        expected = {**drawn_data(r.number, seed, roster, self.state, outcome, before), "deadlines": due}
        diff = first_difference(expected, d)
        if diff:
            raise e.fail(f"draw differs at {diff[0]}", diff[1], diff[2])
        acknowledge_by = dt.date.fromisoformat(due[Overdue.ACKNOWLEDGE]).toordinal() - _DAY_ZERO
        initiate_by = dt.date.fromisoformat(due[Overdue.INITIATE]).toordinal() - _DAY_ZERO
        for region in outcome.values():
            for a in region.assignments:
                facts = self.waiting.pop(a.doc)
                position = self.portfolios.setdefault(a.licence, Portfolio()).add(a.doc, *facts)
                self.docs.assign(a.doc, self.licence_index[a.licence], position, acknowledge_by, initiate_by)
            self.summary.assignments += len(region.assignments)
        self.summary.pending = sum(len(o.pending) for o in outcome.values())
        self.summary.rounds += 1
        self.open_round = None

    # --- procedures (docs/ALGORITHM.md, section 9) -----------------------------

    def _release(self, licence: str, positions: list[int], reason: str) -> tuple[list[int], dict[str, int]]:
        """Take documents out of a bailiff's portfolio back to the waiting list, refunding their weight."""
        b = self.roster[licence]
        portfolio = self.portfolios[licence]
        released = []
        for position in positions:
            doc, facts = portfolio.docs[position], portfolio.facts_at(position)
            portfolio.drop(position)
            self.docs.leave(doc)
            rs = self.state.region(facts[0])
            rs.vtime[licence] -= facts[2] * UNIT // b["share_milli"]
            rs.open_count[licence] -= 1
            rs.load[licence] -= facts[2]
            self.waiting[doc] = facts
            self.exclusions.setdefault(doc, []).append((licence, reason))
            released.append(doc)
        # A portfolio's documents are all in one region (a transfer releases them before any new draw).
        return sorted(released), {"vtime": rs.vtime[licence], "open": rs.open_count[licence], "load": rs.load[licence]}

    def _release_one(self, e: _Step, licence: str, doc: int, reason: str, found: object) -> None:
        """One document leaves its bailiff (replaced or forwarded); `found` is the logged release."""
        position = self.docs.position[doc]
        region, _, _, key = self.portfolios[licence].facts_at(position)
        _, state = self._release(licence, [position], reason)
        ended = self._end_affinity(licence, region, key)
        self._check_release(e, found, {"licence": licence, "state": state, "affinity_ended": ended})
        self._tidy(licence)

    def _end_affinity(self, licence: str, region: str, key: str) -> str | None:
        """A debtor follows a bailiff while it holds an open proceeding against the debtor (section 10.3)."""
        affinity = self.state.region(region).affinity
        if affinity.get(key) != licence or self.portfolios[licence].holds_key(bytes.fromhex(key)):
            return None
        del affinity[key]
        return key

    def _tidy(self, licence: str) -> None:
        portfolio = self.portfolios[licence]
        if len(portfolio.docs) > 64 and 2 * portfolio.live < len(portfolio.docs):
            kept = self.portfolios[licence] = portfolio.compact()
            for position, doc in enumerate(kept.docs):
                self.docs.position[doc] = position

    def _open_at(self, e: _Step, licence: object, doc: object) -> int:
        """The stage of `doc` if it is a proceeding `licence` holds (open or closed), else a discrepancy."""
        index = self.licence_index.get(licence) if isinstance(licence, str) else None
        if type(doc) is not int or not 0 < doc < len(self.docs.has_amount) or index is None or self.docs.holder[doc] != index:
            raise e.fail(f"document {doc} is not an open proceeding of {licence}")
        return self.docs.stage[doc]

    def _check_release(self, e: _Step, found: object, expected: dict[str, Any]) -> None:
        diff = first_difference(expected, found)
        if diff:
            raise e.fail(f"release differs at {diff[0]}", diff[1], diff[2])

    def _chamber_member(self, e: _Step, d: dict[str, Any]) -> None:
        if d["region"] not in REGIONS or d["role"] not in {str(r) for r in MemberRole} or not isinstance(d["active"], bool):
            raise e.fail("region, role or active flag malformed", None, d)
        if not (e.role == "ministry" or self._is_head_of(e, d["region"])):
            raise e.fail("only the ministry or the region's chamber head appoints members", None, e.by)
        members = self.members.setdefault((d["region"], d["role"]), set())
        if (d["member"] in members) == d["active"]:
            raise e.fail(f"member {d['member']} is already {'appointed' if d['active'] else 'not a member'}")
        (members.add if d["active"] else members.discard)(d["member"])

    def _is_head_of(self, e: _Step, region: str) -> bool:
        b = self.roster.get(e.id)
        return e.role == "chamber_head" and b is not None and b["chamber_head"] and b["region"] == region

    def _may_enter_absence(self, e: _Step, licence: str) -> bool:
        region = self.roster[licence]["region"]
        return (
            (e.role == "bailiff" and e.id == licence)
            or self._is_head_of(e, region)
            or (e.role == "chamber" and e.id in self.members.get((region, MemberRole.STAFF), ()))
        )

    def _absence_recorded(self, e: _Step, d: dict[str, Any]) -> None:
        if d["absence"] != len(self.absences) + 1:
            raise e.fail("absence number out of order", len(self.absences) + 1, d["absence"])
        self._bailiff(e, d["licence"])
        if not self._may_enter_absence(e, d["licence"]):
            raise e.fail("only the bailiff, the chamber head or chamber staff of the region enter absences", None, e.by)
        start, end = dt.date.fromisoformat(d["from"]), dt.date.fromisoformat(d["to"])
        refusal = new_absence_refusal(start, end, e.day)
        if refusal:
            raise e.fail(refusal, None, d)
        self.absences[d["absence"]] = Absence(d["licence"], start, end)
        self.absences_of.setdefault(d["licence"], []).append(d["absence"])

    def _known_absence(self, e: _Step, number: object) -> Absence:
        absence = self.absences.get(number) if isinstance(number, int) else None
        if absence is None:
            raise e.fail(f"absence {number} is not recorded or was cancelled")
        if not self._may_enter_absence(e, absence.licence):
            raise e.fail("only the bailiff, the chamber head or chamber staff of the region change absences", None, e.by)
        return absence

    def _absence_changed(self, e: _Step, d: dict[str, Any]) -> None:
        old = self._known_absence(e, d["absence"])
        start, end = dt.date.fromisoformat(d["from"]), dt.date.fromisoformat(d["to"])
        refusal = absence_change_refusal(old, start, end, e.day)
        if refusal:
            raise e.fail(refusal, None, d)
        self.absences[d["absence"]] = Absence(old.licence, start, end)

    def _absence_cancelled(self, e: _Step, d: dict[str, Any]) -> None:
        refusal = absence_cancel_refusal(self._known_absence(e, d["absence"]), e.day)
        if refusal:
            raise e.fail(refusal)
        self.absences[d["absence"]] = None

    def _self_suspension(self, e: _Step, d: dict[str, Any]) -> None:
        b = self._bailiff(e, d["licence"])
        if not (e.role == "chamber_head" and e.id == d["licence"] and b["chamber_head"]):
            raise e.fail("paragraph 17: only a chamber head, for himself or herself", None, e.by)
        if b["self_suspended"] == d["suspended"]:
            raise e.fail(f"distribution to {d['licence']} is already {'suspended' if d['suspended'] else 'running'}")
        b["self_suspended"] = d["suspended"]

    def _licence_event(self, e: _Step, d: dict[str, Any]) -> None:
        b = self._bailiff(e, d["licence"])
        if e.role not in ("ministry", "republican_chamber"):
            raise e.fail("licence events come from the ministry or the Republican Chamber", None, e.by)
        self._no_round_open(e)  # a bailiff who leaves must not then receive documents of a round sealed before
        action = LicenceAction(d["action"])
        changes = d["changes"]
        if not isinstance(d["reference"], str) or not d["reference"].strip():
            raise e.fail("reference: the act's reference is required")
        refusal = licence_refusal(action, LicenceStatus(b["status"]), b["region"], b["district"], changes.get("region"), changes.get("district"))
        if refusal:
            raise e.fail(refusal, None, d)
        status, _ = LICENCE_TRANSITIONS[action]
        expected_keys = {"status"} if status is not None else {"district"} | ({"region"} if "region" in changes else set())
        if set(changes) != expected_keys or (status is not None and changes["status"] != status) or changes.get("region", b["region"]) not in REGIONS:
            raise e.fail("changes do not match the action", sorted(expected_keys), changes)
        b.update(changes)
        if action is LicenceAction.TRANSFERRED and self.portfolios.get(d["licence"], Portfolio()).live:
            b["transfer_due"] = True
        if action in RELEASING_ACTIONS:
            self._drop_affinity(d["licence"])

    def _drop_affinity(self, licence: str) -> None:
        """Debtors no longer follow a bailiff who left: their next documents are drawn afresh."""
        for rs in self.state.regions.values():
            for key in [k for k, v in rs.affinity.items() if v == licence]:
                del rs.affinity[key]

    def _portfolio_released(self, e: _Step, d: dict[str, Any]) -> None:
        licence = d["licence"]
        self._bailiff(e, licence)
        portfolio = self.portfolios.get(licence)
        if portfolio is None or not portfolio.live:
            raise e.fail(f"bailiff {licence} holds no open documents")
        self._no_round_open(e)
        due = self.release_due(licence, e.day)
        if due is None or d["cause"] != due:
            raise e.fail("no cause for redistribution", due, d["cause"])
        self._drop_affinity(licence)  # no open proceeding is left to keep a debtor with this bailiff
        documents, state = self._release(licence, portfolio.open_positions(), str(Reason.REDISTRIBUTED))
        self.portfolios[licence] = Portfolio()
        self._check_release(e, d, {"licence": licence, "cause": str(due), "documents": documents, "state": state})
        self.roster[licence]["transfer_due"] = False
        self.summary.released += len(documents)

    def _no_round_open(self, e: _Step) -> None:
        if self.open_round is not None:
            raise e.fail(f"round {self.open_round.number} is sealed and not drawn: documents cannot move now")

    def _application_filed(self, e: _Step, d: dict[str, Any]) -> None:
        if d["application"] != len(self.applications) + 1:
            raise e.fail("application number out of order", len(self.applications) + 1, d["application"])
        if e.role != "claimant":
            raise e.fail("paragraph 12 applications are filed by the claimant", None, e.by)
        Grounds(d["grounds"])
        licence, doc = d["licence"], d["doc"]
        stage = self._open_at(e, licence, doc)
        if stage == Stage.CLOSED:
            raise e.fail(f"document {doc} is closed")
        overdue = overdue_steps(
            Stage(stage), e.day, dt.date.fromordinal(_DAY_ZERO + self.docs.acknowledge_by[doc]),
            dt.date.fromordinal(_DAY_ZERO + self.docs.initiate_by[doc]),
        )
        if d["overdue"] != overdue:
            raise e.fail("overdue is not the deadlines missed on filing", overdue, d["overdue"])
        if any(a.doc == doc and not a.decided for a in self.applications.values()):
            raise e.fail(f"document {doc} already has an application under review")
        _, config = self._config("procedures", e.day)
        deadline = add_working_days(e.day, config.decision_working_days).isoformat()
        if d["deadline"] != deadline:
            raise e.fail("deadline is not the configured number of working days after filing", deadline, d["deadline"])
        if d["region"] != self.roster[licence]["region"]:
            raise e.fail("region is not the bailiff's", self.roster[licence]["region"], d["region"])
        self.applications[d["application"]] = Application(doc, licence, d["region"])
        self.summary.applications += 1

    def _application_decided(self, e: _Step, d: dict[str, Any]) -> None:
        application = self.applications.get(d["application"])
        if application is None or application.decided or application.doc != d["doc"]:
            raise e.fail(f"application {d['application']} for document {d['doc']} is not under review")
        if e.role != "commission" or e.id not in self.members.get((application.region, MemberRole.COMMISSION), ()):
            raise e.fail(f"only a member of the {application.region} disciplinary commission decides", None, e.by)
        decision = Decision(d["decision"])
        if not isinstance(d["reference"], str) or not d["reference"].strip():
            raise e.fail("reference: the decision's reference is required")
        if decision is Decision.GRANTED and self._holds_open(application.licence, application.doc):
            self._no_round_open(e)
            self._release_one(e, application.licence, application.doc, str(Reason.REPLACED), d["released"])
            self.summary.released += 1
        else:
            self._check_release(e, d["released"], None)  # type: ignore[arg-type]
        application.decided = True

    def _holds_open(self, licence: str, doc: int) -> bool:
        return self.docs.holder[doc] == self.licence_index[licence] and Stage.NONE < self.docs.stage[doc] < Stage.CLOSED

    def _document_forwarded(self, e: _Step, d: dict[str, Any]) -> None:
        doc = d["doc"]
        if d["to"] not in REGIONS or d["basis"] not in _BASES:
            raise e.fail("region or basis unknown", None, d)
        _check_affinity(e, d["affinity"])
        self._no_round_open(e)
        # An assigned document names the bailiff it leaves; that is checked against the portfolio.
        holder = d["released"]["licence"] if isinstance(d["released"], dict) else None
        if holder is not None:
            if self._open_at(e, holder, doc) == Stage.CLOSED:
                raise e.fail(f"document {doc} is closed")
            if not ((e.role == "bailiff" and e.id == holder) or self._is_head_of(e, self.roster[holder]["region"])):
                raise e.fail("an assigned document is forwarded by its bailiff or the chamber head", None, e.by)
            self._release_one(e, holder, doc, str(Reason.REDISTRIBUTED), d["released"])
        elif doc in self.waiting:
            if e.role not in ("system", "chamber_head", "chamber"):
                raise e.fail("a waiting document is forwarded at intake or by the chamber", None, e.by)
            self._check_release(e, d["released"], None)  # type: ignore[arg-type]
        else:
            raise e.fail(f"document {doc} is not waiting, and no bailiff it leaves is named")
        region, category, weight, _ = self.waiting[doc]
        if d["from"] != region or d["to"] == region:
            raise e.fail("forwarded from a region other than the document's, or to the same", region, [d["from"], d["to"]])
        self.waiting[doc] = (d["to"], category, weight, d["affinity"])
        self.exclusions.pop(doc, None)  # they named bailiffs of the region it leaves
        self.summary.forwarded += 1

    # --- proceedings after the draw (docs/ALGORITHM.md, section 10) ---------------------

    def _history_imported(self, e: _Step, d: dict[str, Any]) -> None:
        if e.role not in ("ministry", "operator"):
            raise e.fail("historical records are imported by the ministry or the operator", None, e.by)
        if d["batch"] != self.summary.history_batches + 1 or d["first"] != self.summary.history + 1:
            raise e.fail("batch or first record out of order", [self.summary.history_batches + 1, self.summary.history + 1], [d["batch"], d["first"]])
        if not d["records"] or len(d["commit"]) != 64:
            raise e.fail("a batch holds at least one record and a commitment")
        for offset, record in enumerate(d["records"]):
            refusal = _historical_refusal(record)
            if refusal:
                raise e.fail(f"record {d['first'] + offset}: {refusal}", None, record)
        self.summary.history_batches += 1
        self.summary.history += len(d["records"])

    def _step(self, e: _Step, d: dict[str, Any], step: Step, fields: frozenset[str]) -> int:
        """Checks every step shares: its fields, that its bailiff records it, and that the stage allows it."""
        if d.keys() != fields:
            raise e.fail(f"fields of {e.kind} are not {sorted(fields)}", sorted(fields), sorted(d))
        if e.by.get("role") != "bailiff" or e.by.get("id") != d["licence"]:
            raise e.fail("a proceeding's steps are recorded by the bailiff who holds it", d["licence"], e.by)
        doc = d["doc"]
        stage = self._open_at(e, d["licence"], doc)
        after, allowed = TRANSITIONS[step]
        if stage not in allowed:
            raise e.fail(str(step_refusal(step, Stage(stage))))
        self.docs.stage[doc] = after
        return doc  # type: ignore[no-any-return]

    def _acknowledged(self, e: _Step, d: dict[str, Any]) -> None:
        self._step(e, d, Step.ACKNOWLEDGED, _PLAIN)

    def _initiated(self, e: _Step, d: dict[str, Any]) -> None:
        self._step(e, d, Step.INITIATED, _COMMITTED)

    def _resumed(self, e: _Step, d: dict[str, Any]) -> None:
        self._step(e, d, Step.RESUMED, _COMMITTED)

    def _suspended(self, e: _Step, d: dict[str, Any]) -> None:
        doc = self._step(e, d, Step.SUSPENDED, _COMMITTED | {"suspension"})
        number = self.docs.suspensions[doc] + 1
        if type(d["suspension"]) is not int or d["suspension"] != number:
            raise e.fail("suspension number out of order", number, d["suspension"])
        self.docs.suspensions[doc] = number

    def _recovered(self, e: _Step, d: dict[str, Any]) -> None:
        doc = self._step(e, d, Step.RECOVERED, _COMMITTED | {"recovered_bp"})
        if not self.docs.has_amount[doc]:
            raise e.fail(f"document {doc} is non-property: there is no amount to recover")
        before, after = self.docs.recovered_bp[doc], d["recovered_bp"]
        if type(after) is not int or not before <= after <= FULL_BP:
            raise e.fail("recovered_bp must not fall and is at most 10000", f"{before}..{FULL_BP}", after)
        self.docs.recovered_bp[doc] = after

    def _closed(self, e: _Step, d: dict[str, Any]) -> None:
        licence = d["licence"]
        doc = self._step(e, d, Step.CLOSED, _COMMITTED | {"reason", "recovered_bp", "state", "affinity_ended"})
        self._no_round_open(e)  # the bailiff's open count and the debtor's affinity are inputs of the next draw
        reason = ClosureReason(d["reason"])
        bp, has_amount = self.docs.recovered_bp[doc], bool(self.docs.has_amount[doc])
        refusal = closure_refusal(reason, bp, has_amount)
        if refusal:
            raise e.fail(refusal)
        final_bp = FULL_BP if reason is ClosureReason.RECOVERED else bp  # a non-property document executed in full
        position = self.docs.position[doc]
        portfolio = self.portfolios[licence]
        region, _, weight, key = portfolio.facts_at(position)
        portfolio.drop(position)
        rs = self.state.region(region)
        rs.open_count[licence] -= 1
        rs.load[licence] -= weight
        expected = {
            "reason": str(reason), "recovered_bp": final_bp, "state": {"load": rs.load[licence], "open": rs.open_count[licence]},
            "affinity_ended": self._end_affinity(licence, region, key),
        }
        self._check_release(e, {k: d[k] for k in expected}, expected)
        self.docs.recovered_bp[doc] = final_bp
        self._tidy(licence)
        self.summary.closed += 1


@dataclass(frozen=True, slots=True)
class _Step:
    """The event being replayed: its index, kind, time, actor and bytes."""

    index: int
    kind: str
    at: str
    by: dict[str, Any]
    body: bytes

    @property
    def day(self) -> dt.date:
        """The event's date in Kazakhstan."""
        return kz_day(self.at)

    @property
    def role(self) -> str:
        return str(self.by.get("role"))

    @property
    def id(self) -> str:
        return str(self.by.get("id"))

    def fail(self, what: str, expected: object = None, found: object = None) -> Discrepancy:
        return Discrepancy(self.index, self.kind, what, expected, found)


def _historical_refusal(record: object) -> str | None:
    if not isinstance(record, list) or len(record) != 8:
        return "a record is [region, claimant_kind, licence, lodged, initiated, closed, outcome, recovered_bp]"
    region, kind, licence, lodged, initiated, closed, outcome, bp = record
    if region not in REGIONS or kind not in _CLAIMANT_KINDS or not isinstance(licence, str) or not 0 < len(licence) <= 32:
        return "region, claimant_kind or licence malformed"
    if lodged is None or not all(x is None or _is_date(x) for x in (lodged, initiated, closed)):
        return "dates are YYYY-MM-DD, lodged required"
    if (initiated is not None and initiated < lodged) or (closed is not None and (initiated is None or closed < initiated)):
        return "dates out of order (lodged <= initiated <= closed, closed only after initiated)"
    if (closed is None) != (outcome is None) or (outcome is not None and outcome not in _CLOSURE_REASONS):
        return "outcome is a closure reason exactly when closed is given"
    if not isinstance(bp, int) or not 0 <= bp <= FULL_BP or (bp == FULL_BP and closed is not None and outcome != ClosureReason.RECOVERED):
        return "recovered_bp is 0 to 10000, and 10000 for a closed record only with outcome recovered"
    return None


@lru_cache(maxsize=4096)
def _is_date(text: object) -> bool:
    """A date in YYYY-MM-DD form (records of a year share a few hundred dates: each is parsed once)."""
    try:
        return isinstance(text, str) and dt.date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


_CLAIMANT_KINDS = frozenset(k.value for k in ClaimantKind)
_CLOSURE_REASONS = frozenset(r.value for r in ClosureReason)
_BODY_KEYS = frozenset({"at", "by", "data", "kind"})
_DAY_ZERO = dt.date(2000, 1, 1).toordinal()
_PLAIN = frozenset({"doc", "licence"})
_COMMITTED = _PLAIN | {"commit"}
_AFFINITY_SHAPE = re.compile(r"[0-9a-f]{32}")


def _check_affinity(e: _Step, key: object) -> None:
    if not isinstance(key, str) or _AFFINITY_SHAPE.fullmatch(key) is None:
        raise e.fail("affinity key malformed", "32 lowercase hex digits", key)


_HANDLERS: dict[str, Callable[[Replayer, _Step, dict[str, Any]], None]] = {
    EventKind.CONFIG_SET: Replayer._config_set,
    EventKind.BAILIFF_REGISTERED: Replayer._bailiff_registered,
    EventKind.BAILIFF_CHANGED: Replayer._bailiff_changed,
    EventKind.DOCUMENT_REGISTERED: Replayer._document_registered,
    EventKind.BEACON_ANCHOR: Replayer._beacon_anchor,
    EventKind.ROUND_SEALED: Replayer._round_sealed,
    EventKind.ROUND_RANDOMNESS: Replayer._round_randomness,
    EventKind.ROUND_DRAWN: Replayer._round_drawn,
    EventKind.MEMBER_SET: Replayer._chamber_member,
    EventKind.ABSENCE_RECORDED: Replayer._absence_recorded,
    EventKind.ABSENCE_CHANGED: Replayer._absence_changed,
    EventKind.ABSENCE_CANCELLED: Replayer._absence_cancelled,
    EventKind.SELF_SUSPENSION: Replayer._self_suspension,
    EventKind.LICENCE_EVENT: Replayer._licence_event,
    EventKind.PORTFOLIO_RELEASED: Replayer._portfolio_released,
    EventKind.APPLICATION_FILED: Replayer._application_filed,
    EventKind.APPLICATION_DECIDED: Replayer._application_decided,
    EventKind.DOCUMENT_FORWARDED: Replayer._document_forwarded,
    EventKind.PROCEEDING_ACKNOWLEDGED: Replayer._acknowledged,
    EventKind.PROCEEDING_INITIATED: Replayer._initiated,
    EventKind.PROCEEDING_RECOVERED: Replayer._recovered,
    EventKind.PROCEEDING_SUSPENDED: Replayer._suspended,
    EventKind.PROCEEDING_RESUMED: Replayer._resumed,
    EventKind.PROCEEDING_CLOSED: Replayer._closed,
    EventKind.HISTORY_IMPORTED: Replayer._history_imported,
}
