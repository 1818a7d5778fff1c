"""Logging in and out from the browser: the same accounts, sessions and lockout as /api/v1/auth."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from casedraw.api.deps import store_of
from casedraw.api.security import SESSION_COOKIE, Access, bearer
from casedraw.services.access import SESSION_HOURS, AccessRefused, Principal, Role, authenticate_token, log_in, log_out
from casedraw.web.forms import page_router
from casedraw.web.pages import home_of, redirect, render

router = page_router()
Anyone = Annotated[Principal | None, Depends(Access.of(*Role, public=True))]


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never another site's address."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/login")
def login_form(request: Request, principal: Anyone, next: str | None = None) -> Response:
    if principal is not None:
        return redirect(_safe_next(next) or home_of(principal))
    return render(request, "login.html", {"next": _safe_next(next) or "", "username": "", "failed": False})


@router.post("/login")
async def login(request: Request, _: Anyone, username: Annotated[str, Form(max_length=200)],
                password: Annotated[str, Form(max_length=1000)], next: Annotated[str, Form(max_length=2000)] = "") -> Response:
    store = store_of(request)
    try:
        token, _expires = await run_in_threadpool(log_in, store, username, password)
    except AccessRefused:
        return render(request, "login.html", {"next": _safe_next(next) or "", "username": username, "failed": True}, status=401)
    principal = await run_in_threadpool(authenticate_token, store, token)
    response = redirect(_safe_next(next) or home_of(principal))
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                        max_age=SESSION_HOURS * 3600)
    return response


@router.post("/logout")
def logout(request: Request, principal: Anyone) -> Response:
    if principal is not None:
        log_out(store_of(request), principal)
        credentials, _ = bearer(request)
        if credentials is not None:
            request.app.state.authenticator.forget(credentials)
    response = redirect("/")
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
    return response
