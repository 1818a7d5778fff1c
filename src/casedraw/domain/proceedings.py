"""The life of a document after its draw (docs/ALGORITHM.md, section 10).

A *proceeding* is one bailiff's tenure of one document: it opens when a round
assigns the document and ends when the bailiff closes it or a procedure moves
the document (section 9). Pure: `step_refusal` says why a step is not
possible in the proceeding's stage; the services refuse with it before
writing and the replay applies it to the public log.
"""

from __future__ import annotations

import datetime as dt
from enum import IntEnum, StrEnum

from casedraw.domain.calendar import add_working_days
from casedraw.domain.procedures import ProcedureConfig

FULL_BP = 10_000  # shares of a claim are in basis points


class Step(StrEnum):
    ACKNOWLEDGED = "acknowledged"  # the bailiff has received the assignment
    INITIATED = "initiated"  # the resolution to initiate proceedings is issued
    RECOVERED = "recovered"  # a payment to the claimant, part or all of the claim
    SUSPENDED = "suspended"
    RESUMED = "resumed"
    CLOSED = "closed"


class Stage(IntEnum):
    """Where an open proceeding stands; NONE for a document nobody holds."""

    NONE = 0
    ASSIGNED = 1
    ACKNOWLEDGED = 2
    INITIATED = 3
    SUSPENDED = 4
    CLOSED = 5


STAGES = {stage.name.lower(): stage for stage in Stage}  # the names the database keeps


class ClosureReason(StrEnum):
    RECOVERED = "recovered"  # the claim recovered in full (a non-property document: executed)
    RETURNED = "returned"  # returned to the claimant (nothing to recover from, debtor not found)
    IMPOSSIBLE = "impossible"  # recovery impossible (no property, debtor's death or liquidation)
    WITHDRAWN = "withdrawn"  # the claimant withdrew the document
    TRANSFERRED = "transferred"  # to another enforcement body by law


class Overdue(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    INITIATE = "initiate"


# The stage each step leaves, and the stages it may be taken from.
TRANSITIONS: dict[Step, tuple[Stage, frozenset[Stage]]] = {
    Step.ACKNOWLEDGED: (Stage.ACKNOWLEDGED, frozenset({Stage.ASSIGNED})),
    Step.INITIATED: (Stage.INITIATED, frozenset({Stage.ACKNOWLEDGED})),
    Step.RECOVERED: (Stage.INITIATED, frozenset({Stage.INITIATED})),
    Step.SUSPENDED: (Stage.SUSPENDED, frozenset({Stage.INITIATED})),
    Step.RESUMED: (Stage.INITIATED, frozenset({Stage.SUSPENDED})),
    Step.CLOSED: (Stage.CLOSED, frozenset({Stage.INITIATED, Stage.SUSPENDED})),
}

_WHY_NOT = {
    Stage.NONE: "is not an open proceeding of any bailiff",
    Stage.ASSIGNED: "is not acknowledged yet",
    Stage.ACKNOWLEDGED: "is not initiated yet",
    Stage.INITIATED: "is already initiated",
    Stage.SUSPENDED: "is suspended; resume it first",
    Stage.CLOSED: "is closed",
}


def step_refusal(step: Step, stage: Stage) -> str | None:
    _, allowed = TRANSITIONS[step]
    if stage in allowed:
        return None
    if step is Step.ACKNOWLEDGED and stage > Stage.ASSIGNED and stage is not Stage.CLOSED:
        return "step: the proceeding is already acknowledged"
    return f"step: cannot record {step}: the proceeding {_WHY_NOT[stage]}"


def closure_refusal(reason: ClosureReason, recovered_bp: int, has_amount: bool) -> str | None:
    """A full recovery closes as `recovered`; nothing else does."""
    if reason is ClosureReason.RECOVERED and has_amount and recovered_bp < FULL_BP:
        return f"reason: only {recovered_bp / 100:.2f} % of the claim is recovered; a proceeding closes as recovered when all of it is"
    if reason is not ClosureReason.RECOVERED and recovered_bp >= FULL_BP:
        return "reason: the claim is recovered in full; close the proceeding as recovered"
    return None


def recovered_bp(total_tiyn: int, amount_tiyn: int) -> int:
    """The share of a claim recovered, in basis points, rounded down (the public form of amounts)."""
    return total_tiyn * FULL_BP // amount_tiyn


def overdue_steps(stage: Stage, today: dt.date, acknowledge_by: dt.date, initiate_by: dt.date) -> list[str]:
    """The deadlines an open proceeding has missed on `today` (a day after the deadline is late)."""
    late = []
    if stage is Stage.ASSIGNED and today > acknowledge_by:
        late.append(str(Overdue.ACKNOWLEDGE))
    if stage in (Stage.ASSIGNED, Stage.ACKNOWLEDGED) and today > initiate_by:
        late.append(str(Overdue.INITIATE))
    return late


def deadlines(draw_day: dt.date, config: ProcedureConfig) -> dict[str, str]:
    """When the documents a round assigns must be acknowledged and initiated: counted in working
    days from the round's day, with the procedures configuration in force on it."""
    return {
        str(Overdue.ACKNOWLEDGE): add_working_days(draw_day, config.acknowledge_working_days).isoformat(),
        str(Overdue.INITIATE): add_working_days(draw_day, config.initiate_working_days).isoformat(),
    }
