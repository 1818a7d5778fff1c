"""Rounds against a real database: seal, randomness, draw (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from importlib import resources

import pytest
from conftest import ministry
from factories import BANK_BIN, bailiff_row, document_row
from sqlalchemy import select

from casedraw.domain.routing import RoutingConfig
from casedraw.draw.beacons import QUICKNET, BeaconInvalid, DrandFileFeed, hashchain_verify, round_time
from casedraw.draw.engine import draw_round
from casedraw.draw.protocol import (
    round_seed,
    sealed_inputs,
    state_digest,
)
from casedraw.ledger.events import Actor, EventKind
from casedraw.services import Context
from casedraw.services.intake import submit_documents
from casedraw.services.procedures import licence_action
from casedraw.services.registry import import_bailiffs
from casedraw.services.rounds import (
    DRAND,
    NoRandomnessSource,
    load_state,
    run_round,
)
from casedraw.services.setup import default_routing, initialise
from casedraw.store import schema
from casedraw.store.repository import Store


def numbered(rows):
    return list(enumerate(rows, start=2))


def statuses(store):
    with store.read() as conn:
        d = schema.documents
        return {row.id: (row.channel, row.status, row.assigned_to, row.how) for row in conn.execute(select(d))}


def with_bailiffs(store, ctx, n=5, region="KZ-75", changes=None):
    changes = changes or {}
    import_bailiffs(store, numbered([bailiff_row(i, region=region, **changes.get(i, {})) for i in range(n)]), ctx)


def test_a_round_assigns_every_waiting_document_once_and_replays_from_the_log(store, ctx):
    with_bailiffs(store, ctx)
    rows = [document_row(n) for n in range(40)] + [
        document_row(100, claimant_kind="state_body", category="state_claim", amount_kzt="1000"),  # robot bailiff
    ]
    submit_documents(store, numbered(rows), ctx)
    result = run_round(store, ctx)
    assert (result.round, result.documents, result.assigned, result.pending) == (1, 40, 40, 0)
    state = statuses(store)
    assert [s for s in state.values() if s[0] == "robot"] == [("robot", "registered", None, None)]
    assert {s[1] for s in state.values() if s[0] == "pb"} == {"assigned"}
    assert run_round(store, ctx) is None  # nothing waits any more

    # Anyone holding the log recomputes the round bit for bit.
    events = list(store.events())
    sealed = next((s, e) for s, e in events if e.kind is EventKind.ROUND_SEALED)
    randomness = next(e for _, e in events if e.kind is EventKind.ROUND_RANDOMNESS).data
    drawn = next(e for _, e in events if e.kind is EventKind.ROUND_DRAWN).data
    registered = {e.data["doc"]: (e.data["region"], e.data["category"], e.data["weight"], e.data["affinity"])
                  for _, e in events if e.kind is EventKind.DOCUMENT_REGISTERED}
    roster, docs = sealed_inputs(sealed[1].data, registered)
    seed = round_seed(1, bytes.fromhex(randomness["value"]), sealed[1].body())
    assert seed.hex() == drawn["seed"]
    from casedraw.draw.engine import DrawState
    from casedraw.services.setup import default_draw
    outcome = draw_round(DrawState(), roster, docs, dt.date.fromisoformat(sealed[1].data["day"]), seed, default_draw())
    assert [[a.doc, a.licence, a.how] for a in outcome["KZ-75"].assignments] == drawn["regions"]["KZ-75"]["assigned"]
    anchor = next(e for _, e in events if e.kind is EventKind.BEACON_ANCHOR).data
    hashchain_verify(bytes.fromhex(randomness["value"]), randomness["index"], bytes.fromhex(anchor["anchor"]), 0)


def test_projections_rebuild_identically_after_rounds(store, ctx):
    with_bailiffs(store, ctx)
    for batch in range(3):
        submit_documents(store, numbered([document_row(10 * batch + n) for n in range(10)]), ctx)
        run_round(store, ctx)
    before = store.projection_snapshot()
    store.rebuild()
    assert store.projection_snapshot() == before


def test_no_eligible_bailiff_leaves_documents_pending_until_one_returns(store, ctx):
    with_bailiffs(store, ctx, n=2, changes={0: {"status": "suspended"}, 1: {"status": "revoked"}})
    submit_documents(store, numbered([document_row(n) for n in range(3)]), ctx)
    result = run_round(store, ctx)
    assert (result.assigned, result.pending) == (0, 3)
    drawn = [e for _, e in store.events() if e.kind is EventKind.ROUND_DRAWN][-1].data
    assert drawn["regions"]["KZ-75"]["pending"][0][1] == [["licence_not_active", 2]]
    assert {s[1] for s in statuses(store).values()} == {"pending"}
    licence_action(store, ministry(ctx), "PB-00000", "reinstated", "MJ order 17")
    result = run_round(store, ctx)
    assert (result.round, result.documents, result.assigned) == (2, 3, 3)
    assert {s[2] for s in statuses(store).values()} == {"PB-00000"}


def test_declared_conflict_of_interest_excludes_the_bailiff(store, ctx):
    with_bailiffs(store, ctx, n=3, changes={0: {"conflicts": BANK_BIN}})
    submit_documents(store, numbered([document_row(n) for n in range(30)]), ctx)
    run_round(store, ctx)
    assert "PB-00000" not in {s[2] for s in statuses(store).values()}
    seal = next(e for _, e in store.events() if e.kind is EventKind.ROUND_SEALED).data
    assert seal["excluded"][0] == [1, "PB-00000", "conflict_of_interest"] and len(seal["excluded"]) == 30
    assert BANK_BIN.encode() not in next(e for _, e in store.events() if e.kind is EventKind.ROUND_SEALED).body()


def test_same_debtor_follows_its_bailiff_across_rounds(store, ctx):
    with_bailiffs(store, ctx, n=8)
    submit_documents(store, numbered([document_row(0)]), ctx)
    run_round(store, ctx)
    holder = statuses(store)[1][2]
    later = [document_row(0, doc_number=f"other-{n}", claimant_idn=BANK_BIN) for n in range(4)]
    submit_documents(store, numbered(later), ctx)
    run_round(store, ctx)
    assert [(s[2], s[3]) for doc, s in sorted(statuses(store).items()) if doc > 1] == [(holder, "affinity")] * 4


def at_drand_round(number: int):
    return lambda: dt.datetime.fromtimestamp(round_time(QUICKNET, number), dt.UTC)


@pytest.fixture
def store_of_2023(db_url):
    """A store initialised when the recorded drand rounds were published (August 2023), so its first
    configuration versions are in force on the day those tests seal."""
    store = Store.open(db_url)
    routing = default_routing().to_json()
    routing["routing"][0]["effective_from"] = "2023-01-01"  # type: ignore[index]
    initialise(store, Context(Actor("ministry", "test"), clock=at_drand_round(100)), routing=RoutingConfig.from_json(routing))
    yield store
    store.close()


def test_drand_round_is_fixed_at_sealing_and_verified(store_of_2023):
    store = store_of_2023
    recorded = 123
    # seal at a time when round 121 is the latest published: the round commits to drand round 123
    sealing = Context(Actor("system", "test"), clock=at_drand_round(121), salt=lambda: b"\0" * 16)
    intake = Context(Actor("claimant", "test"), clock=at_drand_round(110), salt=lambda: b"\0" * 16)
    with_bailiffs(store, intake)
    submit_documents(store, numbered([document_row(n, doc_date="2023-01-10") for n in range(6)]), intake)
    with pytest.raises(NoRandomnessSource, match="waits for drand round 123"):
        run_round(store, sealing, source=DRAND)
    with store.read() as conn:
        assert conn.execute(select(schema.rounds.c.status, schema.rounds.c.beacon_index)).one() == ("sealed", recorded)
    feed_file = resources.files("casedraw.data").joinpath("drand-quicknet.json")
    result = run_round(store, sealing, drand=DrandFileFeed(str(feed_file)))
    assert (result.round, result.assigned) == (1, 6)
    randomness = next(e for _, e in store.events() if e.kind is EventKind.ROUND_RANDOMNESS).data
    assert randomness["value"] == "fb8f7bc29bf24db51871ec8c79f3a1e4bd0557bc0dfcee9ed1d924e69d1c60dc"
    assert randomness["proof"]["signature"].startswith("b75c69d0")


def test_a_signature_for_another_round_is_refused_and_nothing_is_drawn(store_of_2023, tmp_path):
    store = store_of_2023
    sealing = Context(Actor("system", "test"), clock=at_drand_round(122))
    intake = Context(Actor("claimant", "test"), clock=at_drand_round(110))
    with_bailiffs(store, intake)
    submit_documents(store, numbered([document_row(0, doc_date="2023-01-10")]), intake)
    forged = tmp_path / "rounds.jsonl"
    signature = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92"
    forged.write_text(f'{{"round": 124, "signature": "{signature}"}}\n')  # round 123's signature offered as 124
    with pytest.raises(BeaconInvalid, match="124"):
        run_round(store, sealing, source=DRAND, drand=DrandFileFeed(forged))
    assert {s[1] for s in statuses(store).values()} == {"sealed"}


def test_sealed_state_digest_matches_the_state_the_draw_starts_from(store, ctx):
    with_bailiffs(store, ctx)
    submit_documents(store, numbered([document_row(n) for n in range(12)]), ctx)
    run_round(store, ctx)
    submit_documents(store, numbered([document_row(n) for n in range(12, 20)]), ctx)
    run_round(store, ctx)
    seals = [e.data for _, e in store.events() if e.kind is EventKind.ROUND_SEALED]
    with store.read() as conn:
        keys = {row.affinity for row in conn.execute(select(schema.documents.c.affinity))}
        assert seals[1]["state"] != seals[0]["state"]
        # the first round started from an empty state
        from casedraw.draw.engine import DrawState, RegionState
        assert seals[0]["state"] == state_digest(DrawState({"KZ-75": RegionState()}))
        state = load_state(conn, {"KZ-75": keys})
        assert len(keys) == 20 and state.regions["KZ-75"].load and set(state.regions["KZ-75"].affinity) <= keys


def test_a_sealed_round_draws_every_sealed_document_even_one_the_tables_lost(store, ctx):
    """The draw reads its documents by their sealed status; the seal, not the tables, says which they are."""
    from casedraw.services.rounds import HASHCHAIN, seal_round

    with_bailiffs(store, ctx)
    submit_documents(store, numbered([document_row(n) for n in range(12)]), ctx)
    round_no = seal_round(store, ctx, HASHCHAIN)
    d = schema.documents
    with store.engine.begin() as conn:  # a projection out of step with the log, as a bug or a hand could leave it
        conn.execute(d.update().where(d.c.id == 3).values(status="registered"))
    result = run_round(store, ctx)
    assert (result.round, result.documents, result.assigned) == (round_no, 12, 12)
    drawn = next(e for _, e in store.events() if e.kind is EventKind.ROUND_DRAWN).data
    assert 3 in {doc for doc, _, _ in drawn["regions"]["KZ-75"]["assigned"]}
