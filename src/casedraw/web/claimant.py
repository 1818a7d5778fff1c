"""Pages of the claimant (a bank or a microfinance organisation): its documents, submitting one,
uploading a file of them, and paragraph 12 applications to replace a document's bailiff.

Every page reads and writes through what the HTTP API uses: the same scope (a claimant sees its own
documents, with their personal data), the same submission path and writer, the same services."""

from __future__ import annotations

import csv
import io
import os
import secrets
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import Depends, Form, Path, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from casedraw.api.deps import acting, store_of
from casedraw.api.problems import Problem, field_errors, validation_errors
from casedraw.api.routes.documents import IDEMPOTENCY_KEY, _own, document_out, documents_query, register_outcome
from casedraw.api.routes.procedures import _applications
from casedraw.api.schemas import MAX_ID, ApplicationIn, DocumentIn
from casedraw.api.scope import documents_visible, sees_personal_data, visible_document
from casedraw.api.security import Access
from casedraw.domain.errors import FieldError
from casedraw.domain.model import DOCUMENT_COLUMNS, OPTIONAL_DOCUMENT_COLUMNS, Basis, Category, ClaimantKind, DocumentKind
from casedraw.domain.procedures import Grounds
from casedraw.domain.regions import REGIONS
from casedraw.io.tabular import FileFormatError, SourceRow, read_rows
from casedraw.services import procedures as proc
from casedraw.services.access import Principal, Role
from casedraw.services.intake import submit_documents
from casedraw.services.reports import RowOutcome
from casedraw.store import schema
from casedraw.web import uploads
from casedraw.web.forms import page_router
from casedraw.web.labels import LABELS, N_, label_for
from casedraw.web.pages import language, redirect, render, translator

router = page_router("/claimant")
Claimant = Annotated[Principal, Depends(Access.of(Role.CLAIMANT))]
DocId = Annotated[int, Path(ge=1, le=MAX_ID)]
PAGE_SIZE = 50
REJECTED_SHOWN = 1_000  # rejected rows listed on the job page; the CSV has them all

CHOICES = {"claimant_kind": ClaimantKind, "doc_kind": DocumentKind, "basis": Basis, "category": Category}
FORM_FIELDS = tuple(DocumentIn.model_fields)
NOTICES = ("accepted", "duplicate", "filed")


def page(request: Request, template: str, context: Mapping[str, Any], status: int = 200) -> Response:
    """render() with what the claimant's templates share: the regions' names in the page's language."""
    lang = language(request)
    regions = {iso: region.name(lang) for iso, region in REGIONS.items()}
    return render(request, template, {"regions": regions, "detail": "", **context}, status=status)


def _errors_by_field(errors: Sequence[FieldError]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for e in errors:
        found.setdefault(e.field, []).append(e.reason)
    return found


@router.get("")
def home(_: Claimant) -> Response:
    return redirect("/claimant/documents")


# --- my documents ---------------------------------------------------------------------------------


def _document_page(request: Request, principal: Principal, status: str | None, before: int | None, after: int | None) -> dict[str, Any]:
    d = schema.documents
    with store_of(request).read() as conn:
        query = documents_query(conn, principal, status)
        if after is not None:  # a newer page: the next ones up, shown newest first
            rows = list(conn.execute(query.where(d.c.id > after).order_by(d.c.id).limit(PAGE_SIZE + 1)))
            newer = len(rows) > PAGE_SIZE
            rows = rows[:PAGE_SIZE][::-1]
            older = bool(rows) and conn.execute(query.where(d.c.id < rows[-1].id).limit(1)).first() is not None
        else:
            if before is not None:
                query = query.where(d.c.id < before)
            rows = list(conn.execute(query.order_by(d.c.id.desc()).limit(PAGE_SIZE + 1)))
            older = len(rows) > PAGE_SIZE
            rows = rows[:PAGE_SIZE]
            newer = before is not None and bool(rows)
        counts = dict(conn.execute(select(d.c.status, func.count()).where(documents_visible(conn, principal)).group_by(d.c.status)).all())
    documents = [document_out(r, sees_personal_data(principal, r)) for r in rows]
    return {"documents": documents, "counts": counts, "total": sum(counts.values()),
            "older": documents[-1]["id"] if older and documents else None, "newer": documents[0]["id"] if newer and documents else None}


@router.get("/documents")
def documents(request: Request, principal: Claimant, status: Annotated[str | None, Query(max_length=16)] = None,
              before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
              after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None) -> Response:
    status = status or None
    found = _document_page(request, principal, status, before, after)
    return page(request, "claimant/documents.html", {"status": status or "", "statuses": LABELS["status"], **found})


def _bailiff_name(conn: Any, licence: str | None) -> str | None:
    if licence is None:
        return None
    b = schema.bailiffs
    return conn.execute(select(b.c.full_name).where(b.c.licence == licence)).scalar_one_or_none()


@router.get("/documents/{doc}")
def document(doc: DocId, request: Request, principal: Claimant, notice: Annotated[str | None, Query(max_length=16)] = None) -> Response:
    store = store_of(request)
    ap = schema.applications
    with store.read() as conn:
        row = visible_document(conn, principal, doc)
        bailiff = _bailiff_name(conn, row.assigned_to)
        applications = conn.execute(select(ap.c.id, ap.c.status, ap.c.licence, ap.c.filed_at).where(ap.c.doc == doc).order_by(ap.c.id)).all()
    timeline = proc.timeline(store, doc)
    under_review = next((a.id for a in applications if a.status == "review"), None)
    return page(request, "claimant/document.html", {
        "d": document_out(row, sees_personal_data(principal, row)), "bailiff_name": bailiff, "timeline": timeline,
        "applications": applications, "may_apply": row.status == "assigned" and under_review is None, "under_review": under_review,
        "notice": notice if notice in NOTICES else None,
    })


# --- one document ---------------------------------------------------------------------------------


def _claimant_defaults(request: Request, principal: Principal) -> dict[str, str]:
    """The claimant's own fields as its earlier documents registered them (its login fixes the BIN)."""
    c = schema.claimants
    with store_of(request).read() as conn:
        known = conn.execute(select(c.c.kind, c.c.name).where(c.c.idn == principal.subject)).one_or_none()
    return {"claimant_kind": known.kind if known else "", "claimant_name": known.name if known else ""}


def _submit_form(request: Request, principal: Principal, values: Mapping[str, str], errors: Sequence[FieldError] = (),
                 status: int = 200, note: str | None = None) -> Response:
    gettext, lang = translator(request), language(request)
    kinds = {name: [(str(code), label_for(gettext, name, code)) for code in kind] for name, kind in CHOICES.items()}
    kinds["region"] = [(iso, f"{region.name(lang)} ({iso})") for iso, region in REGIONS.items()]
    return page(request, "claimant/submit.html", {
        "values": {**values, "claimant_idn": principal.subject}, "errors": list(errors), "by_field": _errors_by_field(errors),
        "kinds": kinds, "key": f"web-{secrets.token_urlsafe(18)}", "note": note,
    }, status=status)


@router.get("/submit")
def submit_form(request: Request, principal: Claimant) -> Response:
    values = {name: "" for name in FORM_FIELDS} | _claimant_defaults(request, principal)
    return _submit_form(request, principal, values)


@router.post("/submit")
async def submit(request: Request, principal: Claimant) -> Response:
    async with request.form() as form:
        values = {name: str(form.get(name) or "").strip() for name in FORM_FIELDS}
        key = str(form.get("key") or "")
    values["claimant_idn"] = principal.subject  # the login's own: as the API insists
    try:
        IDEMPOTENCY_KEY.validate_python(key)
    except ValidationError:
        key = ""
    try:
        document_in = DocumentIn.model_validate({k: v for k, v in values.items() if v or k not in ("amount_kzt", "external_ref", "lodged_with")})
    except ValidationError as exc:
        return _submit_form(request, principal, values, validation_errors(exc.errors()), 422)
    try:
        outcome = await register_outcome(request, principal, document_in, key or None)
    except Problem as problem:
        if problem.status != 422:
            raise
        if any(e.field == "Idempotency-Key" for e in problem.errors):  # this form was sent before with other values
            return _submit_form(request, principal, values, status=422, note="resent")
        return _submit_form(request, principal, values, problem.errors, 422)
    return redirect(f"/claimant/documents/{outcome.key}?notice={outcome.status}")


# --- a file of documents --------------------------------------------------------------------------


def _upload_form(request: Request, principal: Principal, errors: Sequence[FieldError] = (), status: int = 200) -> Response:
    jobs = uploads.uploads_of(request.app).of(principal.subject)
    return page(request, "claimant/upload.html", {
        "errors": list(errors), "jobs": jobs, "required": DOCUMENT_COLUMNS, "optional": OPTIONAL_DOCUMENT_COLUMNS,
        "codes": {name: [str(code) for code in kind] for name, kind in CHOICES.items()}, "max_rows": uploads.MAX_ROWS, "max_mb": uploads.MAX_BYTES // (1024 * 1024), "suffixes": uploads.SUFFIXES,
    }, status=status)


@router.get("/upload")
def upload_form(request: Request, principal: Claimant) -> Response:
    return _upload_form(request, principal)


def _read_upload(upload: UploadFile, principal: Principal, gettext: Callable[[str], str]) -> list[SourceRow]:
    """The file's rows, each as intake takes it (a row naming another claimant refused as the API refuses
    it), or FileFormatError for a file that cannot be used as a whole."""
    name = upload.filename or ""
    suffix = FilePath(name).suffix.lower()
    if suffix not in uploads.SUFFIXES:
        raise FileFormatError(gettext(N_("unknown file type %(suffix)s; use %(allowed)s")) % {
            "suffix": repr(suffix or "-"), "allowed": ", ".join(uploads.SUFFIXES)})
    handle, temp = tempfile.mkstemp(suffix=suffix, prefix="casedraw-upload-")
    try:
        size = 0
        with os.fdopen(handle, "wb") as out:
            upload.file.seek(0)
            while block := upload.file.read(1 << 20):
                size += len(block)
                if size > uploads.MAX_BYTES:
                    raise FileFormatError(gettext(N_("larger than %(mb)s MB; split it into several files")) % {
                        "mb": f"{uploads.MAX_BYTES / (1024 * 1024):g}"})
                out.write(block)
        if size == 0:
            raise FileFormatError(gettext(N_("the file is empty")))
        try:
            read = read_rows(FilePath(temp), DOCUMENT_COLUMNS, OPTIONAL_DOCUMENT_COLUMNS)
        except FileFormatError as exc:
            raise FileFormatError(str(exc).replace(f"{temp}: ", "")) from None
    finally:
        os.unlink(temp)
    if not read:
        raise FileFormatError(gettext(N_("no documents in the file, only the header")))
    if len(read) > uploads.MAX_ROWS:
        raise FileFormatError(gettext(N_("%(rows)s rows; at most %(limit)s in one file: split it")) % {
            "rows": f"{len(read):,}", "limit": f"{uploads.MAX_ROWS:,}"})
    return [(number, _mine(principal, fields)) for number, fields in read]


def _mine(principal: Principal, fields: dict[str, object] | list[FieldError]) -> dict[str, object] | list[FieldError]:
    if not isinstance(fields, dict):
        return fields
    claimant = str(fields.get("claimant_idn") or "").strip()
    return _own(principal, {**fields, "claimant_idn": claimant}) if claimant else fields  # empty: intake says it is required


def _intake(request: Request, principal: Principal) -> uploads.RegisterChunk:
    """Registers a chunk of rows as POST /api/v1/documents/bulk does: validated, routed and weighed here,
    written by the server's intake writer, in one transaction per chunk."""
    store, batcher, ctx = store_of(request), request.app.state.batcher, acting(principal)

    def register(rows: Sequence[SourceRow]) -> list[RowOutcome]:
        return submit_documents(store, rows, ctx, chunk_size=max(1, len(rows)), register=batcher.register_prepared).outcomes

    return register


@router.post("/upload")
async def upload(request: Request, principal: Claimant) -> Response:
    gettext = translator(request)
    async with request.form(max_files=1) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _upload_form(request, principal, [FieldError("file", gettext(N_("choose a file to upload")))], 422)
        try:
            rows = await run_in_threadpool(_read_upload, upload, principal, gettext)
        except FileFormatError as exc:
            return _upload_form(request, principal, [FieldError("file", str(exc))], 422)
        filename = FilePath(upload.filename).name[:200]
    try:
        job = uploads.uploads_of(request.app).start(principal.subject, filename, rows, _intake(request, principal))
    except uploads.TooBusy:
        busy = gettext(N_("%(n)s of your uploads are still being registered; wait until one ends")) % {"n": uploads.RUNNING_PER_OWNER}
        return _upload_form(request, principal, [FieldError("file", busy)], 429)
    return redirect(f"/claimant/uploads/{job.id}")


def _job(request: Request, principal: Principal, job_id: str) -> uploads.UploadJob:
    job = uploads.uploads_of(request.app).get(principal.subject, job_id)
    if job is None:
        raise Problem(404, errors=[FieldError("job", translator(request)(N_("no upload of yours with this number (uploads are kept for a day)")))])
    return job


JobId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/uploads/{job_id}")
def upload_job(job_id: JobId, request: Request, principal: Claimant) -> Response:
    job = _job(request, principal, job_id)
    state = job.state  # read once: the page is of one moment
    counts, processed = job.counts(), job.processed
    rejected = job.rejected(REJECTED_SHOWN) if state != "running" else []
    return page(request, "claimant/upload_job.html", {
        "job": job, "state": state, "counts": counts, "processed": processed, "rejected": rejected,
        "rejected_more": max(0, counts["rejected"] - len(rejected)) if state != "running" else 0,
    })


@router.get("/uploads/{job_id}/results.csv")
def upload_results(job_id: JobId, request: Request, principal: Claimant) -> Response:
    """Every row's outcome: one line per error of a rejected row."""
    job = _job(request, principal, job_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "status", "document", "channel", "field", "reason"])
    for o in job.outcomes():
        if o.errors:
            writer.writerows([o.row, o.status, o.key or "", o.detail, e.field, e.reason] for e in o.errors)
        else:
            writer.writerow([o.row, o.status, o.key or "", o.detail, "", ""])
    stem = FilePath(job.filename).stem or "upload"
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in stem)
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{safe}-results.csv"'})


# --- paragraph 12 applications ----------------------------------------------------------------------


def _applications_page(request: Request, principal: Principal, status: str | None, values: Mapping[str, str],
                       errors: Sequence[FieldError] = (), code: int = 200) -> Response:
    found = _applications(request, principal, None, status)[::-1]
    return page(request, "claimant/applications.html", {
        "applications": found, "status": status or "", "values": values, "errors": list(errors),
        "by_field": _errors_by_field(errors), "grounds": list(Grounds),
    }, status=code)


@router.get("/applications")
def applications(request: Request, principal: Claimant, status: Annotated[str | None, Query(pattern="^(review|granted|refused|)$")] = None,
                 doc: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> Response:
    values = {"doc": str(doc or ""), "grounds": "", "statement": "", "references": ""}
    return _applications_page(request, principal, status or None, values)


@router.post("/applications")
def file_application(request: Request, principal: Claimant, doc: Annotated[str, Form(max_length=32)] = "",
                     grounds: Annotated[str, Form(max_length=32)] = "", statement: Annotated[str, Form(max_length=10_000)] = "",
                     references: Annotated[str, Form(max_length=20_000)] = "") -> Response:
    values = {"doc": doc.strip(), "grounds": grounds, "statement": statement, "references": references}
    listed = [line.strip() for line in references.splitlines() if line.strip()]
    try:
        body = ApplicationIn.model_validate({"doc": values["doc"] or None, "grounds": grounds, "statement": statement, "references": listed})
    except ValidationError as exc:
        return _applications_page(request, principal, None, values, validation_errors(exc.errors()), 422)
    store = store_of(request)
    try:
        with store.read() as conn:
            visible_document(conn, principal, body.doc)
    except Problem:
        mine = translator(request)(N_("no document %(doc)s among yours")) % {"doc": body.doc}
        return _applications_page(request, principal, None, values, [FieldError("doc", mine)], 422)
    try:
        filed = proc.file_application(store, acting(principal), body.doc, principal.subject, str(body.grounds), body.statement, body.references)
    except proc.ProcedureRefused as exc:
        return _applications_page(request, principal, None, values, field_errors(str(exc)), 422)
    return redirect(f"/claimant/applications/{filed.application}?notice=filed")


@router.get("/applications/{number}")
def application(number: Annotated[int, Path(ge=1, le=MAX_ID)], request: Request, principal: Claimant,
                notice: Annotated[str | None, Query(max_length=16)] = None) -> Response:
    found = _applications(request, principal, number, None)
    if not found:
        raise Problem(404, errors=[FieldError("application", translator(request)(N_("no application %(n)s among yours")) % {"n": number})])
    filed = found[0]
    d = schema.documents
    with store_of(request).read() as conn:
        now = conn.execute(select(d.c.status, d.c.assigned_to, d.c.round).where(d.c.id == filed["doc"])).one()
        replaced_name = _bailiff_name(conn, filed["licence"])
        successor = now.assigned_to if filed["status"] == "granted" and now.assigned_to not in (None, filed["licence"]) else None
        successor_name = _bailiff_name(conn, successor)
    return page(request, "claimant/application.html", {
        "a": filed, "replaced_name": replaced_name, "document_status": now.status, "successor": successor,
        "successor_name": successor_name, "successor_round": now.round if successor else None,
        "notice": notice if notice in NOTICES else None,
    })
