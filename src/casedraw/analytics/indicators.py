"""Indicators: processing times and recovery per region, bailiff, claimant kind and month, before and after.

A pure function of the facts (facts.py). "after" is automatic distribution (documents, proceedings and
applications from the log), "before" the imported history, when claimants chose the bailiff. Each fact is
reduced once to its group under every breakdown and its value for every indicator; the values are then
grouped in one pass and each group's sample sorted once. Samples are sorted and summed with math.fsum
(ci.py) and rows are sorted, so the output does not depend on the order of the facts.

Durations are whole calendar days between Kazakhstan dates, except hours_to_draw (exact hours) and
decision_working_days (working days after the filing day up to the decision day).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter

from casedraw.analytics import ci
from casedraw.analytics.facts import CLOSURES, ApplicationFact, DocumentFact, Facts, HistoricalFact, Outcome, ProceedingFact
from casedraw.domain.calendar import is_working_day
from casedraw.ledger.events import kz_day

INDICATOR_COLUMNS = ("period", "by", "group", "indicator", "unit", "n", "mean", "mean_low", "mean_high",
                     "median", "median_low", "median_high", "p90")
COMPARISON_COLUMNS = ("by", "group", "indicator", "unit", "before_n", "before_mean", "before_low", "before_high",
                      "after_n", "after_mean", "after_low", "after_high", "difference", "difference_low", "difference_high",
                      "before_median", "before_median_low", "before_median_high", "after_median", "after_median_low",
                      "after_median_high", "significant")

AFTER, BEFORE = "after", "before"
PERIODS = (AFTER, BEFORE)
BYS = ("all", "region", "bailiff", "claimant_kind", "month")
COMPARED_BYS = ("all", "region", "claimant_kind")

HOURS, DAYS, WORKING_DAYS, PERCENT, PROPORTION, COUNT = "hours", "days", "working_days", "percent", "proportion", "count"
MEASURES = frozenset({HOURS, DAYS, WORKING_DAYS, PERCENT})

OUTCOMES = tuple(Outcome)
CLOSURE_OUTCOMES = tuple(o for o in Outcome if o in CLOSURES)  # in the enum's order, so columns come out stable

Row = dict[str, object]
# A fact reduced: its group under each of BYS (None: not grouped that way), then its value per indicator,
# a number (measure), a bool (count, proportion) or None (not in that indicator's sample).
Record = tuple[object, ...]
SampleKey = tuple[str, str, str]  # indicator, by, group


@dataclass(frozen=True, slots=True)
class Indicator:
    name: str
    unit: str


@dataclass(frozen=True, slots=True)
class Sample:
    """One indicator's data in one group: a count, a proportion's successes out of n, or a measure's sorted values."""

    unit: str
    n: int
    successes: int = 0
    values: Sequence[float] = ()


DOCUMENT_HEAD = (Indicator("documents", COUNT), Indicator("hours_to_draw", HOURS), Indicator("pending", COUNT))
DOCUMENT_TAIL = (Indicator("waiting", COUNT), Indicator("open", COUNT))  # after pending:<reason>, which depend on the data
PROCEEDING_INDICATORS = (
    Indicator("days_to_acknowledge", DAYS),
    Indicator("days_to_initiation", DAYS),
    Indicator("days_to_closure", DAYS),
    Indicator("recovered_share", PERCENT),
    Indicator("full_recovery_rate", PROPORTION),
    Indicator("late_acknowledgement_rate", PROPORTION),
    Indicator("late_initiation_rate", PROPORTION),
    *(Indicator(f"outcome:{o}", PROPORTION) for o in OUTCOMES),
    Indicator("suspended_rate", PROPORTION),
)
APPLICATION_INDICATORS = (
    Indicator("applications", COUNT),
    Indicator("application_granted_rate", PROPORTION),
    Indicator("decision_working_days", WORKING_DAYS),
    Indicator("late_decision_rate", PROPORTION),
)
HISTORY_INDICATORS = (
    Indicator("documents", COUNT),
    Indicator("days_to_initiation", DAYS),
    Indicator("days_to_closure", DAYS),
    Indicator("recovered_share", PERCENT),
    Indicator("full_recovery_rate", PROPORTION),
    *(Indicator(f"outcome:{o}", PROPORTION) for o in CLOSURE_OUTCOMES),
)
COMPARED = ("days_to_initiation", "days_to_closure", "recovered_share", "full_recovery_rate", *(f"outcome:{o}" for o in CLOSURE_OUTCOMES))

_NOT_ENDED = (None,) * len(OUTCOMES)
_OUTCOME_FLAGS = {str(o): tuple(o == other for other in OUTCOMES) for o in OUTCOMES}
_UNKNOWN_OUTCOME = (False,) * len(OUTCOMES)
_CLOSURE_FLAGS = {str(o): tuple(o == other for other in CLOSURE_OUTCOMES) for o in CLOSURE_OUTCOMES}
_NOT_CLOSED = (None,) * len(CLOSURE_OUTCOMES)


# --- public ----------------------------------------------------------------------------------------


def compute(facts: Facts) -> list[Row]:
    """Every indicator for every period, breakdown and group, as rows keyed by INDICATOR_COLUMNS."""
    days = _Days()
    reasons = pending_reasons(facts.documents)
    after = {**document_samples(facts.documents, reasons, days, BYS), **proceeding_samples(facts, days, BYS),
             **application_samples(facts, days, BYS)}
    before = history_samples(facts.history, days, BYS)
    rank = _indicator_ranks(reasons)
    rows = [indicator_row(period, key, sample) for period, samples in ((AFTER, after), (BEFORE, before)) for key, sample in samples.items()]
    rows.sort(key=lambda r: (PERIODS.index(str(r["period"])), rank[str(r["indicator"])], BYS.index(str(r["by"])), str(r["group"])))
    return rows


def compare(facts: Facts) -> list[Row]:
    """Before against after for the indicators both periods have, by all, region and claimant kind.

    Rows are keyed by COMPARISON_COLUMNS, one per group present in both periods. Outcome shares are compared
    among closures on both sides: the history knows no procedural departures (replacement, redistribution,
    forwarding), so after ones are left out of the denominator here, unlike in compute's outcome rows.
    """
    days = _Days()
    after = proceeding_samples(facts, days, COMPARED_BYS)
    before = history_samples(facts.history, days, COMPARED_BYS)
    shared = {(by, group) for (_, by, group) in after} & {(by, group) for (_, by, group) in before}
    rows = []
    for name in COMPARED:
        for by in COMPARED_BYS:
            for group in sorted(g for b, g in shared if b == by):
                after_sample = after[name, by, group]
                if name.startswith("outcome:"):
                    after_sample = Sample(PROPORTION, after["full_recovery_rate", by, group].n, after_sample.successes)
                rows.append(comparison_row((name, by, group), before[name, by, group], after_sample))
    return rows


def pending_reasons(documents: Iterable[DocumentFact]) -> tuple[str, ...]:
    """Every reason any pending document gives, sorted: each gets a pending:<reason> count in every group."""
    return tuple(sorted({r for d in documents if d.state == "pending" for r in d.pending_reasons}))


# --- facts to samples ------------------------------------------------------------------------------


def document_samples(documents: Iterable[DocumentFact], reasons: tuple[str, ...], days: _Days,
                     bys: Sequence[str]) -> dict[SampleKey, Sample]:
    indicators = (*DOCUMENT_HEAD, *(Indicator(f"pending:{r}", COUNT) for r in reasons), *DOCUMENT_TAIL)
    return _samples((_document_record(d, reasons, days) for d in documents), indicators, bys)


def proceeding_samples(facts: Facts, days: _Days, bys: Sequence[str]) -> dict[SampleKey, Sample]:
    as_of = days.of_time(facts.as_of) if facts.as_of else None
    return _samples((_proceeding_record(p, as_of, days) for p in facts.proceedings), PROCEEDING_INDICATORS, bys)


def application_samples(facts: Facts, days: _Days, bys: Sequence[str]) -> dict[SampleKey, Sample]:
    as_of = days.of_time(facts.as_of) if facts.as_of else None
    working = _WorkingDays()
    return _samples((_application_record(a, as_of, days, working) for a in facts.applications), APPLICATION_INDICATORS, bys)


def history_samples(history: Iterable[HistoricalFact], days: _Days, bys: Sequence[str]) -> dict[SampleKey, Sample]:
    return _samples((_history_record(h, days) for h in history), HISTORY_INDICATORS, bys)


def _document_record(d: DocumentFact, reasons: tuple[str, ...], days: _Days) -> Record:
    pending = d.state == "pending"
    hours = None if d.first_drawn is None else _hours_between(d.registered, d.first_drawn)
    return ("all", d.region, None, d.claimant_kind, days.month(days.of_time(d.registered)),
            True, hours, pending, *(pending and r in d.pending_reasons for r in reasons), d.state == "waiting", d.state == "open")


def _proceeding_record(p: ProceedingFact, as_of: int | None, days: _Days) -> Record:
    assigned = days.of_time(p.assigned)
    acknowledged = days.of_optional_time(p.acknowledged)
    initiated = days.of_optional_time(p.initiated)
    ended = days.of_optional_time(p.ended)
    closed = p.outcome in CLOSURES
    # Without an acknowledgement (initiation) the proceeding is judged on the day it ended, or today if it is open.
    still = ended if ended is not None else as_of
    return (
        "all", p.region, p.licence, p.claimant_kind, days.month(assigned),
        _span(assigned, acknowledged),
        _span(assigned, initiated),
        _span(initiated, ended) if closed else None,
        p.recovered_bp / 100 if closed else None,
        p.outcome == Outcome.RECOVERED if closed else None,
        _late(acknowledged, still, days.of_date(p.acknowledge_by)),
        _late(initiated, still, days.of_date(p.initiate_by)),
    ) + (_NOT_ENDED if p.outcome is None else _OUTCOME_FLAGS.get(p.outcome, _UNKNOWN_OUTCOME)) + (p.suspensions > 0,)


def _application_record(a: ApplicationFact, as_of: int | None, days: _Days, working: _WorkingDays) -> Record:
    filed = days.of_time(a.filed)
    decided = days.of_optional_time(a.decided)
    return (
        "all", a.region, a.licence, a.claimant_kind, days.month(filed),
        True,
        None if decided is None else a.decision == "granted",
        None if decided is None else working.between(filed, decided),
        _late(decided, as_of, days.of_date(a.deadline)),
    )


def _history_record(h: HistoricalFact, days: _Days) -> Record:
    lodged = days.of_date(h.lodged)
    initiated = None if h.initiated is None else days.of_date(h.initiated)
    closed_on = None if h.closed is None else days.of_date(h.closed)
    closed = h.outcome in CLOSURES
    return (
        "all", h.region, h.licence, h.claimant_kind, days.month(lodged),
        True,
        _span(lodged, initiated),
        _span(initiated, closed_on) if closed else None,
        h.recovered_bp / 100 if closed else None,
        h.outcome == Outcome.RECOVERED if closed else None,
    ) + (_CLOSURE_FLAGS[str(h.outcome)] if closed else _NOT_CLOSED)


def _span(start: int | None, end: int | None) -> int | None:
    return None if start is None or end is None else end - start


def _late(done: int | None, otherwise: int | None, deadline: int) -> bool | None:
    """Late if done after the deadline, or not done and the deadline passed by `otherwise`; None: not yet due."""
    reference = done if done is not None else otherwise
    if reference is None:
        return None
    late = reference > deadline
    return late if done is not None or late else None


def _hours_between(start: str, end: str) -> float:
    return (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds() / 3600


def _samples(records: Iterable[Record], indicators: Sequence[Indicator], bys: Sequence[str]) -> dict[SampleKey, Sample]:
    """Each indicator's sample in each group of each breakdown.

    The records are transposed once into columns; a group's part of a column is then gathered in C
    (itemgetter) rather than walked record by record: walking tuples column by column costs ten times more.
    """
    columns = list(zip(*records, strict=True))
    if not columns:
        return {}
    group_columns, value_columns = columns[:len(BYS)], columns[len(BYS):]
    samples = {}
    for by in bys:
        for group, indices in _group_indices(group_columns[BYS.index(by)]).items():
            for indicator, column in zip(indicators, _gather(value_columns, indices), strict=True):
                samples[indicator.name, by, group] = _sample(indicator.unit, column)
    return samples


def _group_indices(groups: Sequence[str | None]) -> dict[str, list[int]]:
    indices: defaultdict[str, list[int]] = defaultdict(list)
    for index, group in enumerate(groups):
        if group is not None:
            indices[group].append(index)
    return indices


def _gather(columns: Sequence[Sequence[object]], indices: list[int]) -> list[Sequence[object]]:
    if len(indices) == len(columns[0]):  # the whole column, as for "all"
        return list(columns)
    if len(indices) == 1:  # itemgetter of one index returns the item, not a tuple
        return [(column[indices[0]],) for column in columns]
    pick = itemgetter(*indices)
    return [pick(column) for column in columns]


def _sample(unit: str, column: Sequence[object]) -> Sample:
    if unit == COUNT:
        return Sample(unit, column.count(True))
    if unit == PROPORTION:
        return Sample(unit, len(column) - column.count(None), column.count(True))
    values: list[float] = [x for x in column if x is not None]  # type: ignore[misc]  # measures hold numbers
    values.sort()
    return Sample(unit, len(values), values=values)


# --- samples to rows -------------------------------------------------------------------------------


def indicator_row(period: str, key: SampleKey, sample: Sample) -> Row:
    indicator, by, group = key
    statistics: tuple[float | None, ...]
    if sample.unit == COUNT:
        statistics = (None,) * 7
    elif sample.unit == PROPORTION:
        statistics = (*ci.wilson(sample.successes, sample.n), None, None, None, None)
    else:
        statistics = (*ci.mean_ci(sample.values), *ci.median_ci(sample.values), ci.percentile(sample.values, 90))
    return dict(zip(INDICATOR_COLUMNS, (period, by, group, indicator, sample.unit, sample.n, *map(_round, statistics)), strict=True))


def comparison_row(key: SampleKey, before: Sample, after: Sample) -> Row:
    indicator, by, group = key
    if before.unit in MEASURES:
        before_mean, after_mean = ci.mean_ci(before.values), ci.mean_ci(after.values)
        difference = ci.welch_difference(before.values, after.values)
        medians = (*ci.median_ci(before.values), *ci.median_ci(after.values))
    else:
        before_mean, after_mean = ci.wilson(before.successes, before.n), ci.wilson(after.successes, after.n)
        difference = ci.newcombe_difference(before.successes, before.n, after.successes, after.n)
        medians = (None,) * 6
    _, low, high = rounded_difference = tuple(map(_round, difference))
    # Judged on the rounded bounds, so a row never shows a bound of 0.0000 and "significant".
    significant = None if low is None or high is None else not low <= 0 <= high
    values = (by, group, indicator, before.unit, before.n, *map(_round, before_mean), after.n, *map(_round, after_mean),
              *rounded_difference, *map(_round, medians), significant)
    return dict(zip(COMPARISON_COLUMNS, values, strict=True))


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 4) + 0.0  # + 0.0 turns -0.0 into 0.0


def _indicator_ranks(reasons: tuple[str, ...]) -> dict[str, int]:
    names = [i.name for i in DOCUMENT_HEAD] + [f"pending:{r}" for r in reasons]
    names += [i.name for i in (*DOCUMENT_TAIL, *PROCEEDING_INDICATORS, *APPLICATION_INDICATORS)]
    return {name: rank for rank, name in enumerate(names)}  # the history's indicators are all among these


# --- calendars -------------------------------------------------------------------------------------


class _Days:
    """Kazakhstan days as ordinals, and their months, each parsed once per distinct value."""

    def __init__(self) -> None:
        self._times: dict[str, int] = {}
        self._dates: dict[str, int] = {}
        self._months: dict[int, str] = {}

    def of_time(self, at: str) -> int:
        key = at[:13]  # kz_day reads only the UTC date and hour
        day = self._times.get(key)
        if day is None:
            day = self._times[key] = kz_day(at).toordinal()
        return day

    def of_optional_time(self, at: str | None) -> int | None:
        return None if at is None else self.of_time(at)

    def of_date(self, date: str) -> int:
        day = self._dates.get(date)
        if day is None:
            day = self._dates[date] = dt.date.fromisoformat(date).toordinal()
        return day

    def month(self, day: int) -> str:
        month = self._months.get(day)
        if month is None:
            month = self._months[day] = dt.date.fromordinal(day).strftime("%Y-%m")
        return month


class _WorkingDays:
    """Working days d with start < d <= end, each day looked up in the calendar once."""

    def __init__(self) -> None:
        self._working: dict[int, bool] = {}

    def between(self, start: int, end: int) -> int:
        return sum(self._is_working(day) for day in range(start + 1, end + 1))

    def _is_working(self, day: int) -> bool:
        working = self._working.get(day)
        if working is None:
            working = self._working[day] = is_working_day(dt.date.fromordinal(day))
        return working

