"""Initialising a database: schema, the first configuration versions, the randomness anchor."""

from __future__ import annotations

import datetime as dt
import json
import os
from importlib import resources
from typing import Any

from sqlalchemy import insert

from casedraw.domain.procedures import ProcedureConfig
from casedraw.domain.routing import ConfigError, RoutingConfig
from casedraw.draw.beacons import hashchain_anchor
from casedraw.draw.config import CONFIGURATIONS, DrawConfig, default_config
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


def default_procedures() -> ProcedureConfig:
    return ProcedureConfig.from_json(_defaults()["procedures"])  # type: ignore[arg-type]


class ConfigRefused(ValueError):
    """A configuration version that cannot be issued (bad value or date of effect)."""


def issue_config(store: Store, ctx: Context, name: str, value: dict[str, Any], effective: dt.date) -> int:
    """Record a new version of a configuration, in force from `effective` (a later day than today).

    Versions never change once logged; rounds sealed on or after `effective` use it, so nobody can
    change the rules for a round that is already under way (docs/ALGORITHM.md, section 6).
    """
    if name not in CONFIGURATIONS:
        raise ConfigRefused(f"name: {name!r} is not one of {', '.join(CONFIGURATIONS)}")
    try:
        CONFIGURATIONS[name](value)
    except (ConfigError, KeyError, TypeError, ValueError) as exc:
        raise ConfigRefused(f"value: {exc}") from None
    with store.write() as writer:
        at, today = writer.stamp(ctx)
        if effective <= today:
            raise ConfigRefused(f"effective: {effective} is not after today ({today}); a new version takes effect from a later day")
        versions = store.config_versions(writer.conn, name)
        if not versions:
            raise ConfigRefused("the database holds no configuration yet: run `casedraw init` first")
        if effective < versions[-1].effective:
            raise ConfigRefused(f"effective: {effective} is before version {versions[-1].version}'s date of effect ({versions[-1].effective})")
        version = versions[-1].version + 1
        writer.append([config_set(at, ctx.actor, name, version, effective, value)])
        return version


def initialise(
    store: Store, ctx: Context, *, secret: bytes | None = None, affinity_key: bytes | None = None, routing: RoutingConfig | None = None,
) -> bool:
    """Record the default configuration and a hash-chain anchor unless present; True if recorded now.

    The hash-chain secret and the affinity key stay with the operator (table
    operator_secrets); only the anchor enters the log, before any round.
    """
    with store.write() as writer:
        if store.config_versions(writer.conn, "routing"):
            return False
        at, today = writer.stamp(ctx)
        chain_secret = secret or os.urandom(32)
        writer.conn.execute(insert(schema.operator_secrets), [
            {"name": AFFINITY_KEY, "value": affinity_key or os.urandom(32)},
            {"name": hashchain_secret_name(1), "value": chain_secret},
            {"name": LOG_KEY, "value": os.urandom(32)},
        ])
        writer.append([
            config_set(at, ctx.actor, "routing", 1, today, (routing or default_routing()).to_json()),
            config_set(at, ctx.actor, "draw", 1, today, default_draw().to_json()),
            config_set(at, ctx.actor, "procedures", 1, today, default_procedures().to_json()),
            beacon_anchor(at, ctx.actor, 1, HASHCHAIN_LENGTH, hashchain_anchor(chain_secret, HASHCHAIN_LENGTH)),
        ])
        return True


def log_signer(store: Store) -> NoteSigner:
    """The Ed25519 key that signs checkpoints (created on first use for databases made before it existed)."""
    with store.write() as writer:
        writer.conn.execute(insert_ignoring_existing(writer.conn, schema.operator_secrets), [{"name": LOG_KEY, "value": os.urandom(32)}])
        return NoteSigner.from_seed(LOG_KEY_NAME, store.secret(writer.conn, LOG_KEY))
