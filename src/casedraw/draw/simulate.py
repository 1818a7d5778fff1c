"""`casedraw simulate`: the production draw on synthetic input, with its fairness and unpredictability measured.

One region of k bailiffs with equal shares, all eligible, documents in
sealed rounds of `round_size`. Two passes over the same input and seeds:
the first is timed and uninstrumented (throughput of the pure core), the
second measures the gap after every single assignment and, for rounds picked
at random, re-runs the round's draw from the same state with `reruns`
independent seeds to estimate each document's best guess: the highest
chance, given everything known before the round's randomness, that it lands
on one particular bailiff.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import Counter

from casedraw.draw.config import DrawConfig, default_config, unit_config
from casedraw.draw.engine import VT_PER_WEIGHT, DrawState, RosterEntry, SealedDoc, draw_round
from casedraw.draw.rng import Stream, derive

WEIGHT_KINDS = ("unit", "classes", "lognormal")
# weight classes and their share in percent: the distribution the default table gives on the national mix
CLASSES = ((1, 35), (2, 30), (3, 15), (4, 12), (6, 5), (8, 3))
# category mix (percent) and lognormal amounts: median KZT and sigma of the log
CATEGORY_MIX = (("recovery_entity", 62), ("state_claim", 16), ("alimony", 8), ("recovery_person", 9), ("non_property", 5))
AMOUNTS = {"recovery_entity": (350_000, 1.3), "state_claim": (150_000, 1.6), "alimony": (600_000, 0.9), "recovery_person": (900_000, 1.2)}
REGION = "KZ-75"
DAY = dt.date(2026, 3, 2)


def _pick(stream: Stream, table: tuple[tuple[object, int], ...]) -> object:
    x = stream.uniform(sum(p for _, p in table))
    for value, p in table:
        if x < p:
            return value
        x -= p
    raise AssertionError("unreachable")


def _normal(stream: Stream) -> float:
    u1 = (stream.next_u64() + 1) / 2**64
    u2 = stream.next_u64() / 2**64
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2 * math.pi * u2)


def synthetic_weights(kind: str, n: int, seed: int, config: DrawConfig) -> list[tuple[str, int]]:
    stream = Stream(derive(b"casedraw/simulate/v1/input", kind.encode(), seed.to_bytes(8, "big")))
    out: list[tuple[str, int]] = []
    for _ in range(n):
        if kind == "unit":
            out.append(("recovery_entity", 1))
        elif kind == "classes":
            out.append(("recovery_entity", int(_pick(stream, CLASSES))))  # type: ignore[call-overload]
        else:
            category = str(_pick(stream, CATEGORY_MIX))
            amount = 0
            if category in AMOUNTS:
                median, sigma = AMOUNTS[category]
                amount = max(100_000, int(median * math.exp(sigma * _normal(stream)) * 100))
            out.append((category, config.weight(category, config.band(amount))))
    return out


def simulate(
    k: int, n: int, weights: str, seed: int, *, round_size: int = 100, sampled_rounds: int | None = None, reruns: int = 1000,
) -> dict[str, object]:
    if weights not in WEIGHT_KINDS:
        raise ValueError(f"--weights: use one of {', '.join(WEIGHT_KINDS)}")
    config = unit_config() if weights == "unit" else default_config()
    roster = [RosterEntry(f"PB-{i:05d}", REGION, "active") for i in range(k)]
    stream_docs = synthetic_weights(weights, n, seed, config)
    docs = [SealedDoc(i + 1, REGION, category, w) for i, (category, w) in enumerate(stream_docs)]
    rounds = [docs[i : i + round_size] for i in range(0, n, round_size)]

    def round_seed(r: int, rerun: int = -1) -> bytes:
        return derive(b"casedraw/simulate/v1/round", seed.to_bytes(8, "big"), r.to_bytes(8, "big"), rerun.to_bytes(8, "big", signed=True))

    state = DrawState()
    started = time.perf_counter()
    for r, batch in enumerate(rounds):
        draw_round(state, roster, batch, DAY, round_seed(r), config)
    elapsed = time.perf_counter() - started

    picker = Stream(derive(b"casedraw/simulate/v1/sample", seed.to_bytes(8, "big")))
    wanted = sampled_rounds if sampled_rounds is not None else -(-1000 // round_size)  # about 1,000 documents
    sample: set[int] = set()
    while len(sample) < min(wanted, len(rounds)):
        sample.add(picker.uniform(len(rounds)))
    gap = 0

    def track(_region: str, vt: list[int]) -> None:
        nonlocal gap
        gap = max(gap, max(vt) - min(vt))

    best_guesses: list[float] = []
    state = DrawState()
    for r, batch in enumerate(rounds):
        if r in sample:
            counts: dict[int, Counter[str]] = {d.doc: Counter() for d in batch}
            for rerun in range(reruns):
                outcome = draw_round(state.copy(), roster, batch, DAY, round_seed(r, rerun), config)
                for a in outcome[REGION].assignments:
                    counts[a.doc][a.licence] += 1
            best_guesses += [max(c.values()) / reruns for c in counts.values()]
        draw_round(state, roster, batch, DAY, round_seed(r), config, observer=track)

    return {
        "k": k,
        "n": n,
        "weights": weights,
        "seed": seed,
        "round_size": round_size,
        "max_gap": gap / VT_PER_WEIGHT,
        "w_max": max(w for _, w in stream_docs),
        "guard": config.guard,
        "mean_best_guess": round(sum(best_guesses) / len(best_guesses), 4),
        "max_best_guess": round(max(best_guesses), 4),
        "best_guess_docs": len(best_guesses),
        "reruns": reruns,
        "uniform_floor": round(1 / k, 4),
        "uniform_baseline": round(_uniform_baseline(k, len(best_guesses), reruns, seed), 4),
        "docs_per_second": round(n / elapsed),
    }


def _uniform_baseline(k: int, documents: int, reruns: int, seed: int) -> float:
    """The mean best guess the same estimator reports for an ideal draw, uniform over k:
    what the measurement itself adds to 1/k."""
    stream = Stream(derive(b"casedraw/simulate/v1/baseline", seed.to_bytes(8, "big")))
    total = 0
    for _ in range(documents):
        counts = [0] * k
        for _ in range(reruns):
            counts[stream.uniform(k)] += 1
        total += max(counts)
    return total / (documents * reruns)
