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


class _Salts:
    """Random salts, 16 bytes each, read from the system's generator 256 at a time: a call for each
    (one per registered document) cost as much as a tenth of the rest of its registration."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffer, self._used = b"", 0
        os.register_at_fork(after_in_child=self._forget)  # a forked child must not reuse its parent's salts

    def _forget(self) -> None:
        self._buffer, self._used = b"", 0

    def __call__(self) -> bytes:
        with self._lock:
            if self._used == len(self._buffer):
                self._buffer, self._used = os.urandom(4096), 0
            self._used += 16
            return self._buffer[self._used - 16 : self._used]


_SALTS = _Salts()


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
