"""The 20 first-level divisions of Kazakhstan and their regional chambers.

One regional chamber of private bailiffs exists per division (17 regions and
the three cities of republican significance). Codes are ISO 3166-2:KZ.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True, slots=True)
class Region:
    iso: str
    kind: str  # "region" or "city"
    name_en: str
    name_ru: str
    name_kk: str
    centre: str
    population_k: int  # approximate; for shaping synthetic data only

    @property
    def chamber(self) -> str:
        """Identifier of the region's chamber of private bailiffs."""
        return f"chamber:{self.iso}"

    def name(self, lang: str = "en") -> str:
        return {"en": self.name_en, "ru": self.name_ru, "kk": self.name_kk}[lang]


def _load() -> dict[str, Region]:
    raw = json.loads(resources.files("casedraw.data").joinpath("regions.json").read_text("utf-8"))
    regions = [
        Region(r["iso"], r["kind"], r["en"], r["ru"], r["kk"], r["centre"], r["population_k"])
        for r in raw["regions"]
    ]
    return {r.iso: r for r in sorted(regions, key=lambda r: r.iso)}


REGIONS: dict[str, Region] = _load()


def parse_region(value: str) -> str | None:
    """Return the ISO code for a code or an English/Russian/Kazakh name, else None."""
    text = value.strip()
    if text.upper() in REGIONS:
        return text.upper()
    folded = text.casefold()
    for region in REGIONS.values():
        if folded in (region.name_en.casefold(), region.name_ru.casefold(), region.name_kk.casefold()):
            return region.iso
    return None
