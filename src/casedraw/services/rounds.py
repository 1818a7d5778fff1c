"""Rounds: seal a batch, take randomness that did not exist at sealing, draw.

1. Seal: every registered or pending private-bailiff document, the roster as
   the draw will see it, the documents' exclusions and a hash of the draw
   state go into a `round.sealed` event, which also fixes the beacon value
   the round will use (the next hash-chain element, or a drand round in the
   future). From then on the outcome depends only on that value.
2. Randomness: the beacon value is fetched and verified, then logged.
3. Draw: the pure engine runs on the sealed inputs; `round.drawn` records
   every assignment, every pending document with its reasons, and the new
   draw state.

Only one round is open at a time; a round whose randomness is not available
yet stays sealed and is completed by the next call.
"""

from __future__ import annotations

import calendar
import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from casedraw.domain.proceedings import deadlines
from casedraw.draw.beacons import (
    QUICKNET,
    BeaconInvalid,
    DrandFeed,
    Randomness,
    fetch_drand,
    hashchain_value,
    hashchain_verify,
    target_round,
)
from casedraw.draw.engine import DrawState, Reason, RegionState, draw_round
from casedraw.draw.protocol import bailiff_states, drawn_data, round_seed, sealed_inputs, state_digest
from casedraw.ledger.events import Event, round_drawn, round_randomness, round_sealed
from casedraw.services import Context
from casedraw.services.procedures import absences_on, release_due
from casedraw.store import schema
from casedraw.store.repository import Store, affinity_of, hashchain_secret_name, keys_by_region, rows_in

HASHCHAIN = "hashchain"
DRAND = "drand-quicknet"


@dataclass(frozen=True)
class RoundResult:
    round: int
    documents: int
    assigned: int
    pending: int
    seed: str


class NoRandomnessSource(ValueError):
    """The round was sealed for drand but no drand feed was given."""


def run_round(store: Store, ctx: Context, *, source: str = HASHCHAIN, drand: DrandFeed | None = None) -> RoundResult | None:
    """Complete the open round, or seal and draw a new one; None if nothing waits to be drawn."""
    with store.read() as conn:
        open_round = conn.execute(select(schema.rounds).where(schema.rounds.c.status == "sealed")).one_or_none()
    if open_round is None:
        round_no = seal_round(store, ctx, source)
        if round_no is None:
            return None
        with store.read() as conn:
            open_round = conn.execute(select(schema.rounds).where(schema.rounds.c.round == round_no)).one()
    randomness = _randomness(store, open_round, drand)
    return draw_sealed(store, ctx, open_round.round, randomness)


def seal_round(store: Store, ctx: Context, source: str = HASHCHAIN) -> int | None:
    if source not in (HASHCHAIN, DRAND):
        raise ValueError(f"--beacon: {source!r} is not {HASHCHAIN} or {DRAND}")
    with store.write() as writer:
        at, today = writer.stamp(ctx)
        conn = writer.conn
        release_due(writer, ctx, at, today)  # portfolios of bailiffs who left the draw join this round
        d = schema.documents
        rows = conn.execute(
            select(d.c.id, d.c.region, d.c.claimant_idn, d.c.debtor_idn, d.c.affinity)
            .where(d.c.channel == "pb", d.c.status.in_(schema.WAITING))
            .order_by(d.c.id)
        ).all()
        if not rows:
            return None
        regions = sorted({r.region for r in rows})
        bailiffs = [b for b in store.bailiffs(conn).values() if b.region in regions]
        absent = {a.licence for a in absences_on(conn, today)}
        suspended = set(conn.execute(select(schema.bailiffs.c.licence).where(schema.bailiffs.c.self_suspended)).scalars())
        roster = [
            [b.licence, b.region, str(b.status), b.share_milli, list(b.specialisations), b.licence in absent, b.licence in suspended]
            for b in sorted(bailiffs, key=lambda b: b.licence)
        ]
        excluded = _exclusions(conn, rows, bailiffs)
        round_no = (conn.execute(select(func.coalesce(func.max(schema.rounds.c.round), 0))).scalar_one()) + 1
        version, _ = store.draw_config(conn, day=today)
        state = load_state(conn, keys_by_region((r.region, r.affinity) for r in rows))
        if source == HASHCHAIN:
            anchor = store.current_anchor(conn)
            if anchor.last_index >= anchor.length:
                raise BeaconInvalid(f"hash chain {anchor.chain} is used up: publish a new anchor")
            beacon = {"source": HASHCHAIN, "chain": anchor.chain, "index": anchor.last_index + 1}
        else:
            beacon = {"source": DRAND, "chain": QUICKNET.chain_hash, "index": target_round(QUICKNET, calendar.timegm(time.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ")))}
        writer.append([round_sealed(at, ctx.actor, {
            "round": round_no,
            "day": today.isoformat(),
            "config": {"draw": version},
            "documents": [r.id for r in rows],
            "excluded": excluded,
            "roster": roster,
            "beacon": beacon,
            "state": state_digest(state),
        })])
        return round_no


def _exclusions(conn: Connection, rows: list[Any], bailiffs: list[Any]) -> list[list[object]]:
    """[doc, licence, reason], sorted: bailiffs a document left (para 12, redistribution), then declared conflicts."""
    x = schema.document_exclusions
    query = select(x.c.doc, x.c.licence, x.c.reason).where(x.c.doc.in_(bindparam("values", expanding=True)))
    region_of_doc = {r.id: r.region for r in rows}
    region_of = {b.licence: b.region for b in bailiffs}
    # Only bailiffs of the document's region matter to its draw (one transferred away no longer does).
    found = {(r.doc, r.licence): r.reason for r in rows_in(conn, query, list(region_of_doc)) if region_of.get(r.licence) == region_of_doc[r.doc]}
    for doc, licence, reason in _conflicts(rows, bailiffs):
        found.setdefault((doc, licence), reason)
    return [[doc, licence, reason] for (doc, licence), reason in sorted(found.items())]


def _conflicts(rows: list[Any], bailiffs: list[Any]) -> list[list[object]]:
    """[doc, licence, reason] for every declared conflict of interest with a document's claimant or debtor."""
    linked: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for b in bailiffs:
        for idn in b.conflicts:
            linked[idn].append((b.licence, b.region))
    found = set()
    for row in rows:
        for idn in (row.claimant_idn, row.debtor_idn):
            for licence, region in linked.get(idn, ()):
                if region == row.region:
                    found.add((row.id, licence))
    return [[doc, licence, str(Reason.CONFLICT)] for doc, licence in sorted(found)]


def _sealed_documents(conn: Connection, ids: list[int]) -> dict[int, tuple[str, str, int, str]]:
    """The sealed documents' (region, category, weight, affinity). One round is open at a time, so they
    are the documents whose status is sealed: one search of the status index, not an IN list per 900."""
    d = schema.documents
    query = select(d.c.id, d.c.region, d.c.category, d.c.weight, d.c.affinity)
    found = {row[0]: tuple(row[1:]) for row in conn.execute(query.where(d.c.status == "sealed"))}
    missing = [doc for doc in ids if doc not in found]
    if missing:  # not expected; read by id rather than draw without them
        by_id = query.where(d.c.id.in_(bindparam("values", expanding=True)))
        found.update({row[0]: tuple(row[1:]) for row in rows_in(conn, by_id, missing)})
    return found  # type: ignore[return-value]


def load_state(conn: Connection, keys: Mapping[str, Iterable[str]]) -> DrawState:
    """The draw state of the regions in `keys`, with the affinity entries of the debtor keys given per region."""
    regions = sorted(keys)
    state = DrawState({iso: RegionState() for iso in regions})
    for row in conn.execute(select(schema.region_draw).where(schema.region_draw.c.region.in_(regions))):
        state.regions[row.region].floor = row.floor
    b = schema.bailiff_draw  # every bailiff of the regions, twice a round: read as plain rows
    for region, licence, vtime, open_count, load in conn.execute(
            select(b.c.region, b.c.licence, b.c.vtime, b.c.open_count, b.c.load).where(b.c.region.in_(regions))):
        rs = state.regions[region]
        rs.vtime[licence] = vtime
        rs.open_count[licence] = open_count
        rs.load[licence] = load
    for (region, key), licence in affinity_of(conn, keys).items():
        state.regions[region].affinity[key] = licence
    return state


def _randomness(store: Store, open_round: Any, drand: DrandFeed | None) -> Randomness:
    if open_round.beacon_source == DRAND:
        if drand is None:
            raise NoRandomnessSource(f"round {open_round.round} waits for drand round {open_round.beacon_index}: give --drand-file or --drand-url")
        return fetch_drand(drand, open_round.beacon_index)
    with store.read() as conn:
        anchor = store.current_anchor(conn)
        secret = store.secret(conn, hashchain_secret_name(anchor.chain))
    value = hashchain_value(secret, anchor.length, open_round.beacon_index)
    hashchain_verify(value.value, value.index, bytes.fromhex(anchor.last_value), anchor.last_index)
    return Randomness(value.source, value.index, value.value, {"chain": str(anchor.chain)})


def draw_sealed(store: Store, ctx: Context, round_no: int, randomness: Randomness) -> RoundResult:
    with store.write() as writer:
        at, _ = writer.stamp(ctx)
        conn = writer.conn
        r = conn.execute(select(schema.rounds).where(schema.rounds.c.round == round_no)).one()
        if r.status != "sealed":
            raise ValueError(f"round {round_no} is already drawn")
        if randomness.index != r.beacon_index:
            raise BeaconInvalid(f"round {round_no} was sealed for beacon value {r.beacon_index}, got {randomness.index}")
        seal_body = conn.execute(select(schema.events.c.body).where(schema.events.c.seq == r.sealed_seq)).scalar_one()
        seal = Event.from_stored(seal_body, None).data
        roster, docs = sealed_inputs(seal, _sealed_documents(conn, seal["documents"]))
        _, config = store.draw_config(conn, seal["config"]["draw"])
        state = load_state(conn, keys_by_region((doc.region, doc.affinity_key) for doc in docs))
        seed = round_seed(round_no, randomness.value, bytes(seal_body))
        day = dt.date.fromisoformat(seal["day"])
        before = bailiff_states(state, roster)
        outcomes = draw_round(state, roster, docs, day, seed, config)
        data = {**drawn_data(round_no, seed, roster, state, outcomes, before), "deadlines": deadlines(day, store.procedure_config(conn, day))}
        writer.append([
            round_randomness(at, ctx.actor, round_no, randomness.source, randomness.index, randomness.value, randomness.proof),
            round_drawn(at, ctx.actor, data),
        ])
    assigned = sum(len(o.assignments) for o in outcomes.values())
    return RoundResult(round_no, len(docs), assigned, len(docs) - assigned, seed.hex())
