"""Logging in and out (people; machine clients use API tokens made with `casedraw token create`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from casedraw.api.deps import API_PREFIX, store_of
from casedraw.api.problems import Problem
from casedraw.api.schemas import LoginIn, Me, SessionOut
from casedraw.api.security import SESSION_COOKIE, Access, bearer
from casedraw.services.access import AccessRefused, Principal, Role, log_in, log_out

router = APIRouter(prefix=f"{API_PREFIX}/auth", tags=["authentication"])
Anyone = Annotated[Principal, Depends(Access.of(*Role))]


@router.post("/login", response_model=SessionOut, summary="Log in with a username and password",
             responses={401: {"description": "Wrong username or password"}})
async def login(body: LoginIn, request: Request, response: Response,
                _: Annotated[Principal | None, Depends(Access.of(public=True))]) -> dict[str, Any]:
    """Gives a session token (also set as an HttpOnly cookie for the web pages), valid for 12 hours."""
    try:
        token, expires = await run_in_threadpool(log_in, store_of(request), body.username, body.password)
    except AccessRefused as exc:
        raise Problem(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https", max_age=12 * 3600)
    return {"token": token, "expires_at": expires}


@router.post("/logout", status_code=204, summary="End this session")
def logout(request: Request, principal: Anyone) -> Response:
    log_out(store_of(request), principal)
    credentials, _ = bearer(request)
    if credentials is not None:
        request.app.state.authenticator.forget(credentials)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
    return response


@router.get("/me", response_model=Me, summary="Who the credentials stand for")
def me(principal: Anyone) -> dict[str, str]:
    return {"role": str(principal.role), "subject": principal.subject, "credential": principal.credential}
