"""Per-row outcomes of a file submission."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from casedraw.domain.errors import FieldError


@dataclass(frozen=True, slots=True)
class RowOutcome:
    row: int  # as the person sees it in the file
    status: str  # accepted, duplicate, rejected (documents); registered, changed, unchanged, rejected (bailiffs)
    key: str | int | None = None  # document id or licence
    detail: str = ""  # routing channel, or what changed
    errors: tuple[FieldError, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "row": self.row, "status": self.status, "key": self.key, "detail": self.detail,
            "errors": [{"field": e.field, "reason": e.reason} for e in self.errors],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RowOutcome:
        errors = tuple(FieldError(e["field"], e["reason"]) for e in data["errors"])
        return cls(data["row"], data["status"], data["key"], data["detail"], errors)


@dataclass
class Report:
    outcomes: list[RowOutcome] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        return Counter(o.status for o in self.outcomes)

    @property
    def rejected(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.status == "rejected"]
