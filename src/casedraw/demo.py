"""A realistic national data set: every region, ~1,500 bailiffs, claimants of every kind.

Synthetic data only (Python's `random` is fine here: nothing drawn from it is
a distribution decision). Documents go through the same validation and intake
path as a claimant's file, including a few deliberately broken rows.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from casedraw.domain.identifiers import PartyType, make_bin, make_iin
from casedraw.domain.model import BASES_FOR, Category, ClaimantKind, DocumentKind
from casedraw.domain.regions import REGIONS, Region
from casedraw.ledger.events import Actor
from casedraw.services import Context, procedures
from casedraw.store import schema
from casedraw.store.repository import Store

SURNAMES = ("Ахметов", "Серикбаев", "Нурланов", "Жумабеков", "Касымов", "Абенов", "Искаков", "Бекмуратов",
            "Тулегенов", "Оспанов", "Иванов", "Ким", "Садыков", "Омаров", "Мухамеджанов", "Сейткали",
            "Есенов", "Каримов", "Байжанов", "Шаяхметов")
FIRST_NAMES = ("Ерлан", "Айгуль", "Данияр", "Асель", "Нурсултан", "Жанар", "Бауыржан", "Гульнара",
               "Алмас", "Динара", "Ринат", "Сауле", "Арман", "Мадина", "Олжас", "Светлана")
BANKS = ("Halyk Bank", "Kaspi Bank", "Bank CenterCredit", "Forte Bank", "Jusan Bank", "Freedom Bank",
         "Eurasian Bank", "Bank RBK", "Home Credit Bank", "Otbasy Bank", "Shinhan Bank Kazakhstan",
         "Nurbank", "Altyn Bank", "VTB Bank Kazakhstan", "Citibank Kazakhstan")
STATE_BODIES = ("State Revenue Department", "Social Insurance Fund", "Akimat", "Department of Justice")
N_BAILIFFS = 1_500
CATEGORY_MIX = (
    (Category.RECOVERY_ENTITY, 0.62), (Category.STATE_CLAIM, 0.16), (Category.ALIMONY, 0.08),
    (Category.RECOVERY_PERSON, 0.09), (Category.NON_PROPERTY, 0.05),
)
# median amount in KZT and spread (sigma of the log) by category
AMOUNTS = {
    Category.RECOVERY_ENTITY: (350_000, 1.3), Category.STATE_CLAIM: (150_000, 1.6),
    Category.ALIMONY: (600_000, 0.9), Category.RECOVERY_PERSON: (900_000, 1.2),
}


@dataclass(frozen=True)
class Claimant:
    kind: ClaimantKind
    idn: str
    name: str


def _person_name(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(FIRST_NAMES)}"


def _iin(rng: random.Random, oldest: int = 1950, youngest: int = 2005) -> str:
    while True:
        born = dt.date(rng.randint(oldest, youngest), 1, 1) + dt.timedelta(days=rng.randrange(365))
        if iin := make_iin(born, rng.random() < 0.5, rng.randrange(10_000)):
            return iin


def _bin(rng: random.Random, attribute: int = 0) -> str:
    while True:
        registered = dt.date(rng.randint(1995, 2024), rng.randint(1, 12), 1)
        if bin_ := make_bin(registered, 4, attribute, rng.randrange(100_000)):
            return bin_


def _weighted_regions() -> tuple[list[Region], list[int]]:
    regions = list(REGIONS.values())
    return regions, [r.population_k for r in regions]


def bailiff_rows(rng: random.Random, total: int = N_BAILIFFS) -> list[dict[str, object]]:
    regions, weights = _weighted_regions()
    population = sum(weights)
    rows: list[dict[str, object]] = []
    number = 0
    for region in regions:
        count = max(12, round(total * region.population_k / population))
        districts = max(2, math.ceil(count / 15))
        for i in range(count):
            number += 1
            share = "1.0" if rng.random() > 0.06 else rng.choice(("0.5", "0.75"))  # ramp-up after licensing
            rows.append({
                "licence": f"PB-{number:05d}",
                "full_name": _person_name(rng),
                "iin": _iin(rng, 1960, 1998),
                "region": region.iso,
                "district": f"{region.centre}, enforcement district {1 + i % districts}",
                "status": "active" if rng.random() > 0.02 else "suspended",
                "chamber_head": "yes" if i == 0 else "no",
                "allocation_share": share,
                "specialisations": "alimony" if rng.random() < 0.1 else "",
                "conflicts": "",
            })
    return rows


def _claimants(rng: random.Random) -> dict[ClaimantKind, list[Claimant]]:
    return {
        ClaimantKind.BANK: [Claimant(ClaimantKind.BANK, _bin(rng), name) for name in BANKS],
        ClaimantKind.MFO: [Claimant(ClaimantKind.MFO, _bin(rng), f"MFO Credit-{i:02d}") for i in range(1, 61)],
        ClaimantKind.COLLECTION_AGENCY: [
            Claimant(ClaimantKind.COLLECTION_AGENCY, _bin(rng), f"Collection Agency {i:02d}") for i in range(1, 26)
        ],
        ClaimantKind.STATE_BODY: [
            Claimant(ClaimantKind.STATE_BODY, _bin(rng), f"{body} of {region.centre}")
            for region in REGIONS.values() for body in STATE_BODIES
        ],
    }


def document_rows(
    rng: random.Random, count: int, today: dt.date, broken_share: float = 0.001, days: Sequence[dt.date] | None = None,
    debtor_pool: int | None = None,
) -> Iterator[dict[str, object]]:
    """`count` document rows; about `broken_share` of them carry a deliberate error. `days[i]`, if
    given, is the day row i is registered (its document was issued before it), else `today`.
    Some debtors owe several claimants: a new row reuses a debtor already seen, from the last
    `debtor_pool` (all, if None; a national year keeps its memory bounded)."""
    regions, weights = _weighted_regions()
    claimants = _claimants(rng)
    debtors: list[tuple[str, str, str]] = []  # (idn, name, home region): some debtors owe several claimants
    categories = [c for c, _ in CATEGORY_MIX]
    mix = [w for _, w in CATEGORY_MIX]
    for i in range(count):
        registered = today if days is None else days[i]
        category = rng.choices(categories, mix)[0]
        if debtors and rng.random() < 0.15:
            debtor_idn, debtor_name, region_iso = rng.choice(debtors)
        else:
            region_iso = rng.choices(regions, weights)[0].iso
            if category is not Category.ALIMONY and rng.random() < 0.08:
                debtor_idn, debtor_name = _bin(rng), f"LLP {rng.choice(SURNAMES)} Trade"
            else:
                debtor_idn, debtor_name = _iin(rng, 1960, 2004), _person_name(rng)
            if debtor_pool is None or len(debtors) < debtor_pool:
                debtors.append((debtor_idn, debtor_name, region_iso))
            else:
                debtors[rng.randrange(debtor_pool)] = (debtor_idn, debtor_name, region_iso)
        debtor_type = PartyType.ENTITY if debtor_idn[4] in "456" else PartyType.PERSON
        if category in (Category.ALIMONY, Category.RECOVERY_PERSON):
            claimant = Claimant(ClaimantKind.INDIVIDUAL, _iin(rng, 1960, 2004), _person_name(rng))
        elif category is Category.STATE_CLAIM:
            claimant = rng.choice(claimants[ClaimantKind.STATE_BODY])
        else:
            kind = rng.choices((ClaimantKind.BANK, ClaimantKind.MFO, ClaimantKind.COLLECTION_AGENCY), (5, 4, 1))[0]
            claimant = rng.choice(claimants[kind])
        if category is Category.NON_PROPERTY:
            amount = ""
        else:
            median, sigma = AMOUNTS[category]
            amount = f"{max(1000.0, rng.lognormvariate(math.log(median), sigma)):.2f}"
        doc_kind = rng.choices(list(DocumentKind), (50, 30, 18, 2))[0]
        issued = registered - dt.timedelta(days=rng.randrange(1, 720))
        row: dict[str, object] = {
            "claimant_kind": str(claimant.kind), "claimant_idn": claimant.idn, "claimant_name": claimant.name,
            "debtor_idn": debtor_idn, "debtor_name": debtor_name, "doc_kind": str(doc_kind),
            "issuing_body": "Notary of " + REGIONS[region_iso].centre if doc_kind is DocumentKind.NOTARY_INSCRIPTION
            else f"District court No. {rng.randint(1, 9)} of {REGIONS[region_iso].centre}",
            "doc_number": f"{rng.randint(1, 9999)}-{issued.year % 100:02d}-{rng.randint(1, 99999):05d}",
            "doc_date": issued.isoformat(), "basis": str(rng.choice(BASES_FOR[debtor_type])),
            "region": region_iso, "category": str(category), "amount_kzt": amount,
        }
        if rng.random() < broken_share:
            _break(rng, row)
        yield row


def _break(rng: random.Random, row: dict[str, object]) -> None:
    """Introduce one realistic data-entry error."""
    fault = rng.randrange(3)
    if fault == 0:
        idn = str(row["debtor_idn"])
        row["debtor_idn"] = idn[:11] + str((int(idn[11]) + 1) % 10)
    elif fault == 1:
        row["region"] = "KZ-99"
    else:
        row["amount_kzt"] = "-" + str(row["amount_kzt"] or "1")


def run_procedures(store: Store, today: dt.date, acting: Callable[[str, str], Context] = lambda role, ident: Context(Actor(role, ident))) -> list[str]:
    """One of each procedure around the draw, through the same services as the CLI; returns what happened.

    Commission members for every chamber; a chamber head suspends distribution to himself (para 17);
    an absence from tomorrow; a long absence from today (released before the next seal); a licence
    revocation (released at once); a paragraph 12 replacement granted; a document forwarded by its
    bailiff to the region the debtor moved to.
    """
    ministry = acting("ministry", "demo")
    said = []
    with store.read() as conn:
        b, d = schema.bailiffs, schema.documents
        roster = list(conn.execute(select(b.c.licence, b.c.region, b.c.chamber_head).where(b.c.status == "active").order_by(b.c.licence)))
        assigned = list(conn.execute(select(d.c.id, d.c.claimant_idn, d.c.assigned_to, d.c.region).where(d.c.status == "assigned").order_by(d.c.id).limit(50)))
    by_region: dict[str, list[str]] = {}
    for row in roster:
        by_region.setdefault(row.region, []).append(row.licence)
    for iso in sorted(by_region):
        procedures.set_member(store, ministry, iso, f"commission-{iso.lower()}", "commission")
    said.append(f"procedures: disciplinary commission members appointed in {len(by_region)} regions")

    head = next(r.licence for r in roster if r.chamber_head)
    procedures.set_self_suspension(store, acting("chamber_head", head), head, True, "Administrative duties of the chamber")
    said.append(f"para 17: chamber head {head} suspended distribution to himself")

    busy = [r for r in assigned if r.assigned_to not in (head,)]
    holders = sorted({r.assigned_to for r in busy})
    on_leave, long_absent, revoked = holders[0], holders[1], holders[2]
    procedures.record_absence(store, acting("bailiff", on_leave), on_leave, today + dt.timedelta(days=1), today + dt.timedelta(days=14), "leave")
    procedures.record_absence(store, acting("bailiff", long_absent), long_absent, today, today + dt.timedelta(days=60), "illness")
    said.append(f"absences: {on_leave} on leave from tomorrow for 14 days; {long_absent} ill for 61 days from today (portfolio redistributed at the next round)")
    released = procedures.licence_action(store, ministry, revoked, "revoked", "Demo order 1", note="Licence revoked by court decision")
    said.append(f"licence: {revoked} revoked; {len(released.documents) if released else 0:,} open proceedings released for redistribution")

    target = next(r for r in busy if r.assigned_to not in (on_leave, long_absent, revoked))
    claimant = acting("claimant", "demo-bank")
    filed = procedures.file_application(store, claimant, target.id, target.claimant_idn, "inaction", "No enforcement action", ["Demo decision 1"])
    member = acting("commission", f"commission-{target.region.lower()}")
    procedures.decide_application(store, member, filed.application, "granted", "Demo commission decision 1", "Inaction confirmed")
    said.append(f"para 12: application {filed.application} for document {target.id} granted (deadline was {filed.deadline}); redrawn without {target.assigned_to}")

    moving = next(r for r in busy if r.id != target.id and r.assigned_to not in (on_leave, long_absent, revoked))
    to_region = "KZ-71" if moving.region != "KZ-71" else "KZ-75"
    procedures.forward_document(store, acting("bailiff", moving.assigned_to), moving.id, to_region, "debtor_residence", "The debtor moved")
    said.append(f"territoriality: document {moving.id} forwarded by {moving.assigned_to} from {moving.region} to {to_region}")
    return said
