"""Documents: submission (one, or up to 10,000 with per-item results), status, timeline, receipts."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import Field, TypeAdapter, ValidationError
from sqlalchemy import Connection, Select, select
from starlette.concurrency import run_in_threadpool

from casedraw.api.deps import API_PREFIX, acting, store_of
from casedraw.api.problems import Problem
from casedraw.api.schemas import (
    BULK_IN,
    BULK_LIMIT,
    MAX_ID,
    BulkOut,
    DocumentIn,
    DocumentOut,
    DocumentPage,
    ForwardIn,
    PendingOut,
    Submitted,
    TimelineStep,
)
from casedraw.api.scope import documents_visible, regions_of, sees_personal_data, visible_document
from casedraw.api.security import Access
from casedraw.domain.errors import FieldError
from casedraw.services import procedures as proc
from casedraw.services.access import Principal, Role
from casedraw.services.intake import IdempotencyConflict, answered, submit_documents
from casedraw.services.publication import issue_receipt
from casedraw.services.reports import RowOutcome
from casedraw.store import schema
from casedraw.store.repository import Store

router = APIRouter(prefix=f"{API_PREFIX}/documents", tags=["documents"])

ALL = tuple(Role)
IDEMPOTENCY_PATTERN = r"^[\x21-\x7e]{1,200}$"
# The header's rule, for the fast path to apply with the same messages as the declared route.
IDEMPOTENCY_KEY = TypeAdapter(Annotated[str, Field(max_length=200, pattern=IDEMPOTENCY_PATTERN)])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200, pattern=IDEMPOTENCY_PATTERN,
                                               description="Repeat a submission safely: the same key and body give the same answer")]
DocId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _scoped_key(principal: Principal, key: str | None) -> str | None:
    return None if key is None else f"{principal.role}:{principal.subject}:{key}"


def _own(principal: Principal, fields: dict[str, Any]) -> dict[str, object] | list[FieldError]:
    """A document's fields, if the caller is its claimant."""
    if fields["claimant_idn"] != principal.subject:
        return [FieldError("claimant_idn", f"{fields['claimant_idn']} is not the claimant this token belongs to")]
    return fields


def _submitted(index: int, outcome: RowOutcome) -> dict[str, Any]:
    return {"index": index, "status": outcome.status, "id": outcome.key, "channel": outcome.detail or None,
            "errors": [{"field": e.field, "reason": e.reason} for e in outcome.errors]}


SUBMIT_ONE = f"{API_PREFIX}/documents"
CLAIMANTS = Access.of(Role.CLAIMANT)


@router.post("", status_code=201, response_model=Submitted, summary="Submit one document",
             responses={200: {"model": Submitted, "description": "Already registered: the first submission's document"}})
async def submit_one(
    document: DocumentIn, request: Request, principal: Annotated[Principal, Depends(CLAIMANTS)], idempotency_key: IdempotencyKey = None,
) -> Response:
    """Registers the document at once (it is durable when this answers) for the next round of its region."""
    # Served by api.fast_path in front of the router (the same steps without the router's cost);
    # declared here for the schema, and the same function either way.
    return await register_one(request, principal, document, idempotency_key)


async def register_one(request: Request, principal: Principal, document: DocumentIn, idempotency_key: str | None) -> Response:
    return _single_answer(await register_outcome(request, principal, document, idempotency_key))


async def register_outcome(request: Request, principal: Principal, document: DocumentIn, idempotency_key: str | None) -> RowOutcome:
    """What became of one submitted document (accepted or duplicate); a rejected one raises a 422 Problem
    naming each field. The API answers with it, and so does the claimant's submission page."""
    key = _scoped_key(principal, idempotency_key)
    async with request.app.state.key_locks.hold(key):
        return await _register_one(request, principal, document, key)


async def _register_one(request: Request, principal: Principal, document: DocumentIn, key: str | None) -> RowOutcome:
    store = store_of(request)
    fingerprint = _digest(orjson.dumps(document.model_dump(exclude_none=True), option=orjson.OPT_SORT_KEYS).decode())
    if key is not None:  # answered already: no need to queue it (the writer looks again, under the log lock)
        stored = await run_in_threadpool(_stored_answer, store, key)
        if stored is not None:
            try:
                return answered((key, fingerprint), stored)[0]
            except IdempotencyConflict:
                raise _reused_key() from None
    row = _own(principal, document.model_dump(exclude_none=True))
    if isinstance(row, list):
        raise Problem.unprocessable(row)
    outcome = await request.app.state.batcher.submit(row, principal.actor, None if key is None else (key, fingerprint))
    if outcome.status == "rejected":
        raise Problem.unprocessable(list(outcome.errors))
    return outcome


def _single_answer(outcome: RowOutcome) -> Response:
    return Response(orjson.dumps(_submitted(0, outcome)), status_code=201 if outcome.status == "accepted" else 200,
                    media_type="application/json")


def _stored_answer(store: Store, key: str) -> tuple[str, str] | None:
    with store.read() as conn:
        return store.idempotent_response(conn, key)


def _reused_key() -> Problem:
    return Problem.unprocessable([FieldError("Idempotency-Key", "already used for a different request")])


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


_BULK_BODY = {"type": "object", "required": ["documents"], "additionalProperties": False, "properties": {"documents": {
    "type": "array", "minItems": 1, "maxItems": BULK_LIMIT, "items": {"$ref": "#/components/schemas/DocumentIn"}}}}


@router.post("/bulk", response_model=BulkOut, summary="Submit up to 10,000 documents",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": _BULK_BODY}}}})
async def submit_bulk(
    request: Request, principal: Annotated[Principal, Depends(Access.of(Role.CLAIMANT))], idempotency_key: IdempotencyKey = None,
) -> Response:
    """Each document is validated on its own: invalid ones are reported with the field and the reason, and
    the rest are registered. Repeating the request with the same Idempotency-Key gives the same answer."""
    raw = await request.body()
    async with request.app.state.key_locks.hold(_scoped_key(principal, idempotency_key)):
        answer = await run_in_threadpool(lambda: bulk_answer(principal, request, bulk_rows(principal, raw), idempotency_key))
    return Response(answer, media_type="application/json")


Rows = list[tuple[int, dict[str, object] | list[FieldError]]]


def bulk_rows(principal: Principal, raw: bytes) -> Rows:
    """The body's documents as intake rows, or each one's errors. A body that is valid as a whole (the
    usual case) is validated in one pass straight to dicts; any other is taken apart item by item."""
    try:
        documents = BULK_IN.validate_json(raw)["documents"]
    except ValidationError:
        return _item_by_item(principal, _bulk_items(raw))
    return [(index, _own(principal, {k: v for k, v in d.items() if v is not None} if None in d.values() else d))
            for index, d in enumerate(documents)]


def _bulk_items(raw: bytes) -> list[Any]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Problem(422, f"body: not JSON ({exc})", errors=[FieldError("body", "not JSON")]) from None
    if not isinstance(data, dict) or set(data) != {"documents"}:
        raise Problem.unprocessable([FieldError("body", "an object with one member, documents")])
    items = data["documents"]
    if not isinstance(items, list) or not 1 <= len(items) <= BULK_LIMIT:
        raise Problem.unprocessable([FieldError("documents", f"a list of 1 to {BULK_LIMIT:,} documents")])
    return items


def _item_by_item(principal: Principal, items: list[Any]) -> Rows:
    rows: Rows = []
    for index, item in enumerate(items):
        try:
            rows.append((index, _own(principal, DocumentIn.model_validate(item).model_dump(exclude_none=True))))
        except ValidationError as exc:
            rows.append((index, [FieldError(".".join(str(p) for p in e["loc"]) or "document", e["msg"]) for e in exc.errors()]))
    return rows


def bulk_answer(principal: Principal, request: Request, rows: Rows,
                idempotency_key: str | None) -> bytes:
    try:
        report = submit_documents(store_of(request), rows, acting(principal), idempotency_key=_scoped_key(principal, idempotency_key),
                                  chunk_size=BULK_LIMIT, register=request.app.state.batcher.register_prepared)
    except IdempotencyConflict:
        raise _reused_key() from None
    counts = report.counts()
    return orjson.dumps({"accepted": counts["accepted"], "duplicate": counts["duplicate"], "rejected": counts["rejected"],
                         "results": [_submitted(o.row, o) for o in report.outcomes]})


def _page(rows: list[Any], principal: Principal, limit: int) -> dict[str, Any]:
    documents = [document_out(r, sees_personal_data(principal, r)) for r in rows[:limit]]
    return {"documents": documents, "next_after": rows[limit - 1].id if len(rows) > limit else None}


def document_out(row: Any, personal: bool) -> dict[str, Any]:
    out = {k: getattr(row, k) for k in ("id", "registered_at", "region", "category", "claimant_kind", "doc_kind", "channel", "status",
                                        "weight", "round", "assigned_to", "how", "recovered_bp")}
    out["pending_reasons"] = json.loads(row.pending_reasons) if row.pending_reasons else None
    if personal:
        out.update(claimant_idn=row.claimant_idn, debtor_idn=row.debtor_idn, debtor_name=getattr(row, "debtor_name", None),
                   issuing_body=row.issuing_body, doc_number=row.number, doc_date=row.doc_date, basis=row.basis,
                   amount_tiyn=row.amount_tiyn, external_ref=row.external_ref)
    return out


@router.get("", response_model=DocumentPage, summary="Documents in your scope")
def list_documents(
    request: Request, principal: Annotated[Principal, Depends(Access.of(*ALL))],
    status: Annotated[str | None, Query(max_length=16)] = None, region: Annotated[str | None, Query(max_length=8)] = None,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="Only documents numbered above this")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """A claimant sees its own documents, a bailiff those assigned to it, chambers and commissions their
    region's, the ministry, auditors and the operator every region's; only the first two see personal data."""
    d = schema.documents
    with store_of(request).read() as conn:
        query = documents_query(conn, principal, status, region).where(d.c.id > after).order_by(d.c.id).limit(limit + 1)
        return _page(list(conn.execute(query)), principal, limit)


def documents_query(conn: Connection, principal: Principal, status: str | None = None, region: str | None = None) -> Select[Any]:
    """The caller's documents, with the debtor's name, of one status and region if given (in no order)."""
    d = schema.documents
    query = select(d).where(documents_visible(conn, principal))
    if status is not None:
        query = query.where(d.c.status == status)
    if region is not None:
        query = query.where(d.c.region == region)
    return query


@router.get("/pending", response_model=list[PendingOut], summary="Documents no bailiff could take, with why")
def pending(request: Request, principal: Annotated[Principal, Depends(Access.of(Role.CHAMBER_HEAD, Role.CHAMBER, Role.MINISTRY,
                                                                                Role.AUDITOR, Role.OPERATOR))],
            region: Annotated[str | None, Query(max_length=8)] = None) -> list[dict[str, Any]]:
    with store_of(request).read() as conn:
        regions = regions_of(conn, principal)
    found = proc.pending_alerts(store_of(request), region)
    return [{"region": r, "doc": doc, "reasons": reasons} for r, docs in found.items() if regions is None or r in regions
            for doc, reasons in docs]


@router.get("/{doc}", response_model=DocumentOut, summary="One document")
def get_document(doc: DocId, request: Request, principal: Annotated[Principal, Depends(Access.of(*ALL))]) -> dict[str, Any]:
    with store_of(request).read() as conn:
        row = visible_document(conn, principal, doc)
    return document_out(row, sees_personal_data(principal, row))


@router.get("/{doc}/timeline", response_model=list[TimelineStep], summary="Every step of a document's life")
def get_timeline(doc: DocId, request: Request, principal: Annotated[Principal, Depends(Access.of(*ALL))]) -> list[dict[str, Any]]:
    with store_of(request).read() as conn:
        visible_document(conn, principal, doc)
    return proc.timeline(store_of(request), doc)


@router.get("/{doc}/receipt", summary="A receipt proving the document's registration or assignment",
            responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}})
def get_receipt(doc: DocId, request: Request, principal: Annotated[Principal, Depends(Access.of(Role.CLAIMANT, Role.BAILIFF))],
                kind: Annotated[str, Query(pattern="^(registration|assignment)$")] = "registration") -> Response:
    """Checkable offline with the log's verifier key (`casedraw receipt check`). The claimant's registration
    receipt also carries what opens the commitment to the document's personal data."""
    with store_of(request).read() as conn:
        visible_document(conn, principal, doc)
    published = request.app.state.published
    receipt = issue_receipt(store_of(request), doc, kind, published.signer, published.origin, published,
                            with_private=principal.role is Role.CLAIMANT)
    return Response(orjson.dumps(receipt), media_type="application/json")


@router.post("/{doc}/forward", status_code=204, summary="Forward a document to the region its basis points to")
def forward(doc: DocId, change: ForwardIn, request: Request,
            principal: Annotated[Principal, Depends(Access.of(Role.BAILIFF, Role.CHAMBER_HEAD))]) -> Response:
    with store_of(request).read() as conn:
        visible_document(conn, principal, doc)
    proc.forward_document(store_of(request), acting(principal), doc, change.to, change.basis, change.note)
    return Response(status_code=204)
