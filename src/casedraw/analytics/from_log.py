"""Facts from the public log alone: what anyone holding an export can compute.

A fold over the event bodies, independent of the database code: it does not check the log (that
is `casedraw verify`), it only reads what the events say happened to each document.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from casedraw.analytics.facts import ApplicationFact, DocumentFact, Facts, HistoricalFact, Outcome, ProceedingFact
from casedraw.ledger import canonical


@dataclass
class _Document:
    region: str
    claimant_kind: str
    category: str
    registered: str
    first_drawn: str | None = None
    state: str = "waiting"
    reasons: tuple[str, ...] = ()
    tenures: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Fold:
    documents: dict[int, _Document] = field(default_factory=dict)
    applications: dict[int, dict[str, Any]] = field(default_factory=dict)
    history: list[HistoricalFact] = field(default_factory=list)
    as_of: str = ""

    def event(self, event: dict[str, Any]) -> None:
        self.as_of = event["at"]
        handler = _HANDLERS.get(event["kind"])
        if handler is not None:
            handler(self, event["at"], event["data"])

    def registered(self, at: str, d: dict[str, Any]) -> None:
        if d["channel"] == "pb":
            self.documents[d["doc"]] = _Document(d["region"], d["claimant_kind"], d["category"], at)

    def sealed(self, at: str, d: dict[str, Any]) -> None:
        for doc in d["documents"]:
            self.documents[doc].state, self.documents[doc].reasons = "waiting", ()

    def drawn(self, at: str, d: dict[str, Any]) -> None:
        deadlines = d["deadlines"]
        for region, outcome in d["regions"].items():
            for doc, licence, _ in outcome["assigned"]:
                document = self.documents[doc]
                document.state = "open"
                document.first_drawn = document.first_drawn or at
                document.tenures.append({
                    "licence": licence, "region": region, "assigned": at, "acknowledge_by": deadlines["acknowledge"],
                    "initiate_by": deadlines["initiate"], "acknowledged": None, "initiated": None, "suspensions": 0,
                    "ended": None, "outcome": None, "recovered_bp": 0,
                })
            for doc, reasons in outcome["pending"]:
                self.documents[doc].state, self.documents[doc].reasons = "pending", tuple(sorted(r for r, _ in reasons))

    def _leave(self, at: str, doc: int, outcome: Outcome) -> None:
        document = self.documents[doc]
        document.tenures[-1].update(ended=at, outcome=str(outcome))
        document.state = "waiting"

    def released(self, at: str, d: dict[str, Any]) -> None:
        for doc in d["documents"]:
            self._leave(at, doc, Outcome.REDISTRIBUTED)

    def decided(self, at: str, d: dict[str, Any]) -> None:
        self.applications[d["application"]].update(decided=at, decision=d["decision"])
        if d["released"] is not None:
            self._leave(at, d["doc"], Outcome.REPLACED)

    def forwarded(self, at: str, d: dict[str, Any]) -> None:
        if d["released"] is not None:
            self._leave(at, d["doc"], Outcome.FORWARDED)
        self.documents[d["doc"]].region = d["to"]
        self.documents[d["doc"]].state = "waiting"

    def filed(self, at: str, d: dict[str, Any]) -> None:
        self.applications[d["application"]] = {
            "doc": d["doc"], "region": d["region"], "licence": d["licence"], "grounds": d["grounds"], "filed": at,
            "deadline": d["deadline"], "decided": None, "decision": None,
        }

    def step(self, at: str, kind: str, d: dict[str, Any]) -> None:
        document = self.documents[d["doc"]]
        tenure = document.tenures[-1]
        if kind == "proceeding.acknowledged":
            tenure["acknowledged"] = at
        elif kind == "proceeding.initiated":
            tenure["initiated"] = at
        elif kind == "proceeding.suspended":
            tenure["suspensions"] = d["suspension"]
        elif kind == "proceeding.closed":
            tenure.update(ended=at, outcome=d["reason"], recovered_bp=d["recovered_bp"])
            document.state = "closed"

    def imported(self, at: str, d: dict[str, Any]) -> None:
        for offset, (region, kind, licence, lodged, initiated, closed, outcome, bp) in enumerate(d["records"]):
            self.history.append(HistoricalFact(str(d["first"] + offset), region, kind, licence, lodged, initiated, closed, outcome, bp))

    def facts(self) -> Facts:
        documents, proceedings = [], []
        for doc, x in self.documents.items():
            documents.append(DocumentFact(doc, x.region, x.claimant_kind, x.category, x.registered, x.first_drawn, x.state, x.reasons))
            proceedings += [
                ProceedingFact(doc, t["licence"], t["region"], x.claimant_kind, t["assigned"], t["acknowledge_by"], t["initiate_by"],
                               t["acknowledged"], t["initiated"], t["suspensions"], t["ended"], t["outcome"], t["recovered_bp"])
                for t in x.tenures
            ]
        applications = [
            ApplicationFact(number, a["doc"], a["region"], a["licence"], self.documents[a["doc"]].claimant_kind, a["grounds"], a["filed"],
                            a["deadline"], a["decided"], a["decision"])
            for number, a in self.applications.items()
        ]
        return Facts(self.as_of, tuple(documents), tuple(proceedings), tuple(applications), tuple(self.history))


_STEPS = ("proceeding.acknowledged", "proceeding.initiated", "proceeding.suspended", "proceeding.closed")
_HANDLERS = {
    "document.registered": _Fold.registered,
    "round.sealed": _Fold.sealed,
    "round.drawn": _Fold.drawn,
    "bailiff.released": _Fold.released,
    "application.filed": _Fold.filed,
    "application.decided": _Fold.decided,
    "document.forwarded": _Fold.forwarded,
    "history.imported": _Fold.imported,
    **{kind: (lambda fold, at, d, kind=kind: fold.step(at, kind, d)) for kind in _STEPS},
}


def facts_from_bodies(bodies: Iterable[bytes]) -> Facts:
    fold = _Fold()
    for body in bodies:
        fold.event(canonical.decode_trusted(body))  # type: ignore[arg-type]
    return fold.facts()
