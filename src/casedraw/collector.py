"""Python's cyclic garbage collector, set for casedraw's processes.

Intake, rounds and verify allocate millions of short-lived dicts and tuples, which reference
counting frees; the cyclic collector still ran its youngest generation every 700 allocations and
walked the survivors each time. In a national year it took about a tenth of the time (py-spy), and
on 50,000 documents setting it as below made intake and rounds a quarter faster (bench/scale.py,
alternating runs). Cycles are still collected, every 100,000 allocations instead of every 700.
"""

from __future__ import annotations

import gc


def for_throughput() -> None:
    """Collect young objects every 100,000 allocations, and never again walk what exists now (startup's modules)."""
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
