"""The published, versioned parameters of the draw: weights and rules."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from casedraw.domain.model import Category
from casedraw.domain.procedures import ProcedureConfig
from casedraw.domain.routing import ConfigError, RoutingConfig

ALGORITHM = "casedraw-draw/1"


@dataclass(frozen=True, slots=True)
class DrawConfig:
    """Weights by category and amount band, and the rules of the draw.

    A document's band is the number of band edges (in KZT) strictly below its
    amount; its weight is `weights[category][min(band, len - 1)]` (a category
    with one weight is flat). `guard` bounds the gap between weighted loads.
    """

    band_edges_kzt: tuple[int, ...]
    weights: Mapping[str, tuple[int, ...]]
    guard: int
    affinity: bool = True
    requires_specialisation: frozenset[str] = frozenset()
    capacity_cap: int | None = None
    algorithm: str = ALGORITHM

    def __post_init__(self) -> None:
        if list(self.band_edges_kzt) != sorted(set(self.band_edges_kzt)) or any(e <= 0 for e in self.band_edges_kzt):
            raise ConfigError("draw.band_edges_kzt: must be positive and strictly increasing")
        missing = [c.value for c in Category if c.value not in self.weights]
        if missing:
            raise ConfigError(f"draw.weights: no weights for {', '.join(missing)}")
        for category, values in self.weights.items():
            if not values or len(values) > len(self.band_edges_kzt) + 1 or any(v < 1 for v in values):
                raise ConfigError(f"draw.weights.{category}: 1 to {len(self.band_edges_kzt) + 1} positive integers")
        if self.guard < max(max(v) for v in self.weights.values()):
            raise ConfigError("draw.guard: must be at least the largest weight")
        if self.capacity_cap is not None and self.capacity_cap < 1:
            raise ConfigError("draw.capacity_cap: must be positive or null")
        if self.algorithm != ALGORITHM:
            raise ConfigError(f"draw.algorithm: this casedraw implements {ALGORITHM}, not {self.algorithm}")

    def band(self, amount_tiyn: int) -> int:
        return sum(1 for edge in self.band_edges_kzt if amount_tiyn > edge * 100)

    def weight(self, category: str, band: int) -> int:
        values = self.weights[category]
        return values[min(band, len(values) - 1)]

    @property
    def max_weight(self) -> int:
        return max(max(v) for v in self.weights.values())

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> DrawConfig:
        cap = data.get("capacity_cap")
        return cls(
            band_edges_kzt=tuple(int(e) for e in data["band_edges_kzt"]),  # type: ignore[union-attr]
            weights={str(k): tuple(int(v) for v in vs) for k, vs in dict(data["weights"]).items()},  # type: ignore[arg-type]
            guard=int(data["guard"]),  # type: ignore[arg-type]
            affinity=bool(data["affinity"]),
            requires_specialisation=frozenset(str(c) for c in data["requires_specialisation"]),  # type: ignore[union-attr]
            capacity_cap=None if cap is None else int(cap),  # type: ignore[arg-type]
            algorithm=str(data["algorithm"]),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "algorithm": self.algorithm,
            "band_edges_kzt": list(self.band_edges_kzt),
            "weights": {k: list(v) for k, v in sorted(self.weights.items())},
            "guard": self.guard,
            "affinity": self.affinity,
            "requires_specialisation": sorted(self.requires_specialisation),
            "capacity_cap": self.capacity_cap,
        }


def default_config() -> DrawConfig:
    """The published default (version 1), from the package's config.json."""
    raw = json.loads(resources.files("casedraw.data").joinpath("config.json").read_text("utf-8"))
    return DrawConfig.from_json(raw["draw"])


def unit_config(guard: int = 3) -> DrawConfig:
    """Every document weighs 1: counts are balanced, not value."""
    return DrawConfig(band_edges_kzt=(), weights={c.value: (1,) for c in Category}, guard=guard)


# Every configuration the log versions, by name, with the parser that checks a value.
CONFIGURATIONS = {"routing": RoutingConfig.from_json, "draw": DrawConfig.from_json, "procedures": ProcedureConfig.from_json}
