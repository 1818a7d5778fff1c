"""Pages: public (being written)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from casedraw.api.security import Access
from casedraw.services.access import Principal, Role
from casedraw.web.forms import page_router
from casedraw.web.pages import render

router = page_router()
Public = Annotated[Principal | None, Depends(Access.of(*Role, public=True))]


@router.get("/")
def home(request: Request, _: Public) -> Response:
    return render(request, "error.html", {"status": 200, "phrase": "", "detail": "", "errors": []})
