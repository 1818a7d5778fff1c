"""Issue 3 benchmark: casedraw's draw against the reference rules, side by side in one run.

    .venv/bin/python bench/draw.py [--docs 100000] [--bailiffs 20]

Every rule is measured with the same harness: the largest max-min weighted
load over every prefix of the stream (max_gap), and the best guess estimated
by re-running sampled documents' draws with 1,000 independent seeds from the
state known before their randomness. casedraw runs through `casedraw
simulate` (the production engine); the references are the textbook rules the
issue quotes, drawing one document at a time with a SHA-256 stream.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from casedraw.draw.rng import Stream, derive
from casedraw.draw.simulate import simulate

Rule = Callable[[list[int], Stream, int], int]


def uniform_random(loads: list[int], stream: Stream, _t: int) -> int:
    return stream.uniform(len(loads))


def round_robin(loads: list[int], _stream: Stream, t: int) -> int:
    return t % len(loads)


def least_of_two(loads: list[int], stream: Stream, _t: int) -> int:
    a = stream.uniform(len(loads))
    b = stream.uniform(len(loads) - 1)
    b += b >= a
    return a if (loads[a], a) <= (loads[b], b) else b


def among_ten_least(loads: list[int], stream: Stream, _t: int) -> int:
    ranked = sorted(range(len(loads)), key=lambda i: (loads[i], i))[:10]
    return ranked[stream.uniform(len(ranked))]


REFERENCES: dict[str, Rule] = {
    "uniform random": uniform_random,
    "round robin": round_robin,
    "least loaded of 2": least_of_two,
    "uniform among 10 least loaded": among_ten_least,
}


def measure_reference(rule: Rule, k: int, n: int, seed: int, sampled: int = 1000, reruns: int = 1000) -> dict[str, float]:
    loads = [0] * k
    stream = Stream(derive(b"bench/reference", seed.to_bytes(8, "big")))
    picker = Stream(derive(b"bench/reference/sample", seed.to_bytes(8, "big")))
    sample = {picker.uniform(n) for _ in range(sampled)}
    gap, guesses = 0, []
    started = time.perf_counter()
    for t in range(n):
        if t in sample:
            counts = [0] * k
            for r in range(reruns):
                counts[rule(loads, Stream(derive(b"rerun", t.to_bytes(8, "big"), r.to_bytes(8, "big"))), t)] += 1
            guesses.append(max(counts) / reruns)
        chosen = rule(loads, stream, t)
        loads[chosen] += 1
        gap = max(gap, max(loads) - min(loads))
    return {"max_gap": gap, "mean_best_guess": round(sum(guesses) / len(guesses), 4), "max_best_guess": round(max(guesses), 4),
            "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--bailiffs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    k, n = args.bailiffs, args.docs
    rows = []
    for weights in ("unit", "classes", "lognormal"):
        for round_size in (100, 1):
            r = simulate(k, n, weights, args.seed, round_size=round_size)
            rows.append({"rule": f"casedraw, {weights} weights, rounds of {round_size}", **r})
    for name, rule in REFERENCES.items():
        rows.append({"rule": f"{name}, unit weights, one at a time", "k": k, "n": n, "w_max": 1,
                     **measure_reference(rule, k, n, args.seed)})
    print("| rule | max_gap | w_max | mean best guess | max best guess | estimator's uniform baseline | docs/s (pure core, 1 core) |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['rule']} | {row['max_gap']:g} | {row['w_max']} | {row['mean_best_guess']} | {row['max_best_guess']} | "
              f"{row.get('uniform_baseline', '')} | {row.get('docs_per_second', '')} |")
    print()
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
