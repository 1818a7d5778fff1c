"""Proceedings from before automatic distribution, when the claimant chose the bailiff.

They are imported once, from the chamber's or the ministry's records, so that the reform can be
measured against what came before (`casedraw stats`). The CSV format is documented in
docs/HISTORY.md; what is public of a record is exactly what the public log holds of a proceeding
today (region, claimant kind, bailiff, dates, outcome, share recovered), never the amounts or the
source's own record number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from casedraw.domain.errors import FieldError
from casedraw.domain.model import MAX_AMOUNT_KZT, ClaimantKind, _Row
from casedraw.domain.proceedings import FULL_BP, ClosureReason, recovered_bp

HISTORY_COLUMNS = ("record", "region", "claimant_kind", "licence", "lodged", "initiated", "closed", "outcome", "amount_kzt", "recovered_kzt")
SWITCH_DAY = dt.date(2026, 3, 2)  # automatic distribution from this day (order of 28 Feb 2026)


@dataclass(frozen=True, slots=True)
class HistoricalRecord:
    source_ref: str  # the source's record number (private)
    region: str
    claimant_kind: str
    licence: str
    lodged: dt.date  # the day the claimant lodged the document with the bailiff it chose
    initiated: dt.date | None
    closed: dt.date | None
    outcome: str | None  # a ClosureReason, for a closed proceeding
    amount_tiyn: int  # 0 for a non-property document
    recovered_tiyn: int

    @property
    def recovered_bp(self) -> int:
        if self.outcome == ClosureReason.RECOVERED and self.amount_tiyn == 0:
            return FULL_BP  # a non-property document executed
        return recovered_bp(self.recovered_tiyn, self.amount_tiyn) if self.amount_tiyn else 0

    def public(self) -> list[object]:
        """The record as the public log holds it (docs/ALGORITHM.md, section 10.4)."""
        return [
            self.region, self.claimant_kind, self.licence, self.lodged.isoformat(),
            None if self.initiated is None else self.initiated.isoformat(), None if self.closed is None else self.closed.isoformat(),
            self.outcome, self.recovered_bp,
        ]


def _optional_date(r: _Row, name: str) -> dt.date | None:
    value = r.row.get(name)
    return None if value is None or str(value).strip() == "" else r.date(name)


def parse_historical(row: Mapping[str, object], switch_day: dt.date = SWITCH_DAY) -> HistoricalRecord | list[FieldError]:
    r = _Row(row)
    source_ref = r.text("record", max_len=64)
    region = r.region("region")
    kind = r.choice("claimant_kind", ClaimantKind)
    licence = r.text("licence", max_len=32)
    lodged = r.date("lodged")
    initiated = _optional_date(r, "initiated")
    closed = _optional_date(r, "closed")
    outcome_text = r.text("outcome", required=False).lower()
    amount = r.decimal("amount_kzt", places=2, required=False)
    recovered = r.decimal("recovered_kzt", places=2, required=False)
    outcome = None
    if outcome_text:
        try:
            outcome = ClosureReason(outcome_text)
        except ValueError:
            r.errors.append(FieldError("outcome", f"{outcome_text!r} is not one of: {', '.join(c.value for c in ClosureReason)}"))
    if lodged is not None and lodged >= switch_day:
        r.errors.append(FieldError("lodged", f"{lodged} is not before automatic distribution began ({switch_day})"))
    if lodged and initiated and initiated < lodged:
        r.errors.append(FieldError("initiated", f"{initiated} is before lodged ({lodged})"))
    if closed is not None and initiated is None:
        r.errors.append(FieldError("closed", "a proceeding closes only after it is initiated: initiated is empty"))
    if closed and initiated and closed < initiated:
        r.errors.append(FieldError("closed", f"{closed} is before initiated ({initiated})"))
    if (closed is None) != (outcome is None) and not any(e.field in ("outcome", "closed") for e in r.errors):
        r.errors.append(FieldError("outcome", "is given exactly when closed is"))
    amount_tiyn = int((amount or 0) * 100)
    recovered_tiyn = int((recovered or 0) * 100)
    if amount is not None and not 0 <= amount < MAX_AMOUNT_KZT:
        r.errors.append(FieldError("amount_kzt", f"must be from 0 to below {MAX_AMOUNT_KZT:,} KZT"))
    if recovered is not None and not 0 <= recovered_tiyn <= amount_tiyn:
        r.errors.append(FieldError("recovered_kzt", f"must be from 0 to amount_kzt ({amount_tiyn / 100:,.2f})"))
    if outcome is ClosureReason.RECOVERED and amount_tiyn and recovered_tiyn < amount_tiyn:
        r.errors.append(FieldError("outcome", "recovered means the whole amount was recovered; recovered_kzt is less"))
    if outcome not in (None, ClosureReason.RECOVERED) and amount_tiyn and recovered_tiyn == amount_tiyn:
        r.errors.append(FieldError("outcome", "the whole amount was recovered: the outcome is recovered"))
    if r.errors:
        return r.errors
    assert lodged is not None and kind is not None
    return HistoricalRecord(source_ref, region, str(kind), licence, lodged, initiated, closed, None if outcome is None else str(outcome), amount_tiyn, recovered_tiyn)
