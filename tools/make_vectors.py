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

from casedraw.domain.identifiers import check_digit, validate_idn
from casedraw.domain.model import Document, document_identity, parse_bailiff, parse_document
from casedraw.domain.routing import RoutingConfig, route
from casedraw.domain.model import Category
from casedraw.ledger import canonical
from casedraw.ledger.events import Actor, bailiff_changed, bailiff_registered, config_set, document_registered
from casedraw.domain.routing import Channel
from casedraw.services.setup import default_routing

OUT = Path(__file__).resolve().parent.parent / "docs" / "vectors"
AT = "2026-03-02T04:00:00.000000Z"
CHAMBER = Actor("chamber", "almaty-registry")
CLAIMANT = Actor("claimant", "halyk-api")


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
    moved = parse_bailiff({
        "licence": "PB-00001", "full_name": "Ахметов Ерлан", "iin": "850412300704", "region": "KZ-75",
        "district": "Almaty, enforcement district 2", "status": "active", "chamber_head": "yes",
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
        config_set(AT, Actor("ministry", "cli"), 1, default_routing()),
        bailiff_registered(AT, CHAMBER, bailiff, salt(1)),
        bailiff_changed(AT, CHAMBER, bailiff, moved, salt(2)),
        document_registered(AT, CLAIMANT, 1, document, Channel.PRIVATE_BAILIFF, salt(3)),
    ]
    return [
        {
            "kind": str(e.kind),
            "body_utf8": e.body().decode(),
            "leaf_input_sha256": hashlib.sha256(e.body()).hexdigest(),
            "private_utf8": None if e.private is None else e.private_bytes().decode(),  # type: ignore[union-attr]
            "commit": e.data.get("commit"),
        }
        for e in built if e is not None
    ]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in {"encoding": encoding(), "identifiers": identifiers(), "identity": identity(), "routing": routing(), "events": events()}.items():
        (OUT / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {OUT / name}.json")


if __name__ == "__main__":
    main()
