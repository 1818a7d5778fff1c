"""Request and response bodies, with the examples the OpenAPI schema shows."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from typing_extensions import NotRequired, TypedDict

from casedraw.domain.model import Basis, Category, ClaimantKind, DocumentKind
from casedraw.domain.procedures import Decision, Grounds, LicenceAction
from casedraw.domain.proceedings import ClosureReason, Step

Text = Field(max_length=200)
BULK_LIMIT = 10_000
MAX_ID = 2**53 - 1  # numbers the log can hold (canonical JSON integers)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DocumentIn(Strict):
    """An enforcement document as the claimant submits it (the same columns as a CSV or XLSX upload)."""

    claimant_kind: str = Field(max_length=24, description=", ".join(ClaimantKind))
    claimant_idn: str = Field(max_length=12, description="The claimant's BIN (or IIN); must be the caller's own")
    claimant_name: str = Text
    debtor_idn: str = Field(max_length=12, description="The debtor's IIN or BIN")
    debtor_name: str = Text
    doc_kind: str = Field(max_length=24, description=", ".join(DocumentKind))
    issuing_body: str = Text
    doc_number: str = Field(max_length=64)
    doc_date: str = Field(max_length=10, description="YYYY-MM-DD, not after today")
    basis: str = Field(max_length=24, description="Why this region: " + ", ".join(Basis))
    region: str = Field(max_length=8, description="ISO 3166-2:KZ code of the region the basis points to")
    category: str = Field(max_length=24, description=", ".join(Category))
    amount_kzt: str | None = Field(default=None, max_length=24, description="Tenge with up to two decimals; empty for non-property claims")
    external_ref: str | None = Field(default=None, max_length=64, description="The claimant's own reference")
    lodged_with: str | None = Field(default=None, max_length=8, description="The chamber it was lodged with, if another region's")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "claimant_kind": "bank", "claimant_idn": "940140000385", "claimant_name": "Halyk Bank",
        "debtor_idn": "850412300704", "debtor_name": "Ахметов Ерлан", "doc_kind": "court_order",
        "issuing_body": "District court No. 2 of Almaty", "doc_number": "2-00017/2026", "doc_date": "2026-10-01",
        "basis": "debtor_residence", "region": "KZ-75", "category": "recovery_entity", "amount_kzt": "250000.00",
    }]})


def _as_typed_dict(model: type[BaseModel], name: str) -> Any:
    """A TypedDict with the model's fields and constraints: validated straight to plain dicts, with no
    model objects between (a bulk body holds ten thousand), and no second list of fields to keep."""
    fields = {}
    for field, info in model.model_fields.items():
        checked = Annotated[(info.annotation, *info.metadata)]  # type: ignore[valid-type]
        fields[field] = checked if info.is_required() else NotRequired[checked]  # type: ignore[valid-type]
    typed = TypedDict(name, fields)  # type: ignore[operator]
    typed.__pydantic_config__ = ConfigDict(extra="forbid")
    return typed


_DOCUMENT_FIELDS = _as_typed_dict(DocumentIn, "DocumentFields")
BulkIn = TypedDict("BulkIn", {"documents": Annotated[list[_DOCUMENT_FIELDS], Field(min_length=1, max_length=BULK_LIMIT)]})  # type: ignore[valid-type]
BulkIn.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]
BULK_IN = TypeAdapter(BulkIn)  # a whole bulk body, from its JSON bytes


class FieldErrorOut(BaseModel):
    field: str
    reason: str


class Submitted(BaseModel):
    """What became of one submitted document."""

    index: int = Field(description="Position in the request (0 for a single submission)")
    status: Literal["accepted", "duplicate", "rejected"]
    id: int | None = Field(default=None, description="casedraw's document number; a duplicate gets the first submission's")
    channel: str | None = Field(default=None, description="pb (drawn among private bailiffs) or state")
    errors: list[FieldErrorOut] = []

    model_config = ConfigDict(json_schema_extra={"examples": [{"index": 0, "status": "accepted", "id": 1041, "channel": "pb", "errors": []}]})


class BulkOut(BaseModel):
    accepted: int
    duplicate: int
    rejected: int
    results: list[Submitted]


class DocumentOut(BaseModel):
    """A document as its viewer may see it: the claimant and the assigned bailiff see the personal fields."""

    id: int
    registered_at: str
    region: str
    category: str
    claimant_kind: str
    doc_kind: str
    channel: str
    status: str = Field(description="registered, pending, assigned, released, forwarded, moved or state")
    weight: int
    round: int | None = None
    assigned_to: str | None = None
    how: str | None = Field(default=None, description="draw or affinity")
    recovered_bp: int = Field(description="Share of the claim recovered, in basis points")
    pending_reasons: list[Any] | None = None
    claimant_idn: str | None = None
    debtor_idn: str | None = None
    debtor_name: str | None = None
    issuing_body: str | None = None
    doc_number: str | None = None
    doc_date: dt.date | None = None
    basis: str | None = None
    amount_tiyn: int | None = None
    external_ref: str | None = None


class DocumentPage(BaseModel):
    documents: list[DocumentOut]
    next_after: int | None = Field(description="Pass as `after` for the next page; null on the last page")


class TimelineStep(BaseModel):
    model_config = ConfigDict(extra="allow")
    what: str
    at: str | None = None


class PendingOut(BaseModel):
    region: str
    doc: int
    reasons: list[Any]


class RoundOut(BaseModel):
    round: int
    status: str
    day: dt.date
    beacon_source: str
    documents: int | None = None
    sealed_seq: int | None = None
    drawn_seq: int | None = None


class RoundRun(BaseModel):
    round: int
    documents: int
    assigned: int
    pending: int
    seed: str


class BailiffOut(BaseModel):
    licence: str
    region: str
    district: str
    status: str
    chamber_head: bool
    share_milli: int
    specialisations: list[str]
    full_name: str | None = None


class RosterImportIn(Strict):
    bailiffs: list[dict[str, str | int | float | bool | None]] = Field(min_length=1, max_length=BULK_LIMIT, json_schema_extra={
        "examples": [[{"licence": "PB-00001", "full_name": "Bailiff One", "iin": "750120300015", "region": "KZ-75",
                       "district": "Almaty, enforcement district 1", "status": "active"}]]})


class RowResult(BaseModel):
    row: int
    status: str
    key: str | int | None = None
    detail: str = ""
    errors: list[FieldErrorOut] = []


class ReportOut(BaseModel):
    counts: dict[str, int]
    results: list[RowResult]


class LicenceIn(Strict):
    action: LicenceAction
    reference: str = Field(max_length=200, description="The order's number and date")
    district: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=8)
    note: str = Field(default="", max_length=2000)


class Released(BaseModel):
    """Proceedings released from a bailiff, to be drawn again in the region's next round."""

    licence: str
    cause: str
    documents: list[int]


class SuspensionIn(Strict):
    suspended: bool
    reason: str = Field(max_length=2000)


class AbsenceIn(Strict):
    start: dt.date
    end: dt.date
    kind: Literal["leave", "illness", "other"] = "leave"
    note: str = Field(default="", max_length=2000)


class AbsenceChange(Strict):
    start: dt.date
    end: dt.date
    note: str = Field(default="", max_length=2000)


class AbsenceOut(BaseModel):
    id: int
    licence: str
    start: dt.date
    end: dt.date
    kind: str | None = None
    cancelled: bool


class Created(BaseModel):
    id: int


class MemberIn(Strict):
    member: str = Field(min_length=1, max_length=64)
    role: Literal["commission", "staff"] = "commission"
    active: bool = True


class ApplicationIn(Strict):
    doc: int = Field(ge=1, le=MAX_ID)
    grounds: Grounds
    statement: str = Field(max_length=2000)
    references: list[str] = Field(default=[], max_length=20)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "doc": 1041, "grounds": "missed_deadlines", "statement": "No proceedings initiated in three weeks.", "references": []}]})


class FiledOut(BaseModel):
    application: int
    deadline: dt.date = Field(description="The commission decides by this day (working days from filing)")


class ApplicationOut(BaseModel):
    id: int
    doc: int
    licence: str
    region: str
    grounds: str
    deadline: dt.date
    filed_at: str
    status: str
    decided_at: str | None = None
    reference: str | None = None
    statement: str | None = None
    reasons: str | None = None


class DecisionIn(Strict):
    decision: Decision
    reference: str = Field(max_length=200)
    reasons: str = Field(max_length=4000)


class DecisionOut(BaseModel):
    application: int
    decision: str
    released: Released | None = None


class StepIn(Strict):
    doc: int = Field(ge=1, le=MAX_ID)
    step: Step
    amount_tiyn: int | None = Field(default=None, ge=1, le=MAX_ID, description="recovered: this payment, in tiyn")
    reason: str = Field(default="", max_length=2000, description="closed: " + ", ".join(ClosureReason) + "; suspended/resumed: the ground")
    reference: str = Field(default="", max_length=200, description="initiated: the resolution's number")
    note: str = Field(default="", max_length=2000)


class StepsIn(Strict):
    steps: list[StepIn] = Field(min_length=1, max_length=BULK_LIMIT)


class StepOut(BaseModel):
    item: int
    doc: int
    step: str
    seq: int | None = None
    error: str | None = None


class StepsOut(BaseModel):
    recorded: int
    refused: int
    results: list[StepOut]


class OverdueOut(BaseModel):
    doc: int
    licence: str
    region: str
    missed: list[str]
    acknowledge_by: dt.date
    initiate_by: dt.date


class ForwardIn(Strict):
    to: str = Field(max_length=8, description="ISO 3166-2:KZ code")
    basis: str = Field(max_length=24)
    note: str = Field(default="", max_length=2000)


class ConfigVersion(BaseModel):
    name: str
    version: int
    effective: dt.date
    seq: int
    value: dict[str, Any]


class ConfigIn(Strict):
    effective: dt.date
    value: dict[str, Any]


class CheckpointOut(BaseModel):
    origin: str
    size: int
    root_hash: str = Field(description="hex")
    note: str = Field(description="The signed note (C2SP signed-note format)")
    verifier_key: str


class EntriesOut(BaseModel):
    start: int
    size: int
    entries: list[str] = Field(description="Event bodies: the exact canonical JSON bytes the Merkle leaves hash")


class ProofOut(BaseModel):
    size: int
    root_hash: str
    proof: list[str]
    index: int | None = None
    first: int | None = None


class StatsOut(BaseModel):
    log_size: int
    indicators: list[dict[str, Any]]
    comparison: list[dict[str, Any]]


class LoginIn(Strict):
    username: str = Field(max_length=64)
    password: str = Field(max_length=200)


class SessionOut(BaseModel):
    token: str
    expires_at: str


class Me(BaseModel):
    role: str
    subject: str
    credential: str


class Health(BaseModel):
    status: str
    log_size: int | None = None
