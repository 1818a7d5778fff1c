"""Deterministic randomness derived from a round's seed with SHA-256.

Never Python's `random`: every language can reproduce these bytes.

The stream for a key K is SHA-256(K || u64be(0)) || SHA-256(K || u64be(1)) || ...,
read as consecutive unsigned 64-bit big-endian integers. `uniform(n)` uses
rejection sampling so that every value in [0, n) is equally likely.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import MutableSequence
from typing import TypeVar

T = TypeVar("T")
_U64 = struct.Struct(">4Q")
_TWO64 = 1 << 64


def derive(*parts: bytes) -> bytes:
    """SHA-256 over length-prefixed parts: unambiguous concatenation."""
    h = hashlib.sha256()
    for part in parts:
        h.update(struct.pack(">I", len(part)))
        h.update(part)
    return h.digest()


class Stream:
    __slots__ = ("_key", "_counter", "_buffer")

    def __init__(self, key: bytes):
        self._key = key
        self._counter = 0
        self._buffer: list[int] = []

    def next_u64(self) -> int:
        if not self._buffer:
            block = hashlib.sha256(self._key + self._counter.to_bytes(8, "big")).digest()
            self._counter += 1
            self._buffer = list(reversed(_U64.unpack(block)))
        return self._buffer.pop()

    def uniform(self, n: int) -> int:
        """A uniformly distributed integer in [0, n), for 1 <= n < 2**63."""
        if not 1 <= n < 1 << 63:
            raise ValueError(f"uniform: n={n} is outside 1..2**63-1")
        limit = _TWO64 - _TWO64 % n
        while True:
            value = self.next_u64()
            if value < limit:
                return value % n

    def shuffle(self, items: MutableSequence[T]) -> None:
        """Fisher-Yates (Durstenfeld): i from len-1 down to 1 swaps items[i] and items[uniform(i+1)]."""
        for i in range(len(items) - 1, 0, -1):
            j = self.uniform(i + 1)
            items[i], items[j] = items[j], items[i]
