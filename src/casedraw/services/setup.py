"""Initialising a database: schema plus the first configuration version."""

from __future__ import annotations

import json
from importlib import resources

from casedraw.domain.routing import RoutingConfig
from casedraw.ledger.events import config_set
from casedraw.services import Context
from casedraw.store.repository import Store


def default_routing() -> RoutingConfig:
    raw = json.loads(resources.files("casedraw.data").joinpath("config.json").read_text("utf-8"))
    return RoutingConfig.from_json(raw)


def initialise(store: Store, ctx: Context) -> bool:
    """Record the default configuration unless one exists; True if it was recorded now."""
    with store.write() as writer:
        if store.config_version(writer.conn, "routing"):
            return False
        at, _ = ctx.stamp()
        writer.append([config_set(at, ctx.actor, 1, default_routing())])
        return True
