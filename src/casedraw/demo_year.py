"""A year of automatic distribution, simulated day by day through the production services.

Each working day in Kazakhstan: bailiffs record the steps of their proceedings that fall due
(acknowledgements, initiations, payments, suspensions, closures), claimants file paragraph 12
applications against proceedings long overdue and commissions decide them, documents arrive
(seasonal intake), and the evening round draws them. Bailiffs differ: most are prompt, some slow,
a few neglect part of their documents; recovery depends on the claimant kind and the bailiff.
The year before it comes from the same generator with the claimant choosing the bailiff, and is
imported as historical records, so `casedraw stats` has a before and an after.

Synthetic data only (Python's `random` here decides nothing the draw decides).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import select

from casedraw import demo as demo_data
from casedraw.domain.calendar import is_working_day
from casedraw.domain.model import Category, ClaimantKind
from casedraw.ledger.events import Actor
from casedraw.services import KZ_TIME, Context
from casedraw.services import procedures as proc
from casedraw.services.history import import_history
from casedraw.services.intake import submit_documents
from casedraw.services.proceedings import StepRequest, overdue, record_steps
from casedraw.services.reports import Report
from casedraw.services.rounds import run_round
from casedraw.store import schema
from casedraw.store.repository import Store

# Intake by month: January's holidays are quiet, December and spring are busy.
SEASON = {1: 0.7, 2: 0.9, 3: 1.1, 4: 1.05, 5: 0.85, 6: 0.95, 7: 0.85, 8: 0.85, 9: 1.05, 10: 1.1, 11: 1.1, 12: 1.25}
# Chance that anything is recovered, by claimant kind (alimony and state claims are paid more often).
RECOVERY = {
    ClaimantKind.BANK: 0.55, ClaimantKind.MFO: 0.35, ClaimantKind.COLLECTION_AGENCY: 0.3,
    ClaimantKind.INDIVIDUAL: 0.75, ClaimantKind.STATE_BODY: 0.6,
}


@dataclass(frozen=True)
class Profile:
    """How a bailiff works: delays in working days, skill at recovery, share of documents neglected."""

    acknowledge_delay: float
    initiate_delay: float
    skill: float
    neglect: float


def profiles(rng: random.Random, licences: list[str]) -> dict[str, Profile]:
    out = {}
    for licence in licences:
        kind = rng.random()
        if kind < 0.03:  # misbehaving: leaves a third of its documents untouched
            out[licence] = Profile(3.0, 6.0, 0.6, 0.35)
        elif kind < 0.13:  # slow
            out[licence] = Profile(2.5, 5.0, 0.8, 0.02)
        else:
            out[licence] = Profile(0.3, 0.6, rng.uniform(0.75, 1.3), 0.002)
    return out


def working_day_on_or_after(day: dt.date) -> dt.date:
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def after_working_days(day: dt.date, count: int) -> dt.date:
    for _ in range(count):
        day = working_day_on_or_after(day + dt.timedelta(days=1))
    return day


@dataclass
class Assigned:
    doc: int
    licence: str
    amount_tiyn: int
    category: str
    claimant_kind: str


def plan(rng: random.Random, p: Profile, a: Assigned, day: dt.date) -> Iterator[tuple[dt.date, StepRequest]]:
    """The steps a bailiff takes on one document, from the day it was drawn."""
    if rng.random() < p.neglect:
        return  # never acknowledged: overdue, and in time a paragraph 12 application
    day = after_working_days(day, 1 + int(rng.expovariate(1 / p.acknowledge_delay)) if p.acknowledge_delay else 1)
    yield day, StepRequest(a.doc, "acknowledged")
    day = after_working_days(day, 1 + int(rng.expovariate(1 / p.initiate_delay)))
    yield day, StepRequest(a.doc, "initiated", reference=f"{a.licence}/{day.year}-{a.doc:06d}")
    if rng.random() < 0.08:  # suspended for a while (appeal, the debtor's bankruptcy, a court's stay)
        day = working_day_on_or_after(day + dt.timedelta(days=rng.randint(10, 60)))
        yield day, StepRequest(a.doc, "suspended", reason="Court stay")
        day = working_day_on_or_after(day + dt.timedelta(days=rng.randint(20, 90)))
        yield day, StepRequest(a.doc, "resumed", reason="Stay lifted")
    if a.category == Category.NON_PROPERTY:
        day = working_day_on_or_after(day + dt.timedelta(days=rng.randint(20, 90)))
        yield day, StepRequest(a.doc, "closed", reason="recovered" if rng.random() < 0.7 else "returned")
        return
    chance = rng.random()
    if chance < 0.04:
        yield working_day_on_or_after(day + dt.timedelta(days=rng.randint(10, 60))), StepRequest(a.doc, "closed", reason="withdrawn")
        return
    if chance < 0.05:
        yield working_day_on_or_after(day + dt.timedelta(days=rng.randint(5, 30))), StepRequest(a.doc, "closed", reason="transferred")
        return
    if rng.random() < min(0.95, RECOVERY[ClaimantKind(a.claimant_kind)] * p.skill):
        full = rng.random() < 0.6
        target = a.amount_tiyn if full else int(a.amount_tiyn * rng.uniform(0.05, 0.8))
        installments = rng.randint(1, 4)
        paid = 0
        for i in range(installments):
            day = working_day_on_or_after(day + dt.timedelta(days=rng.randint(15, 60)))
            amount = target - paid if i == installments - 1 else target // installments
            if amount > 0:
                paid += amount
                yield day, StepRequest(a.doc, "recovered", amount_tiyn=amount)
        if full and paid == a.amount_tiyn:
            yield after_working_days(day, 2), StepRequest(a.doc, "closed", reason="recovered")
            return
    day = working_day_on_or_after(day + dt.timedelta(days=rng.randint(90, 240)))
    yield day, StepRequest(a.doc, "closed", reason="impossible" if rng.random() < 0.6 else "returned")


def history_rows(rng: random.Random, bailiffs: list[dict[str, object]], rows: list[dict[str, object]], start: dt.date) -> list[dict[str, object]]:
    """The year before `start`: the same kind of documents, each lodged with a bailiff its claimant
    chose. Claimants concentrated on bailiffs they knew, who started fast and recovered a little
    more for banks and microfinance organisations, but left other claimants' documents waiting."""
    by_region: dict[str, list[str]] = defaultdict(list)
    for b in bailiffs:
        by_region[str(b["region"])].append(str(b["licence"]))
    out = []
    for n, row in enumerate(rows, start=1):
        if row["region"] not in by_region or row.get("category") is None:
            continue
        favourites = by_region[str(row["region"])][: max(2, len(by_region[str(row["region"])]) // 5)]
        kind = ClaimantKind(str(row["claimant_kind"]))
        corporate = kind in (ClaimantKind.BANK, ClaimantKind.MFO, ClaimantKind.COLLECTION_AGENCY)
        licence = rng.choice(favourites) if corporate and rng.random() < 0.6 else rng.choice(by_region[str(row["region"])])
        lodged = working_day_on_or_after(start - dt.timedelta(days=rng.randint(1, 365)))
        if lodged >= start:
            continue
        initiated = after_working_days(lodged, 1 + int(rng.expovariate(1 / (0.8 if corporate else 3.5))))
        amount = row["amount_kzt"] or "0"
        amount_tiyn = int(round(float(str(amount)) * 100))
        record = {"record": f"H-{start.year - 1}-{n:07d}", "region": row["region"], "claimant_kind": str(kind), "licence": licence,
                  "lodged": lodged.isoformat(), "initiated": initiated.isoformat(), "closed": "", "outcome": "",
                  "amount_kzt": str(amount), "recovered_kzt": "0"}
        chance = RECOVERY[kind] * (1.1 if corporate else 0.9)
        recovered = 0
        if amount_tiyn and rng.random() < chance:
            recovered = amount_tiyn if rng.random() < 0.55 else int(amount_tiyn * rng.uniform(0.05, 0.8))
        closed = working_day_on_or_after(initiated + dt.timedelta(days=rng.randint(30, 300)))
        if closed < start:
            outcome = "recovered" if amount_tiyn and recovered == amount_tiyn else ("impossible" if rng.random() < 0.6 else "returned")
            if not amount_tiyn:
                outcome = "recovered" if rng.random() < 0.7 else "returned"
            record.update(closed=closed.isoformat(), outcome=outcome)
        record["recovered_kzt"] = f"{recovered / 100:.2f}"
        out.append(record)
    return out


@dataclass
class YearSimulation:
    store: Store
    rng: random.Random
    start: dt.date
    days: int
    say: Callable[[str], None]
    now: list[dt.datetime] = field(default_factory=lambda: [dt.datetime(2000, 1, 1, tzinfo=dt.UTC)])
    due: dict[dt.date, list[tuple[str, StepRequest]]] = field(default_factory=lambda: defaultdict(list))
    decisions: dict[dt.date, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    filed: set[int] = field(default_factory=set)
    report: Report = field(default_factory=Report)
    rows: list[dict[str, object]] = field(default_factory=list)  # the documents, in the order they arrive
    steps: int = 0
    refused: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # where the time went

    def at(self, day: dt.date, hour: int) -> None:
        """Move the clock to `hour` o'clock in Kazakhstan on `day` (never backwards)."""
        moment = dt.datetime.combine(day, dt.time(hour), KZ_TIME).astimezone(dt.UTC)
        self.now[0] = max(self.now[0], moment)

    def acting(self, role: str, ident: str) -> Context:
        return Context(Actor(role, ident), clock=lambda: self.now[0])

    def run(self, bailiffs: list[dict[str, object]], docs: int, on_round: Callable[[object], None], on_docs: Callable[[int], None]) -> None:
        self.at(self.start, 8)
        licences = [str(b["licence"]) for b in bailiffs]
        self.profiles = profiles(self.rng, licences)
        days = [self.start + dt.timedelta(days=i) for i in range(self.days)]
        working = [d for d in days if is_working_day(d)]
        weights = [SEASON[d.month] for d in working]
        counts = _split(docs, weights)
        reg_days = [d for d, c in zip(working, counts, strict=True) for _ in range(c)]
        rows = self.rows = list(demo_data.document_rows(self.rng, docs, self.start, days=reg_days))
        history = history_rows(random.Random(self.rng.random()), bailiffs, rows, self.start)
        imported = import_history(self.store, list(enumerate(history, start=2)), self.acting("ministry", "demo-history"))
        self.say(f"history: {imported.counts()['accepted']:,} proceedings from the year before automatic distribution imported")
        position = 0
        for number, (day, count) in enumerate(zip(working, counts, strict=True)):
            self.at(day, 9)
            with self.timed("steps"):
                self._steps(day)
            with self.timed("applications"):
                self._applications(day)
            if number == 2:
                for line in demo_data.run_procedures(self.store, day, self.acting):
                    self.say(line)
            for hour, part in zip((10, 13, 16), _split(count, [1.0, 1.0, 1.0]), strict=True):  # files arrive through the day
                self.at(day, hour)
                batch = list(enumerate(rows[position:position + part], start=position + 2))
                position += part
                with self.timed("intake"):
                    self.report.outcomes += submit_documents(self.store, batch, self.acting("operator", "demo")).outcomes
                on_docs(part)
            self.at(day, 18)
            with self.timed("rounds"):
                result = run_round(self.store, self.acting("system", "demo"))
            if result is not None:
                on_round(result)
                self._plan_round(result.round, day)

    @contextmanager
    def timed(self, what: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[what] += time.perf_counter() - started

    def _steps(self, day: dt.date) -> None:
        items = self.due.pop(day, [])
        if not items:
            return
        outcomes = record_steps(self.store, self.acting("bailiff", "demo"), [r for _, r in items], [Actor("bailiff", lic) for lic, _ in items])
        self.steps += sum(o.error is None for o in outcomes)
        self.refused += sum(o.error is not None for o in outcomes)  # the document moved on (replaced, redistributed)

    def _plan_round(self, round_no: int, day: dt.date) -> None:
        d = schema.documents
        with self.store.read() as conn:
            rows = conn.execute(
                select(d.c.id, d.c.assigned_to, d.c.amount_tiyn, d.c.category, d.c.claimant_kind)
                .where(d.c.round == round_no, d.c.status == "assigned").order_by(d.c.id)
            ).all()
        for r in rows:
            assigned = Assigned(r.id, r.assigned_to, r.amount_tiyn, r.category, r.claimant_kind)
            for when, request in plan(self.rng, self.profiles[r.assigned_to], assigned, day):
                self.due[when].append((r.assigned_to, request))

    def _applications(self, day: dt.date) -> None:
        """Mondays: claimants apply against proceedings not initiated a week after the deadline;
        the commission decides within a few working days."""
        for application, member in self.decisions.pop(day, []):
            proc.decide_application(self.store, self.acting("commission", member), application, "granted", f"DC-{application}",
                                    "The bailiff missed the deadlines to acknowledge and initiate")
        if day.weekday() != 0:
            return
        late = [o for o in overdue(self.store, day) if "initiate" in o.missed and (day - o.initiate_by).days >= 7 and o.doc not in self.filed]
        chosen = self.rng.sample(late, min(len(late), 25))
        d = schema.documents
        with self.store.read() as conn:
            claimants = dict(conn.execute(select(d.c.id, d.c.claimant_idn).where(d.c.id.in_([o.doc for o in chosen]))).all())
        for o in chosen:
            claimant = claimants[o.doc]
            filed = proc.file_application(self.store, self.acting("claimant", claimant), o.doc, claimant, "missed_deadlines",
                                          "The bailiff has not initiated proceedings", [f"Letter {o.doc}"])
            self.filed.add(o.doc)
            self.decisions[after_working_days(day, self.rng.randint(2, 8))].append((filed.application, f"commission-{o.region.lower()}"))


def _split(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`, in whole numbers that add up to it."""
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for i in range(total - sum(counts)):
        counts[i % len(counts)] += 1
    return counts
