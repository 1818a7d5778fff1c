"""Initialising a database: schema, the first configuration versions, the randomness anchor."""

from __future__ import annotations

import json
import os
from importlib import resources

from sqlalchemy import insert

from casedraw.domain.routing import RoutingConfig
from casedraw.draw.beacons import hashchain_anchor
from casedraw.draw.config import DrawConfig, default_config
from casedraw.ledger.checkpoint import NoteSigner
from casedraw.ledger.events import beacon_anchor, config_set
from casedraw.services import Context
from casedraw.store import schema
from casedraw.store.projections import insert_ignoring_existing
from casedraw.store.repository import AFFINITY_KEY, Store, hashchain_secret_name

HASHCHAIN_LENGTH = 100_000  # rounds one published anchor covers
LOG_KEY = "log_key"
LOG_KEY_NAME = "casedraw-log"
LOG_ORIGIN = os.environ.get("CASEDRAW_LOG_ORIGIN", "casedraw/kz-enforcement-log")


def _defaults() -> dict[str, object]:
    return json.loads(resources.files("casedraw.data").joinpath("config.json").read_text("utf-8"))


def default_routing() -> RoutingConfig:
    return RoutingConfig.from_json(_defaults())  # type: ignore[arg-type]


def default_draw() -> DrawConfig:
    return default_config()


def initialise(store: Store, ctx: Context, *, secret: bytes | None = None) -> bool:
    """Record the default configuration and a hash-chain anchor unless present; True if recorded now.

    The hash-chain secret and the affinity key stay with the operator (table
    operator_secrets); only the anchor enters the log, before any round.
    """
    with store.write() as writer:
        if store.config_version(writer.conn, "routing"):
            return False
        at, _ = ctx.stamp()
        chain_secret = secret or os.urandom(32)
        writer.conn.execute(insert(schema.operator_secrets), [
            {"name": AFFINITY_KEY, "value": os.urandom(32)},
            {"name": hashchain_secret_name(1), "value": chain_secret},
            {"name": LOG_KEY, "value": os.urandom(32)},
        ])
        writer.append([
            config_set(at, ctx.actor, "routing", 1, default_routing().to_json()),
            config_set(at, ctx.actor, "draw", 1, default_draw().to_json()),
            beacon_anchor(at, ctx.actor, 1, HASHCHAIN_LENGTH, hashchain_anchor(chain_secret, HASHCHAIN_LENGTH)),
        ])
        return True


def log_signer(store: Store) -> NoteSigner:
    """The Ed25519 key that signs checkpoints (created on first use for databases made before it existed)."""
    with store.write() as writer:
        writer.conn.execute(insert_ignoring_existing(writer.conn, schema.operator_secrets), [{"name": LOG_KEY, "value": os.urandom(32)}])
        return NoteSigner.from_seed(LOG_KEY_NAME, store.secret(writer.conn, LOG_KEY))
