"""Regenerate docs/vectors/*.json from the code.

Run it only when the specification in docs/ALGORITHM.md changes on purpose,
and commit the spec, the code and the vectors together. tests/test_vectors.py
checks that the code still reproduces every published vector.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from sqlalchemy import select

from casedraw.domain.identifiers import check_digit, make_bin, make_iin, validate_idn
from casedraw.domain.model import Category, Document, document_identity, parse_bailiff, parse_document
from casedraw.domain.proceedings import deadlines
from casedraw.domain.routing import Channel, route
from casedraw.draw.beacons import hashchain_anchor, hashchain_value
from casedraw.draw.config import DrawConfig, default_config, unit_config
from casedraw.draw.engine import DrawState, RegionState, draw_round, water_level_quotas
from casedraw.draw.protocol import bailiff_states, drawn_data, sealed_inputs, state_digest
from casedraw.draw.rng import Stream, derive
from casedraw.ledger import canonical
from casedraw.ledger.checkpoint import Checkpoint, NoteSigner, sign_checkpoint
from casedraw.ledger.events import (
    SYSTEM,
    Actor,
    Weighing,
    absence_cancelled,
    absence_changed,
    absence_recorded,
    application_decided,
    application_filed,
    bailiff_changed,
    bailiff_registered,
    beacon_anchor,
    chamber_member,
    config_set,
    document_forwarded,
    document_registered,
    history_imported,
    licence_event,
    portfolio_released,
    proceeding_step,
    round_drawn,
    round_randomness,
    round_sealed,
    self_suspension,
)
from casedraw.ledger.merkle import consistency_proof, inclusion_proof, leaf_hash
from casedraw.ledger.merkle import root as merkle_root
from casedraw.ledger.pseudonyms import ACTOR_KEY_LABEL, actor_key, public_actor, published
from casedraw.ledger.replay import Replayer
from casedraw.services.setup import default_procedures, default_routing
from casedraw.store import schema

OUT = Path(__file__).resolve().parent.parent / "docs" / "vectors"
AT = "2026-03-02T04:00:00.000000Z"
DAY = dt.date(2026, 3, 2)
CHAMBER = Actor("chamber", "almaty-registry")
CLAIMANT = Actor("claimant", "940140000385")  # the bank's BIN, its account: the log names it by pseudonym (5.1)
AFFINITY_KEY = bytes(range(32))  # the operator's secret K of the vectors (6.3), published here for testing only


def salt(n: int) -> bytes:
    return hashlib.sha256(f"casedraw test vector salt {n}".encode()).digest()[:16]


def encoding() -> list[dict[str, object]]:
    values = [
        None, True, 0, -1, 2**53 - 1, "", "Алматы", "quote \" backslash \\ slash /", "\b\f\n\r\t\x00\x1f\x7f",
        "emoji \U0001F600", [], {}, {"b": 1, "a": [1, {"d": None, "c": "x"}], "A": False},
    ]
    return [{"value": v, "canonical_utf8_hex": canonical.encode(v).hex(), "sha256": hashlib.sha256(canonical.encode(v)).hexdigest()} for v in values]


def identifiers() -> list[dict[str, object]]:
    def checked(head: str) -> str:
        digit = check_digit(head)
        assert digit is not None
        return head + str(digit)

    numbers = [
        "940140000385", "971240001315", "850412300704", "850412300705", "850412300730", "050412500011",
        "850230300007", checked("85041200070"), checked("85041270070"), checked("94017000038"),
        checked("94134000038"), checked("94014700038"), "12345678901", "85041230070a",
    ]
    out = []
    for n in numbers:
        value, kind, errors = validate_idn(n, "idn")
        out.append({"input": n, "type": kind and str(kind), "valid": not errors, "errors": [e.reason for e in errors]})
    return out


def identity() -> list[dict[str, object]]:
    cases = [
        ("District court No. 2 of Almaty", "2-00001/2026", "2026-10-01", "850412300704", "940140000385"),
        ("  district COURT  no. 2 of almaty ", " 2-00001/ 2026", "2026-10-01", "850412300704", "940140000385"),
        ("Нотариус г. Шымкент", "№ 15-аб", "2025-01-31", "850412300704", "971240001315"),
    ]
    return [
        {"issuing_body": b, "number": n, "date": d, "debtor": debtor, "claimant": c, "identity": document_identity(b, n, d, debtor, c)}
        for b, n, d, debtor, c in cases
    ]


def routing() -> dict[str, object]:
    config = default_routing()
    mrp = 4325 * 100
    cases = [
        ("state_claim", 20 * mrp - 1, "2026-11-27"), ("state_claim", 20 * mrp, "2026-11-27"),
        ("state_claim", 1000 * mrp, "2026-11-27"), ("state_claim", 1000 * mrp + 1, "2026-11-27"),
        ("state_claim", 100, "2026-03-01"), ("alimony", 100, "2026-11-27"), ("recovery_entity", 10**12, "2026-11-27"),
    ]
    return {
        "config": config.to_json(),
        "cases": [
            {"category": c, "amount_tiyn": a, "registered_on": d, "channel": str(route(Category(c), a, dt.date.fromisoformat(d), config))}
            for c, a, d in cases
        ],
    }


def events() -> list[dict[str, object]]:
    bailiff = parse_bailiff({
        "licence": "PB-00001", "full_name": "Ахметов Ерлан", "iin": "850412300704", "region": "KZ-75",
        "district": "Almaty, enforcement district 1", "status": "active", "chamber_head": "yes",
        "allocation_share": "0.75", "specialisations": "alimony", "conflicts": "940140000385",
    })
    assert not isinstance(bailiff, list)
    moved = parse_bailiff({  # a registry update: share and conflicts (district and status move by licence events)
        "licence": "PB-00001", "full_name": "Ахметов Ерлан", "iin": "850412300704", "region": "KZ-75",
        "district": "Almaty, enforcement district 1", "status": "active", "chamber_head": "yes",
        "allocation_share": "1", "specialisations": "alimony", "conflicts": "",
    })
    assert not isinstance(moved, list)
    document = parse_document({
        "claimant_kind": "bank", "claimant_idn": "940140000385", "claimant_name": "Halyk Bank",
        "debtor_idn": "850412300704", "debtor_name": "Серикбаев Данияр", "doc_kind": "court_order",
        "issuing_body": "District court No. 2 of Almaty", "doc_number": "2-00001/2026", "doc_date": "2026-02-10",
        "basis": "debtor_residence", "region": "KZ-75", "category": "recovery_entity", "amount_kzt": "250000.50",
    }, dt.date(2026, 3, 2))
    assert isinstance(document, Document)
    built = [
        config_set(AT, Actor("ministry", "cli"), "routing", 1, DAY, default_routing().to_json()),
        config_set(AT, Actor("ministry", "cli"), "draw", 1, DAY, default_config().to_json()),
        config_set(AT, Actor("ministry", "cli"), "procedures", 1, DAY, default_procedures().to_json()),
        beacon_anchor(AT, Actor("ministry", "cli"), 1, 100_000, hashchain_anchor(bytes(32), 100_000)),
        bailiff_registered(AT, CHAMBER, bailiff, salt(1)),
        bailiff_changed(AT, CHAMBER, bailiff, moved, salt(2)),
        document_registered(AT, CLAIMANT, 1, document, Channel.PRIVATE_BAILIFF, Weighing(2, 3, _key(1)), salt(3)),
    ]
    scenario = draw()[0]
    seal = {**scenario["seal"], "state": scenario["state_digest"]}  # type: ignore[dict-item]
    chain = hashchain_value(bytes(32), 100_000, 1)
    built += [
        round_sealed(AT, SYSTEM, seal),
        round_randomness(AT, SYSTEM, 1, chain.source, chain.index, chain.value, {"chain": "1"}),
        round_drawn(AT, SYSTEM, {**scenario["drawn"], "deadlines": deadlines(DAY, default_procedures())}),  # type: ignore[dict-item]
        # The procedures (section 9); their order here shows the encoding, not a replayable history.
        chamber_member(AT, Actor("ministry", "mj"), "KZ-75", "commission-almaty-1", "commission", True),
        absence_recorded(AT, Actor("bailiff", "PB-00001"), 1, "PB-00001", DAY, DAY + dt.timedelta(days=13), "leave", "", salt(4)),
        absence_changed(AT, Actor("bailiff", "PB-00001"), 1, DAY, DAY + dt.timedelta(days=6), "back early", salt(5)),
        absence_cancelled(AT, Actor("bailiff", "PB-00001"), 1, "", salt(6)),
        self_suspension(AT, Actor("chamber_head", "PB-00001"), "PB-00001", True, "chamber duties", salt(7)),
        licence_event(AT, Actor("ministry", "mj"), "PB-00001", "revoked", "MJ order 12-345", {"status": "revoked"}, "", salt(8)),
        portfolio_released(AT, SYSTEM, "PB-00001", "licence", [1], {"vtime": 0, "open": 0, "load": 0}),
        application_filed(AT, CLAIMANT, 1, 1, "PB-00001", "KZ-75", "inaction", DAY + dt.timedelta(days=16), ["acknowledge"],
                          {"claimant": "940140000385", "statement": "No action for 3 months", "references": ["DC-2026/17"]}, salt(9)),
        application_decided(AT, Actor("commission", "commission-almaty-1"), 1, 1, "granted", "DC-KZ75-2026-004",
                            {"licence": "PB-00001", "state": {"vtime": 0, "open": 0, "load": 0}, "affinity_ended": _key(1)}, "Grounds confirmed", salt(10)),
        document_forwarded(AT, Actor("bailiff", "PB-00002"), 1, "KZ-75", "KZ-71", "debtor_residence", _key(2),
                           {"licence": "PB-00002", "state": {"vtime": 0, "open": 0, "load": 0}, "affinity_ended": None}, "debtor moved", salt(11)),
        # The proceedings after the draw (section 10).
        proceeding_step(AT, PB1, "acknowledged", 1, {}, None, salt(12)),
        proceeding_step(AT, PB1, "initiated", 1, {}, {"resolution": "PB-00001/2026-000017"}, salt(13)),
        proceeding_step(AT, PB1, "recovered", 1, {"recovered_bp": 4000}, {"amount_tiyn": 10_000_020, "total_tiyn": 10_000_020}, salt(14)),
        proceeding_step(AT, PB1, "suspended", 1, {"suspension": 1}, {"reason": "Debtor's appeal"}, salt(15)),
        proceeding_step(AT, PB1, "resumed", 1, {}, {"reason": "Appeal dismissed"}, salt(16)),
        proceeding_step(AT, PB1, "closed", 1, {"reason": "impossible", "recovered_bp": 4000, "state": {"open": 0, "load": 0},
                                               "affinity_ended": _key(1)}, {"note": "No property found"}, salt(17)),
        history_imported(AT, Actor("ministry", "mj"), 1, 1, [
            ["KZ-75", "bank", "PB-00001", "2025-06-02", "2025-06-04", "2025-11-20", "recovered", 10000],
            ["KZ-75", "mfo", "PB-00002", "2025-07-15", None, None, None, 0],
        ], [["H-2025-0000001", 25000050, 25000050], ["H-2025-0000002", 8000000, 0]], salt(18)),
    ]
    return [
        {
            "kind": str(e.kind),
            "body_utf8": e.body().decode(),
            "leaf_input_sha256": hashlib.sha256(e.body()).hexdigest(),
            "private_utf8": None if e.private is None else e.private_bytes().decode(),  # type: ignore[union-attr]
            "commit": e.data.get("commit"),
        }
        for e in published(actor_key(AFFINITY_KEY), [e for e in built if e is not None])  # as the store logs them
    ]


def pseudonyms() -> dict[str, object]:
    """Section 5.1: K_actor from the vectors' affinity key, and the public ACTOR_ID of some accounts."""
    key = actor_key(AFFINITY_KEY)
    accounts = [
        ("claimant", "940140000385"), ("claimant", "850412300704"), ("claimant", " 850412300704"), ("claimant", "bank-api"),
        ("claimant", "банк-api"), ("bailiff", "PB-00001"), ("ministry", "mj"), ("system", "casedraw"),
    ]
    return {
        "affinity_key_hex": AFFINITY_KEY.hex(),
        "label_utf8": ACTOR_KEY_LABEL.decode(),
        "actor_key_hex": key.hex(),
        "actors": [{"role": role, "account": account, "id": public_actor(key, Actor(role, account)).id} for role, account in accounts],
    }


def rng() -> dict[str, object]:
    keys = [b"", b"casedraw", bytes(range(32))]
    return {
        "derive": [
            {"parts_hex": [p.hex() for p in parts], "sha256": derive(*parts).hex()}
            for parts in ([b"casedraw/draw/v1/seed"], [b"a", b"bc"], [b"ab", b"c"], [b"casedraw/draw/v1/region", bytes(32), b"KZ-75"])
        ],
        "streams": [
            {
                "key_hex": key.hex(),
                "u64": [str(v) for v in _take(Stream(key), 10)],
                "uniform": {str(n): _uniforms(key, n) for n in (1, 2, 3, 7, 20, 1000, 2**32 + 1, 2**63 - 1)},
                "shuffle_0_to_19": _shuffled(key),
            }
            for key in keys
        ],
    }


def _take(stream: Stream, count: int) -> list[int]:
    return [stream.next_u64() for _ in range(count)]


def _uniforms(key: bytes, n: int) -> list[str]:
    stream = Stream(key)
    return [str(stream.uniform(n)) for _ in range(8)]


def _shuffled(key: bytes) -> list[int]:
    items = list(range(20))
    Stream(key).shuffle(items)
    return items


def quotas() -> list[dict[str, object]]:
    cases = [
        ([0, 0, 0], [1000, 1000, 1000], 3),
        ([0, 5_000_000, 9_000_000], [1000, 1000, 1000], 4),
        ([2_000_000, 0, 1_000_000, 7_000_000], [500, 1000, 750, 1000], 11),
        ([10**12, 10**12 + 1, 10**12 + 999_999], [1, 10_000, 333], 1),
    ]
    return [
        {"vtimes": v, "shares": sh, "total_weight": w, "quotas": water_level_quotas(v, sh, w)}
        for v, sh, w in cases
    ]


def _scenario(name: str, config: DrawConfig, seal: dict[str, object], registered: dict[int, tuple[str, str, int, str]],
              state: DrawState, seed_label: bytes) -> dict[str, object]:
    roster, docs = sealed_inputs(seal, registered)
    before = state.copy()
    seed = derive(b"casedraw test vector seed", seed_label)
    states = bailiff_states(state, roster)
    outcome = draw_round(state, roster, docs, dt.date.fromisoformat(str(seal["day"])), seed, config)
    drawn = drawn_data(int(seal["round"]), seed, roster, state, outcome, states)  # type: ignore[call-overload]
    return {
        "name": name,
        "config": config.to_json(),
        "seal": seal,
        "documents": {str(doc): {"region": r, "category": c, "weight": w, "affinity": a} for doc, (r, c, w, a) in sorted(registered.items())},
        "state_before": _state_json(before),
        "state_digest": state_digest(before),
        "seed": seed.hex(),
        "drawn": drawn,
    }


def _state_json(state: DrawState) -> dict[str, object]:
    return {
        iso: {"floor": rs.floor, "bailiffs": {lic: [rs.vtime[lic], rs.open_count.get(lic, 0), rs.load.get(lic, 0)] for lic in sorted(rs.vtime)},
              "affinity": dict(sorted(rs.affinity.items()))}
        for iso, rs in sorted(state.regions.items())
    }


def _key(n: int) -> str:
    return hashlib.sha256(f"debtor {n}".encode()).hexdigest()[:32]


def _seal(round_no: int, documents: list[int], roster: list[list[object]], excluded: list[list[object]] = ()) -> dict[str, object]:
    return {"round": round_no, "day": "2026-03-10", "config": {"draw": 1}, "documents": documents,
            "excluded": list(excluded), "roster": roster, "beacon": {"source": "hashchain", "chain": 1, "index": round_no}, "state": ""}


def draw() -> list[dict[str, object]]:
    unit = unit_config()
    weighted = default_config()
    out = []

    roster = [[f"PB-{i:02d}", "KZ-62", "active", 1000, [], False, False] for i in range(7)]
    registered = {d: ("KZ-62", "recovery_entity", 1, _key(d)) for d in range(1, 31)}
    out.append(_scenario("unit weights, 7 bailiffs, 30 documents", unit, _seal(1, list(registered), roster), registered, DrawState(), b"1"))

    roster = [[f"AL-{i:02d}", "KZ-75", "active", share, ["alimony"] if i == 3 else [], False, False]
              for i, share in enumerate((1000, 500, 750, 1000, 1000, 1250))]
    roster += [[f"AS-{i:02d}", "KZ-71", "active", 1000, [], False, False] for i in range(3)]
    categories = ("recovery_entity", "state_claim", "alimony", "recovery_person", "non_property")
    registered = {}
    for d in range(1, 61):
        category = categories[d % 5]
        band = (d * 7) % 6
        registered[d] = ("KZ-75" if d % 3 else "KZ-71", category, weighted.weight(category, band), _key(d))
    out.append(_scenario("default weights, shares 0.5-1.25, two regions", weighted, _seal(1, list(registered), roster), registered, DrawState(), b"2"))

    strict = DrawConfig(band_edges_kzt=weighted.band_edges_kzt, weights=weighted.weights, guard=weighted.guard,
                        requires_specialisation=frozenset({"alimony"}), capacity_cap=4)
    roster = [
        ["PB-A", "KZ-79", "revoked", 1000, [], False, False],
        ["PB-B", "KZ-79", "active", 1000, [], True, False],
        ["PB-C", "KZ-79", "active", 1000, [], False, True],
        ["PB-D", "KZ-79", "active", 1000, ["alimony"], False, False],
        ["PB-E", "KZ-79", "active", 1000, [], False, False],
        ["PB-F", "KZ-79", "active", 1000, [], False, False],
        ["PB-G", "KZ-10", "suspended", 1000, [], False, False],
    ]
    registered = {d: ("KZ-79", "alimony" if d <= 6 else "recovery_entity", 3 if d <= 6 else 2, _key(d)) for d in range(1, 15)}
    registered[15] = ("KZ-10", "recovery_entity", 1, _key(15))
    registered[16] = ("KZ-11", "recovery_entity", 1, _key(16))
    excluded = [[7, "PB-E", "conflict_of_interest"], [8, "PB-E", "replaced"], [8, "PB-F", "conflict_of_interest"]]
    out.append(_scenario("exclusions, specialisation, capacity cap, nobody eligible, no bailiff in region", strict,
                         _seal(1, list(registered), roster, excluded), registered, DrawState(), b"3"))

    roster = [[f"PB-{i}", "KZ-55", "active", 1000, [], False, False] for i in range(5)]
    state = DrawState({"KZ-55": RegionState(
        vtime={"PB-0": 40_000_000, "PB-1": 41_000_000, "PB-2": 43_000_000, "PB-3": 5_000_000},
        floor=40_000_000, open_count={"PB-0": 40, "PB-1": 41, "PB-2": 43, "PB-3": 5},
        load={"PB-0": 40, "PB-1": 41, "PB-2": 43, "PB-3": 5}, affinity={_key(1): "PB-2", _key(2): "PB-0"},
    )})
    registered = {d: ("KZ-55", "recovery_entity", 1 + d % 3, _key(1 + d % 4)) for d in range(1, 25)}
    out.append(_scenario("affinity, a bailiff back from leave and a new one lifted to the floor", weighted,
                         _seal(7, list(registered), roster), registered, state, b"4"))

    roster = [[f"PB-{i}", "KZ-47", "active", 1000 if i else 500, [], i == 2, False] for i in range(4)]
    state = DrawState()
    chained = []
    for r in range(1, 4):
        docs = range(1 + 20 * (r - 1), 1 + 20 * r)
        registered = {d: ("KZ-47", "recovery_entity", 1 + (d * 5) % 8, _key(d % 6)) for d in docs}
        roster_r = [[*e[:5], e[5] and r == 2, e[6]] for e in roster]  # PB-2 absent in round 2 only
        chained.append(_scenario(f"round {r} of 3, state carried over", weighted, _seal(r, list(registered), roster_r), registered, state, bytes([r])))
    out += chained
    return out


def log() -> dict[str, object]:
    """The events vector's bodies as a log: leaf hashes, root, proofs and a checkpoint signed with a published test key."""
    bodies = [e["body_utf8"].encode() for e in events()]
    hashes = [leaf_hash(b) for b in bodies]
    signer = NoteSigner.from_seed("casedraw-test-vector", bytes(range(32)))
    checkpoint = Checkpoint("casedraw/test-vector-log", len(hashes), merkle_root(hashes))
    return {
        "leaf_hashes": [h.hex() for h in hashes],
        "root": checkpoint.root.hex(),
        "inclusion_proofs": [[h.hex() for h in inclusion_proof(hashes, i)] for i in range(len(hashes))],
        "consistency_proofs": {f"{m}-{len(hashes)}": [h.hex() for h in consistency_proof(hashes, m)] for m in range(1, len(hashes))},
        "signer_key": signer.signer_key(),
        "verifier_key": signer.verifier_key(),
        "checkpoint_note": sign_checkpoint(signer, checkpoint).decode(),
    }


PB1 = Actor("bailiff", "PB-00001")


def history() -> dict[str, object]:
    """A small history through every procedure, built by the production services with a fixed clock,
    salts and keys: its public bodies must replay without a discrepancy (docs/ALGORITHM.md, 9)."""
    import tempfile

    from casedraw.services import Context
    from casedraw.services import procedures as proc
    from casedraw.services.history import import_history
    from casedraw.services.intake import submit_documents
    from casedraw.services.proceedings import StepRequest, record_steps
    from casedraw.services.registry import import_bailiffs
    from casedraw.services.rounds import run_round
    from casedraw.services.setup import initialise
    from casedraw.store.repository import Store

    now = [dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC)]
    salts = iter(range(10**6))

    def acting(role: str, ident: str) -> Context:
        return Context(Actor(role, ident), clock=lambda: now[0], salt=lambda: next(salts).to_bytes(16, "big"))

    def person(n: int) -> str:
        return next(x for serial in range(2 * n, 2 * n + 40) if (x := make_iin(dt.date(1980, 5, 17), False, serial)))

    bank = next(x for serial in range(40) if (x := make_bin(dt.date(2001, 2, 1), 4, 0, serial)))
    bailiffs = [
        {"licence": f"PB-{n:05d}", "full_name": f"Bailiff {n}", "iin": person(500 + n), "region": region, "district": f"{region} district 1",
         "status": "active", "chamber_head": "yes" if n in (0, 10) else "no", "allocation_share": "1", "specialisations": "", "conflicts": ""}
        for n, region in [*((n, "KZ-75") for n in range(6)), *((n, "KZ-71") for n in (10, 11))]
    ]

    def document(n: int, **changes: str) -> dict[str, str]:
        return {"claimant_kind": "bank", "claimant_idn": bank, "claimant_name": "Bank", "debtor_idn": person(n), "debtor_name": f"Debtor {n}",
                "doc_kind": "court_order", "issuing_body": "District court No. 2 of Almaty", "doc_number": f"2-{n:05d}/2026",
                "doc_date": "2026-02-10", "basis": "debtor_residence", "region": "KZ-75", "category": "recovery_entity",
                "amount_kzt": f"{100_000 + 37_000 * n}.00", **changes}

    with tempfile.TemporaryDirectory() as work:
        store = Store.open(f"sqlite:///{work}/history.db")
        try:
            system = acting("system", "rounds")
            initialise(store, acting("ministry", "mj"), secret=bytes(32), affinity_key=AFFINITY_KEY)
            import_bailiffs(store, list(enumerate(bailiffs, start=2)), acting("chamber", "registry"))
            proc.set_member(store, acting("ministry", "mj"), "KZ-75", "commission-kz-75", "commission")
            rows = [document(n) for n in range(30)] + [document(30, region="KZ-71", lodged_with="KZ-75")]
            submit_documents(store, list(enumerate(rows, start=2)), acting("claimant", "bank-api"))
            run_round(store, system)
            proc.set_self_suspension(store, acting("chamber_head", "PB-00000"), "PB-00000", True, "Chamber duties")
            proc.record_absence(store, acting("bailiff", "PB-00001"), "PB-00001", dt.date(2026, 3, 3), dt.date(2026, 4, 20), "illness")
            with store.read() as conn:
                holder = conn.execute(select(schema.documents.c.assigned_to).where(schema.documents.c.id == 1)).scalar_one()
            filed = proc.file_application(store, acting("claimant", "bank-api"), 1, bank, "inaction", "No action", ["DC-1"])
            proc.decide_application(store, acting("commission", "commission-kz-75"), filed.application, "granted", "DC-KZ75-1", "Confirmed")
            proc.licence_action(store, acting("ministry", "mj"), "PB-00002", "revoked", "MJ order 1")
            now[0] += dt.timedelta(days=1)  # the long absence begins: released before the next seal
            submit_documents(store, list(enumerate([document(n) for n in range(31, 41)], start=2)), acting("claimant", "bank-api"))
            run_round(store, system)
            with store.read() as conn:
                moving = conn.execute(select(schema.documents.c.assigned_to).where(schema.documents.c.id == 5)).scalar_one()
            proc.forward_document(store, acting("bailiff", moving), 5, "KZ-71", "debtor_residence", "Debtor moved")
            proc.set_self_suspension(store, acting("chamber_head", "PB-00000"), "PB-00000", False, "Back")
            run_round(store, system)
            now[0] = dt.datetime(2026, 3, 6, 5, 0, tzinfo=dt.UTC)  # the proceedings go on (section 10)
            with store.read() as conn:
                d = schema.documents
                held = list(conn.execute(select(d.c.id, d.c.assigned_to, d.c.amount_tiyn).where(d.c.status == "assigned").order_by(d.c.id)))
            late = held[0]  # left untouched: its application cites the missed deadlines
            steps = [
                (r.assigned_to, StepRequest(r.id, step, amount_tiyn=amount, reason=reason, reference="R-1"))
                for r in held[1:9]
                for step, amount, reason in [
                    ("acknowledged", None, ""), ("initiated", None, ""),
                    *([("recovered", r.amount_tiyn // 3, ""), ("recovered", r.amount_tiyn - r.amount_tiyn // 3, ""), ("closed", None, "recovered")]
                      if r.id % 3 == 0 else [("suspended", None, "Appeal"), ("resumed", None, "Dismissed"), ("closed", None, "impossible")]
                      if r.id % 3 == 1 else [("recovered", r.amount_tiyn // 10, "")]),
                ]
            ]
            outcomes = record_steps(store, acting("bailiff", "batch"), [s for _, s in steps], [Actor("bailiff", lic) for lic, _ in steps])
            assert all(o.error is None for o in outcomes), [o.error for o in outcomes if o.error]
            cited = proc.file_application(store, acting("claimant", "bank-api"), late.id, bank, "missed_deadlines", "Not acknowledged", ["-"])
            proc.decide_application(store, acting("commission", "commission-kz-75"), cited.application, "granted", "DC-KZ75-2", "Deadlines missed")
            run_round(store, system)
            history = [
                {"record": f"H-{n}", "region": "KZ-75", "claimant_kind": "bank", "licence": f"PB-0000{n}", "lodged": "2025-09-01",
                 "initiated": "2025-09-03", "closed": "2025-12-01" if n % 2 else "", "outcome": "impossible" if n % 2 else "",
                 "amount_kzt": "1000.00", "recovered_kzt": f"{100 * n}.00"}
                for n in range(1, 4)
            ]
            import_history(store, list(enumerate(history, start=2)), acting("ministry", "mj"))
            bodies = [e.body().decode() for _, e in store.events()]
        finally:
            store.close()
    replayer = Replayer()
    for index, body in enumerate(bodies):
        replayer.feed(index, body.encode())
    return {"replaced_from_document_1": holder, "bodies_utf8": bodies, "summary": vars(replayer.summary)}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in {"encoding": encoding(), "identifiers": identifiers(), "identity": identity(), "routing": routing(),
                       "events": events(), "pseudonyms": pseudonyms(), "rng": rng(), "quotas": quotas(), "draw": draw(), "log": log(), "history": history()}.items():
        (OUT / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {OUT / name}.json")


if __name__ == "__main__":
    main()
