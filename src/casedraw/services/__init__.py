"""Services: the use cases, run against a Store with an explicit clock and salt source."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from casedraw.ledger.events import Actor, format_time

# Kazakhstan has used one time zone, UTC+5, since 1 March 2024.
KZ_TIME = dt.timezone(dt.timedelta(hours=5), "KZ")


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Context:
    """Who acts, and where time and salts come from (injected so tests control them)."""

    actor: Actor
    clock: Callable[[], dt.datetime] = field(default=_utc_now)
    salt: Callable[[], bytes] = field(default=lambda: os.urandom(16))

    def stamp(self) -> tuple[str, dt.date]:
        """The log timestamp for now, and today's date in Kazakhstan."""
        now = self.clock()
        return format_time(now), now.astimezone(KZ_TIME).date()
