"""Properties of the pure draw (hypothesis), with the engine run exactly as in production."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casedraw.draw.config import DrawConfig, default_config, unit_config
from casedraw.draw.engine import (
    UNIT,
    VT_PER_WEIGHT,
    DrawState,
    Reason,
    RosterEntry,
    SealedDoc,
    draw_round,
    water_level_quotas,
)
from casedraw.draw.rng import Stream, derive

DAY = dt.date(2026, 3, 10)
REGION = "KZ-75"


def roster(k: int, **overrides: dict) -> list[RosterEntry]:
    return [
        RosterEntry(**{"licence": f"PB-{i:03d}", "region": REGION, "status": "active", **overrides.get(f"PB-{i:03d}", {})})
        for i in range(k)
    ]


def docs(weights, start=1, **extra) -> list[SealedDoc]:
    return [SealedDoc(start + i, REGION, "recovery_entity", w, **extra) for i, w in enumerate(weights)]


def seed(n: int) -> bytes:
    return derive(b"test", n.to_bytes(8, "big"))


def run_rounds(config, entries, rounds, observer=None, state=None):
    state = state or DrawState()
    outcomes = [draw_round(state, entries, batch, DAY, seed(r), config, observer) for r, batch in enumerate(rounds)]
    return state, outcomes


weights_lists = st.lists(st.integers(1, 8), min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(k=st.integers(1, 12), rounds=st.lists(weights_lists, min_size=1, max_size=6))
def test_weighted_loads_never_drift_beyond_the_guard(k, rounds):
    config = default_config()  # guard 12 = 1.5 x the largest weight
    worst = 0

    def observe(_region, vt):
        nonlocal worst
        worst = max(worst, max(vt) - min(vt))

    batches = []
    next_doc = 1
    for weights in rounds:
        batches.append(docs(weights, start=next_doc))
        next_doc += len(weights)
    state, outcomes = run_rounds(config, roster(k), batches, observe)
    assert worst <= config.guard * VT_PER_WEIGHT
    loads = state.regions[REGION].load
    assert sum(loads.values()) == sum(sum(w) for w in rounds)
    assert max(loads.values()) - min(loads.get(e.licence, 0) for e in roster(k)) <= config.guard


@settings(max_examples=40, deadline=None)
@given(k=st.integers(1, 10), weights=weights_lists, s=st.integers(0, 2**32))
def test_same_inputs_same_assignments_and_every_document_placed_once(k, weights, s):
    batch = docs(weights)
    first = draw_round(DrawState(), roster(k), batch, DAY, seed(s), default_config())
    second = draw_round(DrawState(), roster(k), batch, DAY, seed(s), default_config())
    assert first == second
    placed = [a.doc for a in first[REGION].assignments]
    assert sorted(placed) == [d.doc for d in batch]


def test_a_different_seed_gives_a_different_draw():
    batch = docs([1] * 50)
    a = draw_round(DrawState(), roster(20), batch, DAY, seed(1), unit_config())
    b = draw_round(DrawState(), roster(20), batch, DAY, seed(2), unit_config())
    assert a[REGION].assignments != b[REGION].assignments


def test_roster_exclusions_are_named_and_respected():
    entries = roster(6, **{
        "PB-000": {"status": "revoked"},
        "PB-001": {"absences": ((dt.date(2026, 3, 1), dt.date(2026, 3, 20)),)},
        "PB-002": {"self_suspended": True},
        "PB-003": {"absences": ((dt.date(2026, 2, 1), dt.date(2026, 3, 9)),)},  # back at work on the round date
    })
    outcome = draw_round(DrawState(), entries, docs([1] * 40), DAY, seed(3), unit_config())[REGION]
    assert outcome.excluded == {"PB-000": Reason.NOT_ACTIVE, "PB-001": Reason.ABSENT, "PB-002": Reason.SELF_SUSPENDED}
    received = Counter(a.licence for a in outcome.assignments)
    assert sum(received.values()) == 40 and max(received.values()) - min(received.values()) <= unit_config().guard
    assert {a.licence for a in outcome.assignments} == {"PB-003", "PB-004", "PB-005"}


def test_document_exclusions_conflict_replacement_specialisation_capacity():
    config = DrawConfig(
        band_edges_kzt=(), weights={c: (1,) for c in ("alimony", "non_property", "recovery_entity", "recovery_person", "state_claim")},
        guard=3, requires_specialisation=frozenset({"alimony"}), capacity_cap=5,
    )
    entries = roster(4, **{"PB-003": {"specialisations": frozenset({"alimony"})}})
    excluded = (("PB-000", str(Reason.CONFLICT)), ("PB-001", str(Reason.REPLACED)))
    batch = [SealedDoc(1, REGION, "recovery_entity", 1, excluded=excluded)] * 1
    outcome = draw_round(DrawState(), entries, batch, DAY, seed(4), config)[REGION]
    assert outcome.assignments[0].licence in {"PB-002", "PB-003"}
    alimony = [SealedDoc(10 + i, REGION, "alimony", 1) for i in range(7)]
    outcome = draw_round(DrawState(), entries, alimony, DAY, seed(5), config)[REGION]
    assert [a.licence for a in outcome.assignments] == ["PB-003"] * 5  # the only specialist, up to the cap
    assert [p.doc for p in outcome.pending] and len(outcome.pending) == 2
    assert outcome.pending[0].reasons == (("capacity", 1), ("specialisation", 3))


def test_nobody_eligible_leaves_documents_pending_with_reasons():
    entries = roster(2, **{"PB-000": {"status": "suspended"}, "PB-001": {"self_suspended": True}})
    outcome = draw_round(DrawState(), entries, docs([1, 2]), DAY, seed(6), unit_config())[REGION]
    assert outcome.assignments == []
    assert sorted(p.doc for p in outcome.pending) == [1, 2]
    assert all(p.reasons == (("licence_not_active", 1), ("self_suspended", 1)) for p in outcome.pending)
    empty = draw_round(DrawState(), [], docs([1]), DAY, seed(6), unit_config())[REGION]
    assert empty.pending[0].reasons == (("no_bailiff_in_region", 0),)


def test_return_from_leave_brings_no_flood():
    on_leave = {"PB-000": {"absences": ((dt.date(2026, 3, 1), dt.date(2026, 3, 31)),)}}
    state = DrawState()
    for r in range(20):  # PB-000 away for 20 rounds of 40 documents
        draw_round(state, roster(5, **on_leave), docs([1] * 40, start=1 + 40 * r), DAY, seed(r), unit_config())
    assert state.regions[REGION].load.get("PB-000", 0) == 0
    back = draw_round(state, roster(5), docs([1] * 40, start=1000), DAY, seed(99), unit_config())[REGION]
    received = Counter(a.licence for a in back.assignments)
    assert received["PB-000"] <= 40 / 5 + unit_config().guard  # its fair share of this round, not 160 documents of catch-up


def test_allocation_share_sets_the_proportion_of_work():
    entries = roster(4, **{"PB-000": {"share_milli": 500}})
    state, _ = run_rounds(default_config(), entries, [docs([1, 2, 3, 4, 6, 8] * 50, start=1 + 300 * r) for r in range(10)])
    load = state.regions[REGION].load
    full = [load[f"PB-00{i}"] for i in (1, 2, 3)]
    assert abs(load["PB-000"] - min(full) / 2) <= 12 and abs(load["PB-000"] - max(full) / 2) <= 12


def test_same_debtor_goes_to_the_same_bailiff_while_eligible():
    state = DrawState()
    first = draw_round(state, roster(10), docs([1], affinity_key="k1"), DAY, seed(7), unit_config())[REGION]
    holder = first.assignments[0].licence
    later = draw_round(state, roster(10), docs([1, 1], start=2, affinity_key="k1"), DAY, seed(8), unit_config())[REGION]
    assert [(a.licence, a.how) for a in later.assignments] == [(holder, "affinity")] * 2
    away = {holder: {"absences": ((DAY, DAY),)}}
    moved = draw_round(state, roster(10, **away), docs([1], start=9, affinity_key="k1"), DAY, seed(9), unit_config())[REGION]
    assert moved.assignments[0].licence != holder and moved.assignments[0].how == "draw"


def test_affinity_yields_to_the_guard():
    state = DrawState()
    draw_round(state, roster(4), docs([1], affinity_key="k1"), DAY, seed(7), unit_config())
    flood = draw_round(state, roster(4), docs([1] * 40, start=2, affinity_key="k1"), DAY, seed(8), unit_config())[REGION]
    received = Counter(a.licence for a in flood.assignments)
    assert max(received.values()) - min(received.values()) <= unit_config().guard  # filing against one debtor floods nobody
    holder = Counter(a.licence for a in flood.assignments if a.how == "affinity")
    assert len(holder) == 1 and sum(holder.values()) >= 3  # consolidation still applies while within the guard


def test_affinity_can_be_switched_off():
    config = dataclasses.replace(unit_config(), affinity=False)
    state = DrawState()
    draw_round(state, roster(10), docs([1], affinity_key="k1"), DAY, seed(7), config)
    later = draw_round(state, roster(10), docs([1] * 30, start=2, affinity_key="k1"), DAY, seed(8), config)[REGION]
    assert {a.how for a in later.assignments} == {"draw"}
    assert len({a.licence for a in later.assignments}) > 1


@given(
    vtimes=st.lists(st.integers(0, 10**9), min_size=1, max_size=30).flatmap(
        lambda v: st.tuples(st.just(v), st.lists(st.integers(1, 10_000), min_size=len(v), max_size=len(v)))
    ),
    weight=st.integers(1, 10_000),
)
def test_water_level_quotas_fill_exactly_up_to_one_level(vtimes, weight):
    vt, shares = vtimes
    quotas = water_level_quotas(vt, shares, weight)
    need = weight * UNIT
    assert need <= sum(quotas) < need + sum(shares)  # the smallest integer level that covers the need
    levels = {v + q // s for v, q, s in zip(vt, quotas, shares, strict=True) if q > 0}
    assert len(levels) == 1
    level = levels.pop()
    assert all(q == 0 for v, q in zip(vt, quotas, strict=True) if v >= level)


@given(st.binary(min_size=1, max_size=40), st.integers(1, 2**63 - 1))
def test_uniform_stays_in_range(key, n):
    stream = Stream(key)
    assert all(0 <= stream.uniform(n) < n for _ in range(5))


@given(st.binary(max_size=8), st.lists(st.integers(), max_size=50))
def test_shuffle_is_a_permutation(key, items):
    shuffled = list(items)
    Stream(key).shuffle(shuffled)
    assert sorted(shuffled) == sorted(items)


def test_uniform_is_unbiased_enough_to_trust():
    stream = Stream(b"chi-square")
    counts = Counter(stream.uniform(7) for _ in range(70_000))
    chi2 = sum((c - 10_000) ** 2 / 10_000 for c in counts.values())
    assert chi2 < 22.46  # 6 degrees of freedom, p = 0.001


def test_uniform_refuses_out_of_range():
    with pytest.raises(ValueError):
        Stream(b"x").uniform(0)
