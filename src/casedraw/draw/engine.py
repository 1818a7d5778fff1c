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
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import StrEnum
from heapq import heapify, heappop, heappush
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
    REDISTRIBUTED = "redistributed"  # the document left this bailiff's portfolio (licence event, long absence, territoriality)
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
    guard: _Guard | None = None
    if eligible:
        # Weights >= 0 and shares > 0 make virtual times only grow, which _Guard relies on.
        increasing = min(shares) > 0 and all(d.weight >= 0 for d in docs)
        guard = (_Guard if increasing else _Rescan)(vt, quota, config.guard * VT_PER_WEIGHT)
    weight: int | None = None  # the weight `guard` is set up for: documents come heaviest first, so it changes rarely

    # Document exclusions as sets of positions, found without a call per bailiff (they can only block, never add).
    requires, cap = config.requires_specialisation, config.capacity_cap
    unique = len(position) == len(licences)  # else the position of a licence is ambiguous: ask _doc_candidates
    lacking: dict[str, set[int]] = {}  # category -> eligible bailiffs without its specialisation
    capped = {i for i, lic in enumerate(licences) if rs.open_count.get(lic, 0) >= cap} if cap is not None else set()

    order = list(docs)
    stream.shuffle(order)
    order.sort(key=lambda d: -d.weight)  # stable: random order among equal weights

    for doc in order:
        blocked: AbstractSet[int] = _NOBODY
        if doc.excluded or doc.category in requires or cap is not None:
            if unique:
                blocked = {position[lic] for lic, _ in doc.excluded if lic in position}
                if doc.category in requires:
                    if doc.category not in lacking:
                        lacking[doc.category] = {i for i, e in enumerate(eligible) if doc.category not in e.specialisations}
                    blocked |= lacking[doc.category]
                blocked |= capped
            else:
                blocked = set(everyone).difference(_doc_candidates(doc, eligible, rs, config))
        if len(blocked) == len(eligible):  # no candidate
            outcome.pending.append(Pending(doc.doc, _pending_reasons(doc, entries, outcome.excluded, eligible, rs, config)))
            continue
        assert guard is not None
        if doc.weight != weight:
            weight = doc.weight
            guard.set_steps([weight * UNIT // s for s in shares])
        steps = guard.steps

        chosen = -1
        how = "draw"
        if config.affinity and doc.affinity_key is not None:
            previous = rs.affinity.get(doc.affinity_key)
            i = position.get(previous, -1) if previous is not None else -1
            if i >= 0 and i not in blocked and vt[i] + steps[i] <= guard.bound:  # consolidation yields to the guard
                chosen, how = i, "affinity"
        if chosen < 0:
            chosen = guard.draw(blocked, stream)
        if chosen < 0:  # nobody with tickets within the guard: the rare cases, by the rule as written
            candidates = everyone if not blocked else [i for i in everyone if i not in blocked]
            chosen = _choose(candidates, vt, steps, quota, guard.bound, stream)

        licence = licences[chosen]
        guard.assign(chosen, weight * UNIT)  # updates vt and quota as well
        rs.open_count[licence] = rs.open_count.get(licence, 0) + 1
        if cap is not None and rs.open_count[licence] >= cap:
            capped.add(chosen)
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


_NOBODY: frozenset[int] = frozenset()


class _Guard:
    """The draw's bookkeeping, kept up to date per assignment instead of rescanning the region per document.

    `inside[i]` says whether bailiff i is within the guard for the current weight
    (vt + step <= bound); `held[i]` is its tickets, max(quota, 0), if inside and 0
    otherwise, summed in a Fenwick tree so a draw costs O(log k). Virtual times only
    grow, so the bound (lowest vt + guard) only rises: a bailiff leaves only when it
    receives a document, and enters only when the bound reaches its vt + step, which
    the heap `outside` yields in order. The tree's leaves are padded to a power of two,
    so its last node is the total.
    """

    __slots__ = ("vt", "quota", "guard_vt", "low", "bound", "steps", "size", "tree", "held", "inside", "outside")

    def __init__(self, vt: list[int], quota: list[int], guard_vt: int):
        self.vt, self.quota, self.guard_vt = vt, quota, guard_vt
        self.low = min(vt)
        self.bound = self.low + guard_vt
        self.size = 1 << (len(vt) - 1).bit_length()
        self.steps: list[int] = []
        self.tree: list[int] = []
        self.held: list[int] = []
        self.inside: list[bool] = []
        self.outside: list[tuple[int, int]] = []

    def set_steps(self, steps: list[int]) -> None:
        """A new weight: every vt + step changes, so rebuild (O(k), a few times per round)."""
        vt, bound, size = self.vt, self.bound, self.size
        self.steps = steps
        self.inside = inside = [v + s <= bound for v, s in zip(vt, steps, strict=True)]
        self.held = held = [q if ok and q > 0 else 0 for ok, q in zip(inside, self.quota, strict=True)]
        self.tree = tree = [0, *held] + [0] * (size - len(held))
        for i in range(1, size):  # each node passes its sum to its parent: linear construction
            parent = i + (i & -i)
            if parent <= size:
                tree[parent] += tree[i]
        self.outside = [(v + s, i) for i, (v, s, ok) in enumerate(zip(vt, steps, inside, strict=True)) if not ok]
        heapify(self.outside)

    def _add(self, i: int, delta: int) -> None:
        tree, size = self.tree, self.size
        i += 1
        while i <= size:
            tree[i] += delta
            i += i & -i

    def draw(self, blocked: AbstractSet[int], stream: Stream) -> int:
        """The draw of _choose among the candidates within the guard, or -1 if they hold no ticket (or
        too many are blocked) and _choose must decide. Blocked bailiffs' tickets are lifted out of the
        tree for the draw: zero tickets are never chosen, so the first running sum above x is the same."""
        tree, size, held = self.tree, self.size, self.held
        total = tree[size]
        lifted = [(i, held[i]) for i in blocked if held[i]] if blocked else []
        if lifted:
            if 8 * len(lifted) > len(held):  # measured: past about k/8 lifts a scan by _choose is cheaper
                return -1
            total -= sum(t for _, t in lifted)
        if total <= 0:
            return -1
        for i, t in lifted:
            self._add(i, -t)
        x = stream.uniform(total)
        node, step = 0, size  # descend: the first leaf whose running sum exceeds x
        while step:
            child = node + step
            if tree[child] <= x:
                node = child
                x -= tree[child]
            step >>= 1
        for i, t in lifted:
            self._add(i, t)
        return node

    def assign(self, i: int, units: int) -> None:
        """Bailiff i receives a document: its vt grows by its step and its quota falls by `units`."""
        vt, steps, held = self.vt, self.steps, self.held
        before = vt[i]
        vt[i] = before + steps[i]
        self.quota[i] -= units
        if before == self.low:  # it may have been the only one at the lowest vt
            self.low = min(vt)
            self.bound = self.low + self.guard_vt
        if self.inside[i] and vt[i] + steps[i] <= self.bound:
            tickets = max(self.quota[i], 0)
            if tickets != held[i]:
                self._add(i, tickets - held[i])
                held[i] = tickets
        else:
            if self.inside[i]:
                self.inside[i] = False
                self._add(i, -held[i])
                held[i] = 0
            heappush(self.outside, (vt[i] + steps[i], i))
        outside, bound = self.outside, self.bound
        while outside and outside[0][0] <= bound:  # the bound rose past them: they enter
            key, j = heappop(outside)
            if self.inside[j] or key != vt[j] + steps[j]:
                continue  # a stale entry: j entered already or received a document since
            self.inside[j] = True
            held[j] = max(self.quota[j], 0)
            self._add(j, held[j])


class _Rescan(_Guard):
    """The rule as written, for inputs where a virtual time could fall (a negative weight or a share below 1,
    which configurations and rosters rule out): the bound is recomputed per assignment and _choose scans."""

    __slots__ = ()

    def set_steps(self, steps: list[int]) -> None:
        self.steps = steps

    def draw(self, blocked: AbstractSet[int], stream: Stream) -> int:
        return -1

    def assign(self, i: int, units: int) -> None:
        self.vt[i] += self.steps[i]
        self.quota[i] -= units
        self.low = min(self.vt)
        self.bound = self.low + self.guard_vt


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
