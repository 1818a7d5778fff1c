"""Valid input rows for tests, built from the domain's own generators."""

from __future__ import annotations

import datetime as dt
import functools

from casedraw.domain.identifiers import make_bin, make_iin

BANK_BIN = "940140000385"  # a published bank BIN with a first-pass check digit
SECOND_PASS_IIN = "850412300704"  # its check digit comes from the second weight pass


_PER_DAY = 4000  # valid IINs taken from one date of birth before moving to the next day


@functools.lru_cache(maxsize=None)
def _iins(born: dt.date) -> list[str]:
    return [x for serial in range(2 * _PER_DAY + 200) if (x := make_iin(born, serial % 2 == 1, serial))][:_PER_DAY]


def iin(n: int, born: dt.date = dt.date(1985, 4, 12)) -> str:
    """The n-th valid IIN from a date of birth on (serials with no check digit are skipped)."""
    return _iins(born + dt.timedelta(days=n // _PER_DAY))[n % _PER_DAY]


def bin_(n: int) -> str:
    found = [x for serial in range(n * 2 + 2) if (x := make_bin(dt.date(2010, 6, 1), 4, 0, serial))]
    return found[n]


def document_row(n: int = 0, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "claimant_kind": "bank", "claimant_idn": BANK_BIN, "claimant_name": "Halyk Bank",
        "debtor_idn": iin(n), "debtor_name": "Ахметов Ерлан", "doc_kind": "court_order",
        "issuing_body": "District court No. 2 of Almaty", "doc_number": f"2-{n:05d}/2026",
        "doc_date": "2026-10-01", "basis": "debtor_residence", "region": "KZ-75",
        "category": "recovery_entity", "amount_kzt": "250000.00",
    }
    row.update(changes)
    return row


def bailiff_row(n: int = 0, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "licence": f"PB-{n:05d}", "full_name": f"Bailiff {n}", "iin": iin(n, dt.date(1975, 1, 20)),
        "region": "KZ-75", "district": "Almaty, enforcement district 1", "status": "active",
        "chamber_head": "no", "allocation_share": "1", "specialisations": "", "conflicts": "",
    }
    row.update(changes)
    return row
