"""The draw of one sealed round (docs/ALGORITHM.md, section 7).

Pure: the caller passes the roster, the draw state before the round, the
sealed documents, the round's date and seed; `draw_round` returns who gets
what and updates the state. The same inputs give the same result in every
language that follows the specification.

Balance works on virtual times (as in weighted fair queuing): a bailiff's
virtual time Y grows by weight / share with every document it receives, so
equal Y means equal work per unit of share. A bailiff who was not eligible
is lifted to the region's floor when it returns, so fair share accrues only
while eligible and nobody is flooded after a leave. Within a round the
documents are taken in a random order (heaviest first); each is drawn among
the bailiffs whose virtual time stays within the guard of the lowest, with
chances proportional to what the bailiff still lacks to reach the round's
water level. Hence every document's chances are spread over the whole region
while the weighted loads stay within the guard of each other.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import accumulate

from casedraw.draw.config import DrawConfig
from casedraw.draw.rng import Stream, derive

# Virtual time advances by VT_PER_WEIGHT for one unit of weight at a full
# share (1000 thousandths); quotas are counted in share_milli * virtual time,
# so one unit of weight is UNIT = 1000 * VT_PER_WEIGHT of quota.
VT_PER_WEIGHT = 10**6
UNIT = 1000 * VT_PER_WEIGHT


class Reason(StrEnum):
    """Why a bailiff cannot receive a document, in the order they are checked."""

    NOT_ACTIVE = "licence_not_active"  # suspended, terminated, revoked or expelled
    ABSENT = "absent"  # leave or illness on the round's date
    SELF_SUSPENDED = "self_suspended"  # chamber head, paragraph 17
    CONFLICT = "conflict_of_interest"  # declared link with the claimant or the debtor
    REPLACED = "replaced"  # removed from this document under paragraph 12
    SPECIALISATION = "specialisation"  # the category requires one the bailiff lacks
    CAPACITY = "capacity"  # open proceedings at the configured cap


@dataclass(frozen=True, slots=True)
class RosterEntry:
    licence: str
    region: str
    status: str
    share_milli: int = 1000
    specialisations: frozenset[str] = frozenset()
    absences: tuple[tuple[dt.date, dt.date], ...] = ()  # inclusive date ranges
    self_suspended: bool = False

    def roster_reason(self, day: dt.date) -> Reason | None:
        if self.status != "active":
            return Reason.NOT_ACTIVE
        if any(start <= day <= end for start, end in self.absences):
            return Reason.ABSENT
        if self.self_suspended:
            return Reason.SELF_SUSPENDED
        return None


@dataclass(frozen=True, slots=True)
class SealedDoc:
    doc: int
    region: str
    category: str
    weight: int
    affinity_key: str | None = None
    excluded: tuple[tuple[str, str], ...] = ()  # (licence, reason) fixed at sealing: conflicts, replacements


@dataclass
class RegionState:
    vtime: dict[str, int] = field(default_factory=dict)
    floor: int = 0
    open_count: dict[str, int] = field(default_factory=dict)
    load: dict[str, int] = field(default_factory=dict)  # weight received, for reporting
    affinity: dict[str, str] = field(default_factory=dict)  # affinity key -> licence

    def copy(self) -> RegionState:
        return RegionState(dict(self.vtime), self.floor, dict(self.open_count), dict(self.load), dict(self.affinity))


@dataclass
class DrawState:
    regions: dict[str, RegionState] = field(default_factory=dict)

    def region(self, iso: str) -> RegionState:
        return self.regions.setdefault(iso, RegionState())

    def copy(self) -> DrawState:
        return DrawState({iso: rs.copy() for iso, rs in self.regions.items()})


@dataclass(frozen=True, slots=True)
class Assignment:
    doc: int
    licence: str
    how: str  # "draw" or "affinity"


@dataclass(frozen=True, slots=True)
class Pending:
    doc: int
    reasons: tuple[tuple[str, int], ...]  # why nobody was eligible: reason -> number of bailiffs


@dataclass
class RegionOutcome:
    excluded: dict[str, str] = field(default_factory=dict)  # licence -> roster reason
    assignments: list[Assignment] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)
    new_affinity: list[tuple[str, str]] = field(default_factory=list)  # affinity keys first mapped in this round


# Called after each assignment with (region, virtual times of the eligible bailiffs); for measurement only.
Observer = Callable[[str, list[int]], None]


def region_seed(seed: bytes, region: str) -> bytes:
    return derive(b"casedraw/draw/v1/region", seed, region.encode("ascii"))


def draw_round(
    state: DrawState,
    roster: Sequence[RosterEntry],
    docs: Sequence[SealedDoc],
    day: dt.date,
    seed: bytes,
    config: DrawConfig,
    observer: Observer | None = None,
) -> dict[str, RegionOutcome]:
    """Assign a sealed round's documents; updates `state`. Regions are independent."""
    by_region: dict[str, list[SealedDoc]] = {}
    for doc in docs:
        by_region.setdefault(doc.region, []).append(doc)
    entries_by_region: dict[str, list[RosterEntry]] = {}
    for entry in roster:
        entries_by_region.setdefault(entry.region, []).append(entry)
    return {
        iso: _draw_region(
            iso, state.region(iso), sorted(entries_by_region.get(iso, []), key=lambda e: e.licence),
            sorted(region_docs, key=lambda d: d.doc), day, Stream(region_seed(seed, iso)), config, observer,
        )
        for iso, region_docs in sorted(by_region.items())
    }


def water_level_quotas(vtimes: Sequence[int], shares: Sequence[int], total_weight: int) -> list[int]:
    """Quotas that would bring the lowest virtual times up to one common level.

    The level is the smallest integer L with sum(share * max(0, L - Y)) >= total_weight * UNIT;
    each bailiff's quota is share * max(0, L - Y).
    """
    need = total_weight * UNIT
    order = sorted(range(len(vtimes)), key=lambda i: (vtimes[i], i))
    share_sum = weighted_sum = 0
    level = 0
    for position, i in enumerate(order):
        share_sum += shares[i]
        weighted_sum += shares[i] * vtimes[i]
        level = -(-(need + weighted_sum) // share_sum)  # ceiling division
        if position + 1 == len(order) or level <= vtimes[order[position + 1]]:
            break
    return [shares[i] * max(0, level - vtimes[i]) for i in range(len(vtimes))]


def _draw_region(
    iso: str,
    rs: RegionState,
    entries: list[RosterEntry],
    docs: list[SealedDoc],
    day: dt.date,
    stream: Stream,
    config: DrawConfig,
    observer: Observer | None,
) -> RegionOutcome:
    outcome = RegionOutcome()
    eligible: list[RosterEntry] = []
    for entry in entries:
        reason = entry.roster_reason(day)
        if reason is None:
            eligible.append(entry)
        else:
            outcome.excluded[entry.licence] = str(reason)

    licences = [e.licence for e in eligible]
    position = {lic: i for i, lic in enumerate(licences)}
    shares = [e.share_milli for e in eligible]
    vt = [max(rs.vtime.get(lic, 0), rs.floor) for lic in licences]  # returning bailiffs start at the floor
    # Quotas for at least one document of the heaviest weight per eligible bailiff: a small round
    # spreads its chances over the region instead of handing each document to the lowest bailiff.
    need = max(sum(d.weight for d in docs), len(eligible) * max((d.weight for d in docs), default=0))
    quota = water_level_quotas(vt, shares, need) if eligible else []
    everyone = list(range(len(eligible)))
    guard_vt = config.guard * VT_PER_WEIGHT
    step_cache: dict[int, list[int]] = {}

    order = list(docs)
    stream.shuffle(order)
    order.sort(key=lambda d: -d.weight)  # stable: random order among equal weights

    for doc in order:
        candidates = everyone
        if doc.excluded or doc.category in config.requires_specialisation or config.capacity_cap is not None:
            candidates = _doc_candidates(doc, eligible, rs, config)
        if not candidates:
            outcome.pending.append(Pending(doc.doc, _pending_reasons(doc, entries, outcome.excluded, eligible, rs, config)))
            continue
        weight = doc.weight
        steps = step_cache.get(weight)
        if steps is None:
            steps = step_cache[weight] = [weight * UNIT // s for s in shares]

        bound = min(vt) + guard_vt  # the guard holds against every eligible bailiff of the region
        chosen = -1
        how = "draw"
        if config.affinity and doc.affinity_key is not None:
            previous = rs.affinity.get(doc.affinity_key)
            i = position.get(previous, -1) if previous is not None else -1
            if i >= 0 and i in candidates and vt[i] + steps[i] <= bound:  # consolidation yields to the guard
                chosen, how = i, "affinity"
        if chosen < 0:
            chosen = _choose(candidates, vt, steps, quota, bound, stream)

        licence = licences[chosen]
        vt[chosen] += steps[chosen]
        quota[chosen] -= weight * UNIT
        rs.open_count[licence] = rs.open_count.get(licence, 0) + 1
        rs.load[licence] = rs.load.get(licence, 0) + weight
        if doc.affinity_key is not None and doc.affinity_key not in rs.affinity:
            rs.affinity[doc.affinity_key] = licence
            outcome.new_affinity.append((doc.affinity_key, licence))
        outcome.assignments.append(Assignment(doc.doc, licence, how))
        if observer is not None:
            observer(iso, vt)

    for lic, value in zip(licences, vt, strict=True):
        rs.vtime[lic] = value
    if eligible:
        rs.floor = min(vt)
    return outcome


def _choose(candidates: list[int], vt: list[int], steps: list[int], quota: list[int], bound: int, stream: Stream) -> int:
    """Among bailiffs kept within the guard, draw with chances proportional to remaining quota."""
    within = [i for i in candidates if vt[i] + steps[i] <= bound]
    if not within:  # exclusions or a low share leave nobody within the guard: take the earliest finishers
        earliest = min(vt[i] + steps[i] for i in candidates)
        within = [i for i in candidates if vt[i] + steps[i] == earliest]
    tickets = [q if (q := quota[i]) > 0 else 0 for i in within]
    total = sum(tickets)
    if total == 0:
        return within[stream.uniform(len(within))]
    return within[bisect_right(list(accumulate(tickets)), stream.uniform(total))]


def _doc_exclusion(doc: SealedDoc, entry: RosterEntry, rs: RegionState, config: DrawConfig) -> str | None:
    for licence, reason in doc.excluded:
        if licence == entry.licence:
            return reason
    if doc.category in config.requires_specialisation and doc.category not in entry.specialisations:
        return str(Reason.SPECIALISATION)
    if config.capacity_cap is not None and rs.open_count.get(entry.licence, 0) >= config.capacity_cap:
        return str(Reason.CAPACITY)
    return None


def _doc_candidates(doc: SealedDoc, eligible: list[RosterEntry], rs: RegionState, config: DrawConfig) -> list[int]:
    return [i for i, entry in enumerate(eligible) if _doc_exclusion(doc, entry, rs, config) is None]


def _pending_reasons(
    doc: SealedDoc, entries: list[RosterEntry], excluded: dict[str, str], eligible: list[RosterEntry], rs: RegionState, config: DrawConfig,
) -> tuple[tuple[str, int], ...]:
    if not entries:
        return (("no_bailiff_in_region", 0),)
    counts = Counter(excluded[e.licence] for e in entries if e.licence in excluded)
    counts.update(r for e in eligible if (r := _doc_exclusion(doc, e, rs, config)) is not None)
    return tuple(sorted(counts.items()))
