import datetime as dt
from decimal import Decimal

import pytest
from factories import BANK_BIN, bailiff_row, bin_, document_row, iin
from hypothesis import given
from hypothesis import strategies as st

from casedraw.domain.model import Category, Document, parse_bailiff, parse_document

TODAY = dt.date(2026, 11, 27)


def errors_of(result):
    assert isinstance(result, list), result
    return {(e.field, e.reason) for e in result}


def test_valid_row_becomes_a_document():
    doc = parse_document(document_row(), TODAY)
    assert isinstance(doc, Document)
    assert doc.amount_tiyn == 25_000_000
    assert doc.claimant.idn == BANK_BIN and doc.region == "KZ-75"


@pytest.mark.parametrize(
    ("changes", "field", "reason_part"),
    [
        ({"debtor_idn": iin(0)[:11] + str((int(iin(0)[11]) + 1) % 10)}, "debtor_idn", "check digit is"),
        ({"region": "KZ-99"}, "region", "unknown region 'KZ-99'"),
        ({"amount_kzt": "-5"}, "amount_kzt", "must not be negative"),
        ({"amount_kzt": "12.345"}, "amount_kzt", "more than 2 decimal places"),
        ({"amount_kzt": "ten"}, "amount_kzt", "'ten' is not a number"),
        ({"amount_kzt": "NaN"}, "amount_kzt", "not a finite number"),
        ({"amount_kzt": "0"}, "amount_kzt", "must be positive for category recovery_entity"),
        ({"doc_date": "2026-13-01"}, "doc_date", "not a date in YYYY-MM-DD form"),
        ({"doc_date": "2026-11-28"}, "doc_date", "after the registration date 2026-11-27"),
        ({"category": "parking"}, "category", "'parking' is not one of: alimony, recovery_person"),
        ({"claimant_kind": "individual"}, "claimant_idn", "a claimant of kind individual is identified by an IIN"),
        ({"basis": "registered_location"}, "basis", "registered_location does not apply to a debtor that is a person"),
        ({"debtor_idn": BANK_BIN}, "debtor_idn", "is the same as claimant_idn"),
        ({"doc_number": ""}, "doc_number", "is required"),
        ({"issuing_body": "x" * 201}, "issuing_body", "is longer than 200 characters"),
        ({"category": "non_property", "amount_kzt": "100"}, "amount_kzt", "must be empty or 0 for a non-property document"),
    ],
)
def test_each_bad_field_is_named_with_its_reason(changes, field, reason_part):
    found = errors_of(parse_document(document_row(**changes), TODAY))
    assert any(f == field and reason_part in r for f, r in found), found


def test_all_errors_of_a_row_are_reported_together():
    found = errors_of(parse_document(document_row(region="Mars", amount_kzt="-1", doc_kind="fax"), TODAY))
    assert {f for f, _ in found} == {"region", "amount_kzt", "doc_kind"}


def test_region_accepts_names_in_three_languages():
    for name in ("Almaty", "город Алматы", "Алматы қаласы", "kz-75"):
        doc = parse_document(document_row(region=name), TODAY)
        assert isinstance(doc, Document) and doc.region == "KZ-75", name


def test_entity_debtor_takes_entity_bases():
    doc = parse_document(document_row(debtor_idn=bin_(1), basis="registered_location"), TODAY)
    assert isinstance(doc, Document)


def test_identity_ignores_case_and_spacing_of_number_and_court():
    a = parse_document(document_row(doc_number="2-00001/2026", issuing_body="District court No. 2 of Almaty"), TODAY)
    b = parse_document(document_row(doc_number=" 2-00001/ 2026 ", issuing_body="district  COURT no. 2 of almaty"), TODAY)
    c = parse_document(document_row(doc_number="2-00002/2026"), TODAY)
    assert isinstance(a, Document) and isinstance(b, Document) and isinstance(c, Document)
    assert a.identity() == b.identity() != c.identity()


@given(st.decimals(min_value=Decimal("0.01"), max_value=10**9, places=2))
def test_amounts_are_exact_in_tiyn(amount):
    doc = parse_document(document_row(amount_kzt=str(amount)), TODAY)
    assert isinstance(doc, Document)
    assert doc.amount_tiyn == int(amount * 100)


def test_bailiff_row_parses_share_and_lists():
    b = parse_bailiff(bailiff_row(allocation_share="0.5", specialisations="alimony; non_property", conflicts=BANK_BIN))
    assert not isinstance(b, list)
    assert b.share_milli == 500 and b.specialisations == ("alimony", "non_property") and b.conflicts == (BANK_BIN,)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"allocation_share": "0"}, "allocation_share"),
        ({"allocation_share": "0.0001"}, "allocation_share"),
        ({"status": "retired"}, "status"),
        ({"specialisations": "tax"}, "specialisations"),
        ({"conflicts": "123"}, "conflicts"),
        ({"chamber_head": "maybe"}, "chamber_head"),
        ({"iin": BANK_BIN}, "iin"),
        ({"licence": "ЧСИ-0001"}, "licence"),  # a public key in round.drawn: canonical keys are ASCII
        ({"licence": "PB 1"}, "licence"),
    ],
)
def test_bad_bailiff_fields_are_named(changes, field):
    assert field in {f for f, _ in errors_of(parse_bailiff(bailiff_row(**changes)))}


def test_every_category_is_known():
    assert {c.value for c in Category} == {"alimony", "recovery_person", "recovery_entity", "state_claim", "non_property"}
