"""What anyone may read without logging in: the spec, the log with checkpoints and proofs, rounds,
loads, configuration, the roster without personal data, statistics; and the operational probes."""

from __future__ import annotations

import json
from importlib import resources
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Connection, select

from casedraw.api.deps import API_PREFIX, store_of
from casedraw.api.problems import Problem
from casedraw.api.schemas import MAX_ID, BailiffOut, CheckpointOut, ConfigVersion, EntriesOut, Health, ProofOut, RoundOut, StatsOut
from casedraw.api.scope import regions_of
from casedraw.api.security import Access
from casedraw.services.access import Principal, Role
from casedraw.store import schema

router = APIRouter(prefix=API_PREFIX, tags=["public"])
probes = APIRouter(tags=["operations"])
PUBLIC = Access.of(public=True)
Public = Annotated[Principal | None, Depends(PUBLIC)]
ENTRIES_LIMIT = 10_000


@router.get("/spec", summary="The published algorithm (docs/ALGORITHM.md)",
            responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}})
def spec(_: Public) -> Response:
    """The normative specification anyone can re-implement to recompute every draw from the public log."""
    text_ = resources.files("casedraw").joinpath("data/ALGORITHM.md").read_text(encoding="utf-8")
    return Response(text_, media_type="text/markdown; charset=utf-8")


@router.get("/log/checkpoint", response_model=CheckpointOut, summary="The latest signed checkpoint")
def checkpoint(request: Request, _: Public) -> dict[str, Any]:
    published = request.app.state.published
    cp, note = published.checkpoint()
    return {"origin": cp.origin, "size": cp.size, "root_hash": cp.root.hex(), "note": note.decode(), "verifier_key": published.signer.verifier_key()}


@router.get("/log/entries", response_model=EntriesOut, summary="Event bodies of the public log")
def entries(request: Request, _: Public, start: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
            limit: Annotated[int, Query(ge=1, le=ENTRIES_LIMIT)] = 1000) -> Response:
    """The exact bytes each Merkle leaf hashes (no personal data: that stays with the operator)."""
    store = store_of(request)
    with store.read() as conn:
        bodies = entry_bodies(conn, start, limit)
        size = store.log_size(conn)
    # The bodies are canonical JSON already: spliced in as strings, byte for byte.
    listed = b",".join(json.dumps(b.decode("utf-8"), ensure_ascii=False).encode() for b in bodies)
    return Response(b'{"start":%d,"size":%d,"entries":[' % (start, size) + listed + b"]}", media_type="application/json")


def entry_bodies(conn: Connection, start: int, limit: int) -> list[bytes]:
    """The stored bodies of up to `limit` events from index `start` on, in log order: the leaves' exact bytes."""
    e = schema.events
    return [bytes(b) for b in conn.execute(select(e.c.body).where(e.c.seq >= start).order_by(e.c.seq).limit(limit)).scalars()]


def _sized(request: Request, size: int | None) -> int:
    current = request.app.state.published.refresh()
    if size is None:
        return current
    if size > current:
        raise Problem(422, f"size: the log has {current} events")
    return size


@router.get("/log/proofs/inclusion", response_model=ProofOut, summary="An inclusion proof (RFC 9162)")
def inclusion(request: Request, _: Public, index: Annotated[int, Query(ge=0, le=MAX_ID)],
              size: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> dict[str, Any]:
    size = _sized(request, size)
    if index >= size:
        raise Problem(422, f"index: must be below the tree size {size}")
    published = request.app.state.published
    return {"size": size, "index": index, "root_hash": published.root(size).hex(), "proof": [h.hex() for h in published.inclusion(index, size)]}


@router.get("/log/proofs/consistency", response_model=ProofOut, summary="A consistency proof between two tree sizes (RFC 9162)")
def consistency(request: Request, _: Public, first: Annotated[int, Query(ge=1, le=MAX_ID)],
                second: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> dict[str, Any]:
    second = _sized(request, second)
    if first > second:
        raise Problem(422, f"first: must not exceed second ({second})")
    published = request.app.state.published
    return {"size": second, "first": first, "root_hash": published.root(second).hex(),
            "proof": [h.hex() for h in published.consistency(first, second)]}


@router.get("/rounds", response_model=list[RoundOut], summary="Rounds, newest first")
def rounds(request: Request, _: Public, before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
           limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    r = schema.rounds
    query = select(r.c.round, r.c.status, r.c.day, r.c.beacon_source, r.c.documents, r.c.sealed_seq, r.c.drawn_seq).order_by(r.c.round.desc())
    if before is not None:
        query = query.where(r.c.round < before)
    with store_of(request).read() as conn:
        return [dict(row._mapping) for row in conn.execute(query.limit(limit))]


@router.get("/rounds/{round}", response_model=RoundOut, summary="One round")
def round_(round: Annotated[int, Path(ge=1, le=MAX_ID)], request: Request, _: Public) -> dict[str, Any]:
    r = schema.rounds
    with store_of(request).read() as conn:
        row = conn.execute(select(r.c.round, r.c.status, r.c.day, r.c.beacon_source, r.c.documents, r.c.sealed_seq, r.c.drawn_seq)
                           .where(r.c.round == round)).one_or_none()
    if row is None:
        raise Problem(404, f"round: no round {round}")
    return dict(row._mapping)


@router.get("/loads", response_model=dict[str, dict[str, float]], summary="Per region: bailiffs, documents and the spread of load per share")
def loads(request: Request, _: Public) -> dict[str, dict[str, float]]:
    store = store_of(request)
    with store.read() as conn:
        found = store.region_loads(conn)
    return {region: {k: (v if v != float("inf") else 0.0) for k, v in values.items()} for region, values in found.items()}


@router.get("/config", response_model=list[ConfigVersion], summary="Every configuration version with its date of effect")
def config(request: Request, _: Public, name: Annotated[str | None, Query(pattern="^(routing|draw|procedures)$")] = None) -> list[dict[str, Any]]:
    store = store_of(request)
    with store.read() as conn:
        return [{"name": r.name, "version": r.version, "effective": r.effective, "seq": r.seq, "value": json.loads(r.value)}
                for r in store.config_versions(conn, name)]


@router.get("/bailiffs", response_model=list[BailiffOut], summary="The roster")
def bailiffs(request: Request, principal: Public, region: Annotated[str | None, Query(max_length=8)] = None) -> list[dict[str, Any]]:
    """Licence, region, district, status and share for everyone; names for the ministry and the region's chamber."""
    b = schema.bailiffs
    query = select(b).order_by(b.c.licence)
    if region is not None:
        query = query.where(b.c.region == region)
    with store_of(request).read() as conn:
        naming = principal is not None and principal.role in (Role.MINISTRY, Role.CHAMBER_HEAD, Role.CHAMBER)
        named = regions_of(conn, principal) if naming else set()  # None: every region
        return [{"licence": r.licence, "region": r.region, "district": r.district, "status": r.status, "chamber_head": r.chamber_head,
                 "share_milli": r.share_milli, "specialisations": json.loads(r.specialisations),
                 "full_name": r.full_name if named is None or r.region in named else None} for r in conn.execute(query)]


@router.get("/stats", response_model=StatsOut, summary="Processing times and recovery, before and after the switch (as `casedraw stats`)")
def stats(request: Request, _: Public,
          by: Annotated[str | None, Query(pattern="^(all|region|bailiff|claimant_kind|month)$")] = None,
          period: Annotated[str | None, Query(pattern="^(before|after)$")] = None) -> Response:
    log_size, rows, comparison = request.app.state.statistics.current()
    rows = [r for r in rows if (by is None or r["by"] == by) and (period is None or r["period"] == period)]
    comparison = [r for r in comparison if by is None or r["by"] == by]
    return Response(orjson.dumps({"log_size": log_size, "indicators": rows, "comparison": comparison}), media_type="application/json")


PROBE = Annotated[Principal | None, Depends(Access.of(public=True, limited=False))]


@probes.get("/healthz", response_model=Health, response_model_exclude_none=True, summary="The process answers")
def healthz(_: PROBE) -> dict[str, Any]:
    return {"status": "ok"}


@probes.get("/readyz", response_model=Health, summary="The database answers and holds an initialised log",
            responses={503: {"description": "Not ready"}})
def readyz(request: Request, _: PROBE) -> dict[str, Any]:
    store = store_of(request)
    try:
        with store.read() as conn:
            size = store.log_size(conn)
    except Exception as exc:  # any database failure means: not ready
        raise Problem(503, f"database: {type(exc).__name__}") from None
    if not size:
        raise Problem(503, "log: empty; run `casedraw init`")
    return {"status": "ready", "log_size": size}


@probes.get("/metrics", summary="Prometheus metrics", responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}})
def metrics(request: Request, _: Annotated[Principal, Depends(Access.of(Role.OPERATOR, Role.AUDITOR, Role.MINISTRY))]) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
