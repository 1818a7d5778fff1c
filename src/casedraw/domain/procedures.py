"""The rules of the procedures around the draw (docs/ALGORITHM.md, section 9).

Pure: each check takes the facts and today's date in Kazakhstan and returns
the reason an action is refused, or None. The services refuse with these
reasons before anything is written; the replay applies the same rules to the
public log, so an operator who writes a refused action into the log by other
means is caught by `casedraw verify`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from casedraw.domain.model import LicenceStatus
from casedraw.domain.routing import ConfigError


class LicenceAction(StrEnum):
    SUSPENDED = "suspended"
    TERMINATED = "terminated"
    REVOKED = "revoked"
    EXPELLED = "expelled"  # from the Republican Chamber
    REINSTATED = "reinstated"  # a suspension lifted
    TRANSFERRED = "transferred"  # to another enforcement district


# Which status an action leaves, and from which statuses it may be taken.
LICENCE_TRANSITIONS: dict[LicenceAction, tuple[LicenceStatus | None, frozenset[LicenceStatus]]] = {
    LicenceAction.SUSPENDED: (LicenceStatus.SUSPENDED, frozenset({LicenceStatus.ACTIVE})),
    LicenceAction.TERMINATED: (LicenceStatus.TERMINATED, frozenset({LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED})),
    LicenceAction.REVOKED: (LicenceStatus.REVOKED, frozenset({LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED})),
    LicenceAction.EXPELLED: (LicenceStatus.EXPELLED, frozenset({LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED})),
    LicenceAction.REINSTATED: (LicenceStatus.ACTIVE, frozenset({LicenceStatus.SUSPENDED})),
    LicenceAction.TRANSFERRED: (None, frozenset({LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED})),
}

# Actions after which the bailiff's open proceedings go back to the draw.
RELEASING_ACTIONS = frozenset(a for a in LicenceAction if a is not LicenceAction.REINSTATED)


class Grounds(StrEnum):
    """Grounds a claimant may cite for replacing a bailiff (paragraph 12)."""

    INACTION = "inaction"  # no enforcement action taken
    MISSED_DEADLINES = "missed_deadlines"
    CONFLICT_OF_INTEREST = "conflict_of_interest"
    MISCONDUCT = "misconduct"  # confirmed by a disciplinary or court decision
    OTHER = "other"


class Decision(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"


class MemberRole(StrEnum):
    COMMISSION = "commission"  # decides paragraph 12 applications
    STAFF = "staff"  # enters absences for the chamber's bailiffs


class ReleaseCause(StrEnum):
    """Why a bailiff's open proceedings were released for redistribution."""

    LICENCE = "licence"  # the status after a licence event is not active
    TRANSFER = "transfer"  # moved to another enforcement district
    LONG_ABSENCE = "long_absence"  # absent for longer than the configured limit


@dataclass(frozen=True, slots=True)
class ProcedureConfig:
    """The published parameters of the procedures (configuration `procedures`)."""

    decision_working_days: int = 10  # a commission decides a paragraph 12 application within this
    long_absence_days: int = 30  # an absence longer than this releases the bailiff's open proceedings
    acknowledge_working_days: int = 1  # a bailiff acknowledges an assignment within this
    initiate_working_days: int = 3  # and initiates proceedings within this (Law on Enforcement Proceedings)

    def __post_init__(self) -> None:
        for name, low, high in _CONFIG_RANGES:
            if not low <= getattr(self, name) <= high:
                raise ConfigError(f"procedures.{name}: {low} to {high}")
        if self.initiate_working_days < self.acknowledge_working_days:
            raise ConfigError("procedures.initiate_working_days: not fewer than acknowledge_working_days")

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ProcedureConfig:
        names = {name for name, _, _ in _CONFIG_RANGES}
        if set(data) != names:
            raise ConfigError(f"procedures: exactly {', '.join(sorted(names))}")
        return cls(**{name: int(data[name]) for name in names})  # type: ignore[call-overload]

    def to_json(self) -> dict[str, object]:
        return {name: getattr(self, name) for name, _, _ in _CONFIG_RANGES}


_CONFIG_RANGES = (
    ("decision_working_days", 1, 60), ("long_absence_days", 1, 366),
    ("acknowledge_working_days", 1, 30), ("initiate_working_days", 1, 30),
)


MAX_ABSENCE_DAYS = 366


@dataclass(frozen=True, slots=True)
class Absence:
    licence: str
    start: dt.date
    end: dt.date  # inclusive

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def is_long(self, config: ProcedureConfig) -> bool:
        return (self.end - self.start).days + 1 > config.long_absence_days


def new_absence_refusal(start: dt.date, end: dt.date, today: dt.date) -> str | None:
    if start < today:
        return f"from: {start} is before today ({today}); absences cannot be back-dated"
    if end < start:
        return f"to: {end} is before from ({start})"
    if (end - start).days + 1 > MAX_ABSENCE_DAYS:
        return f"to: an absence lasts at most {MAX_ABSENCE_DAYS} days"
    return None


def absence_change_refusal(old: Absence, start: dt.date, end: dt.date, today: dt.date) -> str | None:
    """A change may shorten, lengthen or move what lies ahead, never what lies before today."""
    if old.end < today:
        return f"absence: it ended on {old.end}, before today ({today}); the past cannot be changed"
    if old.start < today and start != old.start:
        return f"from: the absence began on {old.start}; a started absence keeps its start"
    if old.start >= today and start < today:
        return f"from: {start} is before today ({today}); absences cannot be back-dated"
    if end < max(start, today - dt.timedelta(days=1)) or end < start:
        return f"to: {end} would end the absence before {max(start, today - dt.timedelta(days=1))}"
    if (end - start).days + 1 > MAX_ABSENCE_DAYS:
        return f"to: an absence lasts at most {MAX_ABSENCE_DAYS} days"
    return None


def absence_cancel_refusal(old: Absence, today: dt.date) -> str | None:
    if old.start < today:
        return f"absence: it began on {old.start}; end it early with a change instead of cancelling it"
    return None


def licence_refusal(action: LicenceAction, status: LicenceStatus, region: str, district: str, to_region: str | None, to_district: str | None) -> str | None:
    _, allowed_from = LICENCE_TRANSITIONS[action]
    if status not in allowed_from:
        return f"action: {action} is not possible for a licence that is {status}"
    if action is LicenceAction.TRANSFERRED:
        if not to_district:
            return "district: a transfer names the new enforcement district"
        if (to_region or region) == region and to_district == district:
            return "district: the bailiff already works in that district"
    elif to_region or to_district:
        return f"district: only a transfer changes the district, not {action}"
    return None
