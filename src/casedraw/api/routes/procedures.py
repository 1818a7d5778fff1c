"""The procedures around the draw: rounds, the roster and licences, paragraph 17, absences, chamber
members, paragraph 12 applications and decisions, proceedings after the draw, configuration."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy import select

from casedraw.api.deps import API_PREFIX, acting, store_of
from casedraw.api.problems import Problem, refusal
from casedraw.api.schemas import (
    MAX_ID,
    AbsenceChange,
    AbsenceIn,
    AbsenceOut,
    ApplicationIn,
    ApplicationOut,
    ConfigIn,
    Created,
    DecisionIn,
    DecisionOut,
    FiledOut,
    LicenceIn,
    MemberIn,
    OverdueOut,
    Released,
    ReportOut,
    RosterImportIn,
    RoundRun,
    StepsIn,
    StepsOut,
    SuspensionIn,
)
from casedraw.api.scope import regions_of, require_region
from casedraw.api.security import Access
from casedraw.domain.regions import REGIONS
from casedraw.draw.beacons import BeaconUnavailable
from casedraw.services import KZ_TIME
from casedraw.services import procedures as proc
from casedraw.services.access import Principal, Role
from casedraw.services.proceedings import StepRequest, overdue, record_steps
from casedraw.services.registry import import_bailiffs
from casedraw.services.rounds import NoRandomnessSource, run_round
from casedraw.services.setup import issue_config
from casedraw.store import schema

router = APIRouter(prefix=API_PREFIX)
Licence = Annotated[str, Path(min_length=1, max_length=32)]
Number = Annotated[int, Path(ge=1, le=MAX_ID)]


def _today() -> dt.date:
    return dt.datetime.now(KZ_TIME).date()


def _released(found: proc.Released | None) -> dict[str, Any] | None:
    return None if found is None else {"licence": found.licence, "cause": found.cause, "documents": list(found.documents)}


# --- rounds ----------------------------------------------------------------------------


@router.post("/rounds", tags=["rounds"], response_model=RoundRun, summary="Seal and draw a round now",
             responses={204: {"description": "No document waits to be drawn"}})
def run(request: Request, principal: Annotated[Principal, Depends(Access.of(Role.OPERATOR))]) -> Any:
    """Seals every waiting document with the roster as it stands, takes the hash-chain randomness
    fixed at sealing and draws. The scheduler calls this; nobody chooses when a given document is drawn."""
    try:
        result = run_round(store_of(request), acting(principal))
    except (NoRandomnessSource, BeaconUnavailable) as exc:  # a drand round sealed by `casedraw draw` waits: not a 500
        raise Problem(503, f"{exc}; the round stays sealed until its randomness is published", headers={"Retry-After": "3"}) from None
    if result is None:
        return Response(status_code=204)
    return {"round": result.round, "documents": result.documents, "assigned": result.assigned, "pending": result.pending, "seed": result.seed}


# --- roster and licences ------------------------------------------------------------------


@router.post("/bailiffs/import", tags=["bailiffs"], response_model=ReportOut, summary="Import or update the roster (ministry)")
def roster_import(body: RosterImportIn, request: Request, principal: Annotated[Principal, Depends(Access.of(Role.MINISTRY))]) -> dict[str, Any]:
    rows = [(i, {k: "" if v is None else str(v) for k, v in row.items()}) for i, row in enumerate(body.bailiffs)]
    report = import_bailiffs(store_of(request), rows, acting(principal))  # type: ignore[arg-type]
    return {"counts": dict(report.counts()), "results": [o.to_json() for o in report.outcomes]}


@router.post("/bailiffs/{licence}/licence", tags=["bailiffs"], response_model=Released, summary="A licence event (ministry)",
             responses={204: {"description": "Recorded; no proceedings were released"}})
def licence_event(licence: Licence, body: LicenceIn, request: Request,
                  principal: Annotated[Principal, Depends(Access.of(Role.MINISTRY))]) -> Any:
    """If the bailiff leaves the draw or the district, its open proceedings are released at once and
    drawn among the region's eligible bailiffs in the next round; the answer lists them."""
    found = proc.licence_action(store_of(request), acting(principal), licence, str(body.action), body.reference,
                                district=body.district, region=body.region, note=body.note)
    return Response(status_code=204) if found is None else _released(found)


@router.post("/bailiffs/{licence}/suspension", tags=["bailiffs"], status_code=204, summary="Paragraph 17: the chamber head suspends or resumes distribution to himself")
def suspension(licence: Licence, body: SuspensionIn, request: Request,
               principal: Annotated[Principal, Depends(Access.of(Role.CHAMBER_HEAD))]) -> Response:
    proc.set_self_suspension(store_of(request), acting(principal), licence, body.suspended, body.reason)
    return Response(status_code=204)


# --- absences -------------------------------------------------------------------------------

ABSENCE_ROLES = (Role.BAILIFF, Role.CHAMBER_HEAD, Role.CHAMBER)


@router.get("/bailiffs/{licence}/absences", tags=["absences"], response_model=list[AbsenceOut], summary="A bailiff's absences")
def absences(licence: Licence, request: Request,
             principal: Annotated[Principal, Depends(Access.of(*ABSENCE_ROLES, Role.MINISTRY, Role.AUDITOR))]) -> list[dict[str, Any]]:
    a, b = schema.absences, schema.bailiffs
    with store_of(request).read() as conn:
        region = conn.execute(select(b.c.region).where(b.c.licence == licence)).scalar_one_or_none()
        own = principal.role is Role.BAILIFF and principal.subject == licence
        if region is None or (principal.role is Role.BAILIFF and not own):
            raise Problem(404, f"licence: no bailiff {licence} among those you may see")
        if not own:
            require_region(conn, principal, region)
        rows = conn.execute(select(a).where(a.c.licence == licence).order_by(a.c.start)).all()
    return absences_out(principal, rows)


def absences_out(principal: Principal, rows: list[Any]) -> list[dict[str, Any]]:
    """Absence rows as the caller may see them (the web pages show a region's the same way)."""
    private = principal.role in (Role.AUDITOR, Role.MINISTRY)  # the kind of absence (illness) is the bailiff's own business
    return [{"id": r.id, "licence": r.licence, "start": r.start, "end": r.end, "kind": None if private else r.kind, "cancelled": r.cancelled}
            for r in rows]


@contextmanager
def _absence_fields() -> Iterator[None]:
    """The service names an absence's dates from and to, as the command line does; the API, start and end."""
    try:
        yield
    except proc.ProcedureRefused as exc:
        raise refusal(str(exc), {"from": "start", "to": "end"}) from None


@router.post("/bailiffs/{licence}/absences", tags=["absences"], status_code=201, response_model=Created, summary="Record an absence")
def add_absence(licence: Licence, body: AbsenceIn, request: Request,
                principal: Annotated[Principal, Depends(Access.of(*ABSENCE_ROLES))]) -> dict[str, int]:
    with _absence_fields():
        return {"id": proc.record_absence(store_of(request), acting(principal), licence, body.start, body.end, body.kind, body.note)}


@router.put("/absences/{absence}", tags=["absences"], status_code=204, summary="Change an absence's dates")
def change_absence(absence: Number, body: AbsenceChange, request: Request,
                   principal: Annotated[Principal, Depends(Access.of(*ABSENCE_ROLES))]) -> Response:
    with _absence_fields():
        proc.change_absence(store_of(request), acting(principal), absence, body.start, body.end, body.note)
    return Response(status_code=204)


@router.delete("/absences/{absence}", tags=["absences"], status_code=204, summary="Cancel an absence")
def cancel_absence(absence: Number, request: Request, principal: Annotated[Principal, Depends(Access.of(*ABSENCE_ROLES))],
                   note: Annotated[str, Query(max_length=2000)] = "") -> Response:
    proc.cancel_absence(store_of(request), acting(principal), absence, note)
    return Response(status_code=204)


# --- chambers --------------------------------------------------------------------------------


@router.post("/chambers/{region}/members", tags=["chambers"], status_code=204, summary="Appoint or remove a commission or staff member")
def member(region: Annotated[str, Path(max_length=8)], body: MemberIn, request: Request,
           principal: Annotated[Principal, Depends(Access.of(Role.MINISTRY, Role.CHAMBER_HEAD))]) -> Response:
    if region not in REGIONS:
        raise Problem(404, f"region: {region!r} is not an ISO 3166-2:KZ region code")
    proc.set_member(store_of(request), acting(principal), region, body.member, body.role, body.active)
    return Response(status_code=204)


# --- paragraph 12 -----------------------------------------------------------------------------

APPLICATION_READERS = (Role.CLAIMANT, Role.BAILIFF, Role.CHAMBER_HEAD, Role.COMMISSION, Role.MINISTRY, Role.AUDITOR)


@router.post("/applications", tags=["applications"], status_code=201, response_model=FiledOut, summary="Ask the commission to replace a document's bailiff")
def file(body: ApplicationIn, request: Request, principal: Annotated[Principal, Depends(Access.of(Role.CLAIMANT))]) -> dict[str, Any]:
    filed = proc.file_application(store_of(request), acting(principal), body.doc, principal.subject, str(body.grounds), body.statement, body.references)
    return {"application": filed.application, "deadline": filed.deadline}


def _applications(request: Request, principal: Principal, number: int | None, status: str | None) -> list[dict[str, Any]]:
    ap, d = schema.applications, schema.documents
    query = select(ap, d.c.claimant_idn).join(d, d.c.id == ap.c.doc).order_by(ap.c.id)
    if number is not None:
        query = query.where(ap.c.id == number)
    if status is not None:
        query = query.where(ap.c.status == status)
    with store_of(request).read() as conn:
        if principal.role is Role.CLAIMANT:
            query = query.where(d.c.claimant_idn == principal.subject)
        elif principal.role is Role.BAILIFF:  # the bailiff an application asks to replace answers it
            query = query.where(ap.c.licence == principal.subject)
        else:
            regions = regions_of(conn, principal)
            if regions is not None:
                query = query.where(ap.c.region.in_(sorted(regions)))
        rows = conn.execute(query).all()
    # The claimant's statement and the commission's reasons are for the parties and the commission.
    parties = principal.role in (Role.CLAIMANT, Role.BAILIFF, Role.COMMISSION)
    return [{"id": r.id, "doc": r.doc, "licence": r.licence, "region": r.region, "grounds": r.grounds, "deadline": r.deadline,
             "filed_at": r.filed_at, "status": r.status, "decided_at": r.decided_at, "reference": r.reference,
             "statement": r.statement if parties else None, "reasons": r.reasons if parties else None} for r in rows]


@router.get("/applications", tags=["applications"], response_model=list[ApplicationOut], summary="Applications in your scope")
def applications(request: Request, principal: Annotated[Principal, Depends(Access.of(*APPLICATION_READERS))],
                 status: Annotated[str | None, Query(pattern="^(review|granted|refused)$")] = None) -> list[dict[str, Any]]:
    """The claimant's own; those against the bailiff; the commission's and the chamber head's region; every
    region for the ministry and auditors."""
    return _applications(request, principal, None, status)


@router.get("/applications/{application}", tags=["applications"], response_model=ApplicationOut, summary="One application")
def application(application: Number, request: Request, principal: Annotated[Principal, Depends(Access.of(*APPLICATION_READERS))]) -> dict[str, Any]:
    found = _applications(request, principal, application, None)
    if not found:
        raise Problem(404, f"application: no application {application} among those you may see")
    return found[0]


@router.post("/applications/{application}/decision", tags=["applications"], response_model=DecisionOut, summary="The commission decides")
def decide(application: Number, body: DecisionIn, request: Request,
           principal: Annotated[Principal, Depends(Access.of(Role.COMMISSION))]) -> dict[str, Any]:
    released = proc.decide_application(store_of(request), acting(principal), application, str(body.decision), body.reference, body.reasons)
    return {"application": application, "decision": str(body.decision), "released": _released(released)}


# --- proceedings after the draw ---------------------------------------------------------------


@router.post("/proceedings/steps", tags=["proceedings"], response_model=StepsOut, summary="Record steps of your proceedings (batch)")
def steps(body: StepsIn, request: Request, principal: Annotated[Principal, Depends(Access.of(Role.BAILIFF))]) -> dict[str, Any]:
    """Acknowledge, initiate, record a recovery, suspend, resume or close; each step is refused or
    recorded on its own, and a refused one writes nothing."""
    requests = [StepRequest(s.doc, str(s.step), s.amount_tiyn, s.reason, s.reference, s.note) for s in body.steps]
    outcomes = record_steps(store_of(request), acting(principal), requests)
    recorded = sum(o.error is None for o in outcomes)
    return {"recorded": recorded, "refused": len(outcomes) - recorded,
            "results": [{"item": o.item, "doc": o.doc, "step": o.step, "seq": o.seq, "error": o.error} for o in outcomes]}


@router.get("/proceedings/overdue", tags=["proceedings"], response_model=list[OverdueOut], summary="Proceedings past their deadlines")
def overdue_list(request: Request,
                 principal: Annotated[Principal, Depends(Access.of(Role.BAILIFF, Role.CHAMBER_HEAD, Role.CHAMBER, Role.COMMISSION,
                                                                   Role.MINISTRY, Role.AUDITOR))],
                 region: Annotated[str | None, Query(max_length=8)] = None) -> list[dict[str, Any]]:
    with store_of(request).read() as conn:
        regions = None if principal.role is Role.BAILIFF else regions_of(conn, principal)
    found = overdue(store_of(request), _today(), region)
    return [vars(o) for o in found
            if (o.licence == principal.subject if principal.role is Role.BAILIFF else regions is None or o.region in regions)]


# --- configuration -----------------------------------------------------------------------------


@router.post("/config/{name}", tags=["configuration"], status_code=201, response_model=Created, summary="Issue a configuration version (ministry)")
def issue(name: Annotated[str, Path(pattern="^(routing|draw|procedures)$")], body: ConfigIn, request: Request,
          principal: Annotated[Principal, Depends(Access.of(Role.MINISTRY))]) -> dict[str, int]:
    """In force for rounds sealed from `effective`, a later day than today."""
    return {"id": issue_config(store_of(request), acting(principal), name, body.value, body.effective)}
