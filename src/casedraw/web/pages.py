"""Rendering the web pages: one Jinja2 environment per language, the layout's navigation by role,
and the errors of a page (an API problem becomes a page, or a redirect to the login form)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache, partial
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from casedraw.api.deps import API_PREFIX
from casedraw.api.security import SESSION_COOKIE
from casedraw.domain.errors import FieldError
from casedraw.services.access import Principal, Role
from casedraw.web.i18n import LANG_COOKIE, LANGUAGE_NAMES, LOCALES, Formats, negotiate, translations
from casedraw.web.labels import N_, label_for

TEMPLATES = Path(__file__).parent / "templates"
NOT_PAGES = (f"{API_PREFIX}/", "/healthz", "/readyz", "/metrics", "/static/")
LANG_COOKIE_AGE = 365 * 24 * 3600


# What each role finds in the menu: (path, label). Labels are translated in the template.
PUBLIC_MENU = (("/", N_("How it works")), ("/regions", N_("Regions")), ("/verify", N_("Verify a receipt")), ("/log", N_("Public log")))
ROLE_MENUS: Mapping[Role, tuple[tuple[str, str], ...]] = {
    Role.CLAIMANT: (("/claimant/documents", N_("My documents")), ("/claimant/submit", N_("Submit a document")),
                    ("/claimant/upload", N_("Upload a file")), ("/claimant/applications", N_("Applications"))),
    Role.BAILIFF: (("/bailiff/assignments", N_("My assignments")), ("/bailiff/absences", N_("My absences"))),
    Role.CHAMBER_HEAD: (("/bailiff/assignments", N_("My assignments")), ("/bailiff/absences", N_("My absences")),
                        ("/chamber/roster", N_("Roster"))),
    Role.CHAMBER: (("/chamber/roster", N_("Roster")),),
    Role.COMMISSION: (("/commission/applications", N_("Applications")),),
    Role.MINISTRY: (("/ministry/config", N_("Configuration")), ("/ministry/audit", N_("Audit"))),
    Role.AUDITOR: (("/ministry/audit", N_("Audit")),),
    Role.OPERATOR: (("/ministry/audit", N_("Audit")),),
}


def home_of(principal: Principal | None) -> str:
    """Where a person lands after logging in: the first page of their menu."""
    if principal is None:
        return "/"
    return ROLE_MENUS[principal.role][0][0]


def is_page(path: str) -> bool:
    return not path.startswith(NOT_PAGES)


def language(request: Request) -> str:
    if "lang" not in request.scope:
        request.scope["lang"] = negotiate(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                                          request.headers.get("accept-language"))
    return request.scope["lang"]


def translator(request: Request) -> Callable[[str], str]:
    """gettext in the caller's language, for words made in Python (a notice after a form, say)."""
    return translations(language(request)).gettext


@cache
def environment(lang: str) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    formats = Formats(lang)
    env.filters.update(date=formats.date, datetime=formats.datetime, number=formats.number, percent=formats.percent,
                       money=formats.money, urlquote=lambda s: quote(str(s), safe=""))
    env.globals.update(lang=lang, LOCALES=LOCALES, LANGUAGE_NAMES=LANGUAGE_NAMES,
                       label=partial(label_for, translations(lang).gettext))  # {{ label("status", d.status) }}: translated
    return env


def with_query(request: Request, **changes: Any) -> str:
    """The current page's path and query with some parameters changed (None drops one)."""
    params = {k: v for k, v in request.query_params.multi_items() if k not in changes}
    params.update({k: v for k, v in changes.items() if v is not None})
    return request.url.path + ("?" + urlencode(params) if params else "")


def render(request: Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200,
           headers: Mapping[str, str] | None = None) -> HTMLResponse:
    """A page in the caller's language; a language asked for in the query is remembered in a cookie."""
    lang = language(request)
    principal: Principal | None = request.scope.get("principal")
    menu = PUBLIC_MENU + (ROLE_MENUS[principal.role] if principal is not None else ())
    html = environment(lang).get_template(template).render(
        request=request, principal=principal, menu=menu, path=request.url.path,
        switch={code: with_query(request, lang=code) for code in LOCALES}, **(context or {}))
    response = HTMLResponse(html, status_code=status, headers=dict(headers or {}))
    response.headers["Content-Language"] = lang
    if request.query_params.get("lang") in LOCALES and request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_AGE, samesite="lax", httponly=True)
    return response


def redirect(to: str) -> RedirectResponse:
    """After a form: the browser GETs the result (a reload does not post again)."""
    return RedirectResponse(to, status_code=303)


class PageProblem:
    """How a problem is answered on a page's path (installed as app.state.page_problem)."""

    @staticmethod
    def applies(request: Request) -> bool:
        return is_page(request.url.path)

    def __call__(self, request: Request, status: int, detail: str = "", errors: list[FieldError] | None = None,
                 headers: Mapping[str, str] | None = None) -> Response:
        return error_page(request, status, detail, errors or [], headers)


def error_page(request: Request, status: int, detail: str = "", errors: list[FieldError] | tuple[FieldError, ...] = (),
               headers: Mapping[str, str] | None = None) -> Response:
    """A problem met while serving a page: not logged in goes to the login form, anything else is a page
    that says what went wrong, in the caller's language where the words are ours."""
    if status == 401:
        return redirect(f"/login?{urlencode({'next': with_query(request)})}")
    if "principal" not in request.scope:  # no route resolved the caller (an unknown path): use what is remembered
        remembered = request.app.state.authenticator.remembered(request.cookies.get(SESSION_COOKIE) or "")
        request.scope["principal"] = remembered or None
    kept = {k: v for k, v in (headers or {}).items() if k.lower() == "retry-after"}
    return render(request, "error.html", {"status": status, "phrase": HTTPStatus(status).phrase, "detail": detail,
                                          "errors": list(errors)}, status=status, headers=kept)
