"""The facts the indicators are computed from: public data only.

Two independent readers produce them, one from the database's projections
(`from_db`) and one from the exported public log (`from_log`); the indicators
(`indicators`) are a pure function of the facts, so `casedraw stats` on an
export reproduces the operator's figures exactly, and a difference between
the two readers is a defect one of them shows.

Times are log times (`YYYY-MM-DDTHH:MM:SS.ffffffZ`, UTC); dates are
Kazakhstan dates (`YYYY-MM-DD`). Shares recovered are in basis points of the
claim (0 to 10,000), the only form in which amounts are public.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """How a proceeding (one bailiff's tenure of a document) ended."""

    # closed by the bailiff (docs/ALGORITHM.md, section 10)
    RECOVERED = "recovered"  # full recovery
    RETURNED = "returned"  # returned to the claimant
    IMPOSSIBLE = "impossible"  # recovery impossible
    WITHDRAWN = "withdrawn"  # withdrawn by the claimant
    TRANSFERRED = "transferred"  # transferred to another enforcement body
    # the document left the bailiff through a procedure (section 9)
    REPLACED = "replaced"  # paragraph 12
    REDISTRIBUTED = "redistributed"  # licence event, transfer or long absence
    FORWARDED = "forwarded"  # territoriality


CLOSURES = frozenset({Outcome.RECOVERED, Outcome.RETURNED, Outcome.IMPOSSIBLE, Outcome.WITHDRAWN, Outcome.TRANSFERRED})


@dataclass(frozen=True, slots=True)
class DocumentFact:
    """A private-bailiff document as the public log shows it at its end."""

    doc: int
    region: str  # where it is now (after any forwarding)
    claimant_kind: str
    category: str
    registered: str  # time
    first_drawn: str | None  # time of the round.drawn that first assigned it
    state: str  # waiting, pending, open, closed
    pending_reasons: tuple[str, ...]  # while pending: the reasons no bailiff was eligible, sorted


@dataclass(frozen=True, slots=True)
class ProceedingFact:
    """One bailiff's tenure of one document, from the draw that assigned it to its end."""

    doc: int
    licence: str
    region: str
    claimant_kind: str
    assigned: str  # time of the round.drawn
    acknowledge_by: str  # date: the deadline to acknowledge
    initiate_by: str  # date: the deadline to initiate
    acknowledged: str | None  # time
    initiated: str | None  # time
    suspensions: int
    ended: str | None  # time it was closed or left the bailiff
    outcome: str | None  # an Outcome
    recovered_bp: int  # closed by the bailiff: the document's share recovered at closure; otherwise 0


@dataclass(frozen=True, slots=True)
class ApplicationFact:
    """A paragraph 12 application."""

    application: int
    doc: int
    region: str
    licence: str
    claimant_kind: str
    grounds: str
    filed: str  # time
    deadline: str  # date
    decided: str | None  # time
    decision: str | None  # granted, refused


@dataclass(frozen=True, slots=True)
class HistoricalFact:
    """A proceeding from before automatic distribution, when the claimant chose the bailiff."""

    record: str
    region: str
    claimant_kind: str
    licence: str
    lodged: str  # date
    initiated: str | None  # date
    closed: str | None  # date
    outcome: str | None  # a closure Outcome
    recovered_bp: int


@dataclass(frozen=True, slots=True)
class Facts:
    as_of: str  # time of the last event: "now" for what is open, pending or overdue
    documents: tuple[DocumentFact, ...]
    proceedings: tuple[ProceedingFact, ...]
    applications: tuple[ApplicationFact, ...]
    history: tuple[HistoricalFact, ...]
