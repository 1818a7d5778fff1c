"""Services: the use cases, run against a Store with an explicit clock and salt source."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from casedraw.ledger.events import Actor, format_time

# Kazakhstan has used one time zone, UTC+5, since 1 March 2024.
KZ_TIME = dt.timezone(dt.timedelta(hours=5), "KZ")


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RandomBytes:
    """Values of `size` random bytes, read from the system's generator 4 KiB at a time: a call for
    each salt (one per registered document) cost as much as a tenth of the rest of its registration."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._buffer, self._used = b"", 0
        os.register_at_fork(after_in_child=self._forget)  # a forked child must not reuse its parent's values

    def _forget(self) -> None:
        self._buffer, self._used = b"", 0

    def __call__(self) -> bytes:
        with self._lock:
            if self._used + self._size > len(self._buffer):
                self._buffer, self._used = os.urandom(4096 - 4096 % self._size), 0
            self._used += self._size
            return self._buffer[self._used - self._size : self._used]


_SALTS = RandomBytes(16)


@dataclass(frozen=True)
class Context:
    """Who acts, and where time and salts come from (injected so tests control them)."""

    actor: Actor
    clock: Callable[[], dt.datetime] = field(default=_utc_now)
    salt: Callable[[], bytes] = field(default=_SALTS)

    def stamp(self) -> tuple[str, dt.date]:
        """The log timestamp for now, and today's date in Kazakhstan."""
        now = self.clock()
        return format_time(now), now.astimezone(KZ_TIME).date()
