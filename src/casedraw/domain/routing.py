"""Which channel enforces a document: a private bailiff, the robot bailiff or a state bailiff.

State claims below `robot_below_mrp` MRP go to the automated robot-bailiff
channel; state claims above `state_above_mrp` MRP stay with state bailiffs;
everything else is distributed among private bailiffs. The MRP of the year of
registration applies. Rules and MRP values are dated data, not code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from casedraw.domain.model import Category


class Channel(StrEnum):
    PRIVATE_BAILIFF = "pb"
    ROBOT_BAILIFF = "robot"
    STATE_BAILIFF = "state"


class ConfigError(ValueError):
    """The configuration cannot decide a case; names the missing setting."""


@dataclass(frozen=True, slots=True)
class RoutingRule:
    effective_from: dt.date
    robot_below_mrp: int
    state_above_mrp: int


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    mrp_kzt: Mapping[int, int]
    rules: tuple[RoutingRule, ...]  # sorted by effective_from

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> RoutingConfig:
        mrp = {int(year): int(value) for year, value in dict(data["mrp_kzt"]).items()}  # type: ignore[arg-type]
        rules = tuple(
            sorted(
                (
                    RoutingRule(dt.date.fromisoformat(r["effective_from"]), int(r["robot_below_mrp"]), int(r["state_above_mrp"]))
                    for r in data["routing"]  # type: ignore[union-attr]
                ),
                key=lambda r: r.effective_from,
            )
        )
        for year, value in mrp.items():
            if value <= 0:
                raise ConfigError(f"mrp_kzt.{year}: must be positive, got {value}")
        for rule in rules:
            if not 0 <= rule.robot_below_mrp <= rule.state_above_mrp:
                raise ConfigError(f"routing.{rule.effective_from}: need 0 <= robot_below_mrp <= state_above_mrp")
        return cls(mrp, rules)

    def to_json(self) -> dict[str, object]:
        return {
            "mrp_kzt": {str(year): value for year, value in sorted(self.mrp_kzt.items())},
            "routing": [
                {"effective_from": r.effective_from.isoformat(), "robot_below_mrp": r.robot_below_mrp, "state_above_mrp": r.state_above_mrp}
                for r in self.rules
            ],
        }

    def rule_on(self, day: dt.date) -> RoutingRule | None:
        current = None
        for rule in self.rules:
            if rule.effective_from <= day:
                current = rule
        return current

    def check_covers(self, day: dt.date) -> None:
        """Raise ConfigError unless documents registered on `day` can be routed."""
        if day.year not in self.mrp_kzt:
            raise ConfigError(f"mrp_kzt: no MRP configured for {day.year}")


def route(category: Category, amount_tiyn: int, registered_on: dt.date, config: RoutingConfig) -> Channel:
    """The channel for a document registered on `registered_on`."""
    rule = config.rule_on(registered_on)
    if rule is None or category is not Category.STATE_CLAIM:
        return Channel.PRIVATE_BAILIFF
    mrp = config.mrp_kzt.get(registered_on.year)
    if mrp is None:
        raise ConfigError(f"mrp_kzt: no MRP configured for {registered_on.year}")
    mrp_tiyn = mrp * 100
    if amount_tiyn < rule.robot_below_mrp * mrp_tiyn:
        return Channel.ROBOT_BAILIFF
    if amount_tiyn > rule.state_above_mrp * mrp_tiyn:
        return Channel.STATE_BAILIFF
    return Channel.PRIVATE_BAILIFF
