"""Working days in Kazakhstan: weekends, public holidays and their transfers.

Deadlines of the procedures (a commission's decision under paragraph 12) are
counted in working days. The calendar is the `holidays` package's Kazakhstan
calendar at the pinned version, which includes observed days and the
government's weekend-to-workday transfers; a deadline is computed once, when
the procedure starts, and logged, so a later calendar change never moves it.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import holidays


@lru_cache(maxsize=64)
def _calendar(year: int) -> holidays.HolidayBase:
    import holidays  # on first use: its calendars take a tenth of a second to import, which most commands never need

    # Two years, so a deadline near 31 December still sees January's holidays.
    return holidays.country_holidays("KZ", years=(year, year + 1))


def is_working_day(day: dt.date) -> bool:
    return bool(_calendar(day.year).is_working_day(day))


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (`start` itself is not counted)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    day = start
    remaining = days
    while remaining:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def holiday_name(day: dt.date) -> str | None:
    return _calendar(day.year).get(day)
