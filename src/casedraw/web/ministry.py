"""Pages: ministry (being written)."""

from __future__ import annotations

from casedraw.web.forms import page_router

router = page_router()
