"""What every page router shares: a form posted from another site is refused."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request

from casedraw.api.problems import Problem

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def same_origin(request: Request) -> None:
    """Session cookies are SameSite=Strict already; this also refuses a form whose Origin (or, without
    one, Referer) names another host, so no other site can make a logged-in browser act."""
    if request.method not in UNSAFE:
        return
    source = request.headers.get("origin") or request.headers.get("referer")
    if source and source != "null" and urlsplit(source).netloc != request.headers.get("host"):
        raise Problem(403, "origin: the form was posted from another site")


def page_router(prefix: str = "") -> APIRouter:
    """A router of pages: not in the OpenAPI schema, forms checked for their origin."""
    return APIRouter(prefix=prefix, include_in_schema=False, dependencies=[Depends(same_origin)])
