"""Domain records: bailiffs, parties and enforcement documents, with their parsers.

Parsers take a row of text fields (as read from CSV, XLSX or JSON) and return
either a record or the list of every field error found in the row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache
from typing import TypeVar

from casedraw.domain.errors import FieldError
from casedraw.domain.identifiers import PartyType, validate_idn, validate_iin
from casedraw.domain.regions import parse_region
from casedraw.ledger import canonical


class ClaimantKind(StrEnum):
    BANK = "bank"
    MFO = "mfo"  # microfinance organisation
    COLLECTION_AGENCY = "collection_agency"
    INDIVIDUAL = "individual"
    STATE_BODY = "state_body"


class DocumentKind(StrEnum):
    WRIT_OF_EXECUTION = "writ_of_execution"  # исполнительный лист
    COURT_ORDER = "court_order"  # судебный приказ
    NOTARY_INSCRIPTION = "notary_inscription"  # исполнительная надпись нотариуса
    OTHER = "other"


class Category(StrEnum):
    ALIMONY = "alimony"
    RECOVERY_PERSON = "recovery_person"  # recovery in favour of a person
    RECOVERY_ENTITY = "recovery_entity"  # recovery in favour of an entity
    STATE_CLAIM = "state_claim"
    NON_PROPERTY = "non_property"  # eviction, restoration at work, ...


class Basis(StrEnum):
    """Territoriality: what ties the enforcement to a region."""

    DEBTOR_REGISTRATION = "debtor_registration"
    DEBTOR_RESIDENCE = "debtor_residence"
    DEBTOR_WORK = "debtor_work"
    REGISTERED_LOCATION = "registered_location"
    ACTUAL_LOCATION = "actual_location"
    PROPERTY_LOCATION = "property_location"


BASES_FOR = {
    PartyType.PERSON: (Basis.DEBTOR_REGISTRATION, Basis.DEBTOR_RESIDENCE, Basis.DEBTOR_WORK, Basis.PROPERTY_LOCATION),
    PartyType.ENTITY: (Basis.REGISTERED_LOCATION, Basis.ACTUAL_LOCATION, Basis.PROPERTY_LOCATION),
}


class LicenceStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"
    REVOKED = "revoked"
    EXPELLED = "expelled"  # from the Republican Chamber


MAX_AMOUNT_KZT = Decimal(10) ** 13  # keeps tiyn amounts well inside 2**53
MAX_TEXT = 200
MAX_SHARE = Decimal(10)
LICENCE_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9./-]*")


@dataclass(frozen=True, slots=True)
class Party:
    idn: str  # IIN or BIN
    type: PartyType
    name: str


@dataclass(frozen=True, slots=True)
class Document:
    claimant: Party
    claimant_kind: ClaimantKind
    debtor: Party
    kind: DocumentKind
    issuing_body: str
    number: str
    date: dt.date
    basis: Basis
    region: str  # ISO 3166-2:KZ of the region the basis points to
    category: Category
    amount_tiyn: int  # 1 KZT = 100 tiyn
    external_ref: str = ""  # the claimant's own reference, if any
    lodged_with: str = ""  # the chamber it was lodged with, when not the region's: forwarded by territoriality

    def identity(self) -> str:
        return document_identity(self.issuing_body, self.number, self.date.isoformat(), self.debtor.idn, self.claimant.idn)


def document_identity(issuing_body: str, number: str, date: str, debtor: str, claimant: str) -> str:
    """What makes two submissions the same document: SHA-256 of the normalised
    issuing body (case-folded, spaces collapsed), number (upper case, no spaces),
    date, debtor and claimant. Kept private: it is a hash of personal data."""
    fields = {
        "issuing_body": " ".join(issuing_body.casefold().split()),
        "number": "".join(number.upper().split()),
        "date": date,
        "debtor": debtor,
        "claimant": claimant,
    }
    return hashlib.sha256(canonical.encode_trusted(fields)).hexdigest()  # literal keys, string values


@dataclass(frozen=True, slots=True)
class Bailiff:
    licence: str  # public identifier of the private bailiff
    full_name: str
    iin: str
    region: str
    district: str
    status: LicenceStatus
    chamber_head: bool = False
    share_milli: int = 1000  # allocation share in thousandths; 1000 = 1.0
    specialisations: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = field(default=())  # IIN/BIN of declared links


DOCUMENT_COLUMNS = (
    "claimant_kind", "claimant_idn", "claimant_name", "debtor_idn", "debtor_name",
    "doc_kind", "issuing_body", "doc_number", "doc_date", "basis", "region", "category",
    "amount_kzt",
)
OPTIONAL_DOCUMENT_COLUMNS = ("external_ref", "lodged_with")
BAILIFF_COLUMNS = ("licence", "full_name", "iin", "region", "district", "status")
OPTIONAL_BAILIFF_COLUMNS = ("chamber_head", "allocation_share", "specialisations", "conflicts")


E = TypeVar("E", bound=StrEnum)


@lru_cache(maxsize=None)
def _members(enum: type[E]) -> dict[str, E]:
    """An enumeration's members by value: looked up without the exception a failed enum(value) raises,
    and a third of the cost of a successful one."""
    return {e.value: e for e in enum}


class _Row:
    """Reads text fields from one input row, collecting every error found."""

    def __init__(self, row: Mapping[str, object]):
        self.row = row
        self.errors: list[FieldError] = []

    def text(self, name: str, *, required: bool = True, max_len: int = MAX_TEXT) -> str:
        value = self.row.get(name)
        text = "" if value is None else str(value).strip()
        if not text and required:
            self.errors.append(FieldError(name, "is required"))
        elif len(text) > max_len:
            self.errors.append(FieldError(name, f"is longer than {max_len} characters"))
        return text

    def choice(self, name: str, enum: type[E]) -> E | None:
        text = self.text(name)
        if not text:
            return None
        member = _members(enum).get(text.lower())
        if member is None:
            allowed = ", ".join(e.value for e in enum)
            self.errors.append(FieldError(name, f"{text!r} is not one of: {allowed}"))
        return member

    def region(self, name: str, required: bool = True) -> str:
        text = self.text(name, required=required)
        if not text:
            return ""
        iso = parse_region(text)
        if iso is None:
            self.errors.append(FieldError(name, f"unknown region {text!r} (use an ISO 3166-2:KZ code such as KZ-75)"))
            return ""
        return iso

    def date(self, name: str) -> dt.date | None:
        value = self.row.get(name)
        if isinstance(value, dt.datetime):  # XLSX cells arrive typed
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = self.text(name)
        if not text:
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            self.errors.append(FieldError(name, f"{text!r} is not a date in YYYY-MM-DD form"))
            return None

    def decimal(self, name: str, *, places: int, required: bool = True) -> Decimal | None:
        text = self.text(name, required=required).replace(" ", "").replace("\u00a0", "")
        if not text:
            return None
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            self.errors.append(FieldError(name, f"{text!r} is not a number"))
            return None
        if not number.is_finite():
            self.errors.append(FieldError(name, f"{text!r} is not a finite number"))
            return None
        if number != number.quantize(Decimal(1).scaleb(-places)):
            self.errors.append(FieldError(name, f"{text!r} has more than {places} decimal places"))
            return None
        return number

    def flag(self, name: str) -> bool:
        text = self.text(name, required=False).lower()
        if text in ("", "0", "false", "no", "n"):
            return False
        if text in ("1", "true", "yes", "y"):
            return True
        self.errors.append(FieldError(name, f"{text!r} is not yes/no"))
        return False

    def items(self, name: str) -> tuple[str, ...]:
        text = self.text(name, required=False, max_len=10_000)
        return tuple(sorted({item.strip() for item in re.split(r"[;,]", text) if item.strip()}))


@lru_cache(maxsize=1024)
def _claimant_idn(text: str, today: dt.date) -> tuple[str, PartyType | None, tuple[FieldError, ...]]:
    """validate_idn of a claimant's number, remembered: a bank's file names the same claimant on every row."""
    number, kind, errors = validate_idn(text, "claimant_idn", today)
    return number, kind, tuple(errors)


def parse_document(row: Mapping[str, object], today: dt.date) -> Document | list[FieldError]:
    """Validate one submitted document row; `today` is the registration date."""
    r = _Row(row)
    claimant_kind = r.choice("claimant_kind", ClaimantKind)
    claimant_idn, claimant_type, errors = _claimant_idn(r.text("claimant_idn"), today)
    r.errors += errors if claimant_idn else ()
    claimant_name = r.text("claimant_name")
    debtor_idn, debtor_type, errors = validate_idn(r.text("debtor_idn"), "debtor_idn", today)
    r.errors += errors if debtor_idn else []
    debtor_name = r.text("debtor_name")
    kind = r.choice("doc_kind", DocumentKind)
    issuing_body = r.text("issuing_body")
    number = r.text("doc_number", max_len=64)
    date = r.date("doc_date")
    basis = r.choice("basis", Basis)
    region = r.region("region")
    category = r.choice("category", Category)
    amount = r.decimal("amount_kzt", places=2, required=category is not Category.NON_PROPERTY)
    external_ref = r.text("external_ref", required=False, max_len=64)
    lodged_with = r.region("lodged_with", required=False)

    if claimant_kind and claimant_type:
        wanted = PartyType.PERSON if claimant_kind is ClaimantKind.INDIVIDUAL else PartyType.ENTITY
        if claimant_type is not wanted:
            shape = "an IIN" if wanted is PartyType.PERSON else "a BIN"
            r.errors.append(FieldError("claimant_idn", f"a claimant of kind {claimant_kind} is identified by {shape}"))
    if debtor_type and basis and basis not in BASES_FOR[debtor_type]:
        allowed = ", ".join(BASES_FOR[debtor_type])
        r.errors.append(FieldError("basis", f"{basis} does not apply to a debtor that is a {debtor_type}; use one of: {allowed}"))
    if date and date > today:
        r.errors.append(FieldError("doc_date", f"{date.isoformat()} is after the registration date {today.isoformat()}"))
    if date and date.year < 1991:
        r.errors.append(FieldError("doc_date", f"{date.isoformat()} is before 1991"))
    if amount is not None:
        if amount < 0:
            r.errors.append(FieldError("amount_kzt", f"must not be negative, got {amount}"))
        elif amount >= MAX_AMOUNT_KZT:
            r.errors.append(FieldError("amount_kzt", f"must be below {MAX_AMOUNT_KZT:,} KZT"))
        elif amount == 0 and category is not Category.NON_PROPERTY:  # a recovery needs the sum it recovers
            r.errors.append(FieldError("amount_kzt", f"must be positive for category {category}"))
        elif amount > 0 and category is Category.NON_PROPERTY:
            r.errors.append(FieldError("amount_kzt", "must be empty or 0 for a non-property document"))
    if claimant_idn and claimant_idn == debtor_idn:
        r.errors.append(FieldError("debtor_idn", "is the same as claimant_idn"))

    if r.errors:
        return r.errors
    assert claimant_kind and claimant_type and debtor_type and kind and date and basis and category
    return Document(
        claimant=Party(claimant_idn, claimant_type, claimant_name),
        claimant_kind=claimant_kind,
        debtor=Party(debtor_idn, debtor_type, debtor_name),
        kind=kind,
        issuing_body=issuing_body,
        number=number,
        date=date,
        basis=basis,
        region=region,
        category=category,
        amount_tiyn=int((amount or Decimal(0)) * 100),
        external_ref=external_ref,
        lodged_with=lodged_with if lodged_with != region else "",
    )


def parse_bailiff(row: Mapping[str, object]) -> Bailiff | list[FieldError]:
    """Validate one row of the bailiff registry."""
    r = _Row(row)
    licence = r.text("licence", max_len=32)
    full_name = r.text("full_name")
    iin, errors = validate_iin(r.text("iin"), "iin")
    r.errors += errors if iin else []
    region = r.region("region")
    district = r.text("district")
    status = r.choice("status", LicenceStatus)
    chamber_head = r.flag("chamber_head")
    share = r.decimal("allocation_share", places=3, required=False)
    specialisations = r.items("specialisations")
    conflicts = r.items("conflicts")

    if licence and not LICENCE_SHAPE.fullmatch(licence):
        r.errors.append(FieldError("licence", f"{licence!r} must be Latin letters, digits and - / . only (it is a public identifier in the log)"))
    if share is not None and not Decimal(0) < share <= MAX_SHARE:
        r.errors.append(FieldError("allocation_share", f"must be above 0 and at most {MAX_SHARE}, got {share}"))
    unknown = [s for s in specialisations if s not in Category.__members__.values()]
    if unknown:
        allowed = ", ".join(c.value for c in Category)
        r.errors.append(FieldError("specialisations", f"unknown categories {', '.join(unknown)}; use: {allowed}"))
    for link in conflicts:
        r.errors += validate_idn(link, "conflicts")[2]
    if r.errors:
        return r.errors
    assert status
    return Bailiff(
        licence=licence,
        full_name=full_name,
        iin=iin,
        region=region,
        district=district,
        status=status,
        chamber_head=chamber_head,
        share_milli=int((share if share is not None else Decimal(1)) * 1000),
        specialisations=specialisations,
        conflicts=conflicts,
    )
