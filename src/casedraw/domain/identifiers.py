"""Kazakhstan's 12-digit identification numbers: IIN (persons) and BIN (entities).

Check digit (both kinds): weights 1..11 over digits 1-11, sum mod 11. If that
gives 10, a second pass uses weights 3,4,5,6,7,8,9,10,11,1,2; if it gives 10
again the number cannot be valid. Otherwise digit 12 must equal the result.

IIN = YYMMDD + century/sex digit (1-6) + 4-digit serial + check digit.
BIN = YYMM + type digit (4 resident, 5 non-resident, 6 joint individual
entrepreneurship) + attribute digit (0 head office, 1 branch,
2 representative office, 3 peasant farm) + 5-digit serial + check digit.

The fifth digit tells the kinds apart: for an IIN it is the tens of the day
of birth (0-3), for a BIN it is the type (4-6).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from operator import mul

from casedraw.domain.errors import FieldError

_FIRST_WEIGHTS = tuple(range(1, 12))
_SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
_CENTURY = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}
BIN_TYPES = {"4": "resident", "5": "non-resident", "6": "joint individual entrepreneurship"}
BIN_ATTRIBUTES = {"0": "head office", "1": "branch", "2": "representative office", "3": "peasant farm"}


class PartyType(StrEnum):
    PERSON = "person"  # identified by IIN
    ENTITY = "entity"  # identified by BIN


def check_digit(first_eleven: str) -> int | None:
    """The check digit for 11 leading digits, or None when none exists."""
    codes = first_eleven.encode()
    if len(codes) != 11 or not codes.isdigit():
        raise ValueError(f"need 11 digits, got {first_eleven!r}")
    for weights in (_FIRST_WEIGHTS, _SECOND_WEIGHTS):
        # Summed over ASCII codes (twice as fast as converting digits): each code is its digit
        # plus 48, and both weight sets sum to 66.
        remainder = (sum(map(mul, codes, weights)) - 48 * 66) % 11
        if remainder != 10:
            return remainder
    return None


def _shape_and_check(value: str, field: str) -> tuple[str, list[FieldError]]:
    text = value.strip()
    if len(text) != 12 or not text.isascii() or not text.isdigit():
        return text, [FieldError(field, f"must be exactly 12 digits, got {value!r}")]
    expected = check_digit(text[:11])
    if expected is None:
        return text, [FieldError(field, "no valid check digit exists for the first 11 digits")]
    if int(text[11]) != expected:
        return text, [FieldError(field, f"check digit is {text[11]}, expected {expected}")]
    return text, []


def iin_birth_date(iin: str) -> dt.date | None:
    century = _CENTURY.get(int(iin[6]))
    if century is None:
        return None
    try:
        return dt.date(century + int(iin[0:2]), int(iin[2:4]), int(iin[4:6]))
    except ValueError:
        return None


def validate_iin(value: str, field: str = "iin", today: dt.date | None = None) -> tuple[str, list[FieldError]]:
    """Normalise and check an IIN; returns (iin, errors)."""
    iin, errors = _shape_and_check(value, field)
    if errors:
        return iin, errors
    if int(iin[6]) not in _CENTURY:
        return iin, [FieldError(field, f"7th digit (century and sex) must be 1-6, got {iin[6]}")]
    born = iin_birth_date(iin)
    if born is None:
        return iin, [FieldError(field, f"digits 1-6 ({iin[:6]}) are not a valid date of birth")]
    if today is not None and born > today:
        return iin, [FieldError(field, f"date of birth {born.isoformat()} is in the future")]
    return iin, []


def validate_bin(value: str, field: str = "bin") -> tuple[str, list[FieldError]]:
    """Normalise and check a BIN; returns (bin, errors)."""
    bin_, errors = _shape_and_check(value, field)
    if errors:
        return bin_, errors
    if not 1 <= int(bin_[2:4]) <= 12:
        return bin_, [FieldError(field, f"digits 3-4 (month of registration) must be 01-12, got {bin_[2:4]}")]
    if bin_[4] not in BIN_TYPES:
        return bin_, [FieldError(field, f"5th digit (entity type) must be 4, 5 or 6, got {bin_[4]}")]
    if bin_[5] not in BIN_ATTRIBUTES:
        return bin_, [FieldError(field, f"6th digit (entity attribute) must be 0-3, got {bin_[5]}")]
    return bin_, []


def party_type_of(value: str) -> PartyType | None:
    """Whether a 12-digit number is shaped as an IIN or a BIN, by its 5th digit."""
    text = value.strip()
    if len(text) != 12 or not text.isdigit():
        return None
    if text[4] in "0123":
        return PartyType.PERSON
    if text[4] in BIN_TYPES:
        return PartyType.ENTITY
    return None


def validate_idn(value: str, field: str, today: dt.date | None = None) -> tuple[str, PartyType | None, list[FieldError]]:
    """Check a number that may be an IIN or a BIN; returns (number, type, errors)."""
    kind = party_type_of(value)
    if kind is PartyType.PERSON:
        number, errors = validate_iin(value, field, today)
        return number, kind, errors
    if kind is PartyType.ENTITY:
        number, errors = validate_bin(value, field)
        return number, kind, errors
    number, errors = _shape_and_check(value, field)
    if errors:
        return number, None, errors
    return number, None, [FieldError(field, f"5th digit {number[4]} is neither a day of birth (IIN) nor an entity type (BIN)")]


def make_iin(born: dt.date, female: bool, serial: int) -> str | None:
    """Build a valid IIN, or None when this serial admits no check digit."""
    century_digit = {1800: 1, 1900: 3, 2000: 5}[born.year // 100 * 100] + int(female)
    head = f"{born:%y%m%d}{century_digit}{serial:04d}"
    check = check_digit(head)
    return None if check is None else head + str(check)


def make_bin(registered: dt.date, type_digit: int, attribute: int, serial: int) -> str | None:
    """Build a valid BIN, or None when this serial admits no check digit."""
    head = f"{registered:%y%m}{type_digit}{attribute}{serial:05d}"
    check = check_digit(head)
    return None if check is None else head + str(check)
