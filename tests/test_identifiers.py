import datetime as dt

from factories import BANK_BIN, SECOND_PASS_IIN
from hypothesis import given
from hypothesis import strategies as st

from casedraw.domain.identifiers import (
    PartyType,
    check_digit,
    make_bin,
    make_iin,
    party_type_of,
    validate_bin,
    validate_idn,
    validate_iin,
)


def reasons(errors):
    return [(e.field, e.reason) for e in errors]


def test_published_bins_are_valid():
    for number in (BANK_BIN, "971240001315"):
        assert validate_bin(number) == (number, [])
        assert party_type_of(number) is PartyType.ENTITY


def test_second_pass_weights_decide_when_first_pass_gives_ten():
    # first pass: 8+10+0+16+5+12+21+0+0+70+0 = 142 = 10 (mod 11);
    # second pass: 24+20+0+24+7+16+27+0+0+7+0 = 125 = 4 (mod 11)
    assert check_digit(SECOND_PASS_IIN[:11]) == 4
    assert validate_iin(SECOND_PASS_IIN) == (SECOND_PASS_IIN, [])


def test_number_with_no_possible_check_digit_is_invalid():
    assert check_digit("85041230073") is None
    for last in "0123456789":
        _, errors = validate_iin("85041230073" + last)
        assert reasons(errors) == [("iin", "no valid check digit exists for the first 11 digits")]


def test_wrong_check_digit_names_field_and_expected_digit():
    _, kind, errors = validate_idn("850412300705", "debtor_idn")
    assert kind is PartyType.PERSON
    assert reasons(errors) == [("debtor_idn", "check digit is 5, expected 4")]


def test_shape_errors():
    assert reasons(validate_iin("12345")[1]) == [("iin", "must be exactly 12 digits, got '12345'")]
    assert "12 digits" in validate_iin("85041230070a")[1][0].reason
    assert "12 digits" in validate_iin("８５０４１２３００７０４")[1][0].reason  # full-width digits are not ASCII


def with_check(head: str) -> str:
    digit = check_digit(head)
    assert digit is not None, head
    return head + str(digit)


def test_iin_century_digit_and_date():
    assert "7th digit (century and sex) must be 1-6, got 0" in validate_iin(with_check("85041200070"))[1][0].reason
    assert "7th digit" in validate_iin(with_check("85041270070"))[1][0].reason
    assert reasons(validate_iin("850230300007")[1]) == [("iin", "digits 1-6 (850230) are not a valid date of birth")]


def test_iin_in_the_future_is_refused_when_today_is_known():
    number = make_iin(dt.date(2030, 1, 1), False, 11) or make_iin(dt.date(2030, 1, 1), False, 12)
    assert number
    assert validate_iin(number)[1] == []
    assert "in the future" in validate_iin(number, today=dt.date(2026, 11, 27))[1][0].reason


def test_bin_type_attribute_and_month():
    assert reasons(validate_bin(with_check("94017000038"))[1]) == [("bin", "5th digit (entity type) must be 4, 5 or 6, got 7")]
    assert reasons(validate_bin(with_check("94134000038"))[1]) == [("bin", "digits 3-4 (month of registration) must be 01-12, got 13")]
    assert reasons(validate_bin(with_check("94014700038"))[1]) == [("bin", "6th digit (entity attribute) must be 0-3, got 7")]
    _, kind, errors = validate_idn(with_check("94017000038"), "claimant_idn")
    assert kind is None
    assert reasons(errors) == [("claimant_idn", "5th digit 7 is neither a day of birth (IIN) nor an entity type (BIN)")]


dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31))


@given(born=dates, female=st.booleans(), serial=st.integers(0, 9999))
def test_generated_iins_validate_and_carry_their_date(born, female, serial):
    number = make_iin(born, female, serial)
    if number is None:
        assert check_digit(f"{born:%y%m%d}{(3 if born.year < 2000 else 5) + female}{serial:04d}") is None
        return
    assert validate_iin(number) == (number, [])
    assert party_type_of(number) is PartyType.PERSON


@given(born=dates, female=st.booleans(), serial=st.integers(0, 9999), wrong=st.integers(1, 9))
def test_any_other_check_digit_is_refused(born, female, serial, wrong):
    number = make_iin(born, female, serial)
    if number is None:
        return
    altered = number[:11] + str((int(number[11]) + wrong) % 10)
    assert validate_iin(altered)[1]


@given(
    registered=st.dates(min_value=dt.date(1991, 1, 1), max_value=dt.date(2025, 12, 31)),
    type_digit=st.sampled_from([4, 5, 6]), attribute=st.integers(0, 3), serial=st.integers(0, 99999),
)
def test_generated_bins_validate(registered, type_digit, attribute, serial):
    number = make_bin(registered, type_digit, attribute, serial)
    if number is not None:
        assert validate_bin(number) == (number, [])
        assert party_type_of(number) is PartyType.ENTITY
