"""What endpoints share: the store, the caller's context, the running app's parts."""

from __future__ import annotations

from fastapi import Request

from casedraw.services import Context
from casedraw.services.access import Principal
from casedraw.store.repository import Store

API_PREFIX = "/api/v1"


def store_of(request: Request) -> Store:
    return request.app.state.store


def acting(principal: Principal) -> Context:
    """The services' context for a caller: it acts as its role and subject, with the server's clock."""
    return Context(principal.actor)
