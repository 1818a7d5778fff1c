"""Server-rendered web pages for every role and the public portal, in Kazakh, Russian and English.

The pages are a thin layer over the same services and scope rules as the HTTP API: every page route
declares its `Access` like an endpoint does, a problem met while serving a page is shown as a page
(or, when not logged in, leads to the login form), and every core flow works without JavaScript.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from casedraw.web import auth, bailiff, chamber, claimant, commission, ministry, public
from casedraw.web.pages import PageProblem

STATIC = Path(__file__).parent / "static"
ROUTERS = (public.router, auth.router, claimant.router, bailiff.router, chamber.router, commission.router, ministry.router)


def install(app: FastAPI) -> None:
    """Static files and the page form of problems; the page routers are included by the app."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.page_problem = PageProblem()
