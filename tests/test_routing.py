import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casedraw.domain.model import Category
from casedraw.domain.routing import Channel, ConfigError, RoutingConfig, route
from casedraw.services.setup import default_routing

DAY = dt.date(2026, 11, 27)
MRP_2026_TIYN = 4_325 * 100


def test_default_configuration_carries_mrp_2026():
    config = default_routing()
    assert config.mrp_kzt[2026] == 4_325
    assert config.rule_on(DAY).robot_below_mrp == 20


@pytest.mark.parametrize(
    ("amount_tiyn", "channel"),
    [
        (20 * MRP_2026_TIYN - 1, Channel.ROBOT_BAILIFF),  # 86,499.99 KZT
        (20 * MRP_2026_TIYN, Channel.PRIVATE_BAILIFF),  # exactly 20 MRP is not below it
        (1000 * MRP_2026_TIYN, Channel.PRIVATE_BAILIFF),  # exactly 1,000 MRP is not above it
        (1000 * MRP_2026_TIYN + 1, Channel.STATE_BAILIFF),
    ],
)
def test_state_claim_thresholds(amount_tiyn, channel):
    assert route(Category.STATE_CLAIM, amount_tiyn, DAY, default_routing()) is channel


@pytest.mark.parametrize("category", [c for c in Category if c is not Category.STATE_CLAIM])
def test_other_categories_always_go_to_private_bailiffs(category):
    for amount in (1, 20 * MRP_2026_TIYN - 1, 10**12):
        assert route(category, amount, DAY, default_routing()) is Channel.PRIVATE_BAILIFF


def test_rules_apply_from_their_date_of_effect():
    config = RoutingConfig.from_json({
        "mrp_kzt": {"2025": 3932, "2026": 4325},
        "routing": [
            {"effective_from": "2026-03-02", "robot_below_mrp": 20, "state_above_mrp": 1000},
            {"effective_from": "2026-07-01", "robot_below_mrp": 50, "state_above_mrp": 1000},
        ],
    })
    amount = 30 * MRP_2026_TIYN
    assert route(Category.STATE_CLAIM, amount, dt.date(2026, 3, 1), config) is Channel.PRIVATE_BAILIFF  # before any rule
    assert route(Category.STATE_CLAIM, amount, dt.date(2026, 6, 30), config) is Channel.PRIVATE_BAILIFF
    assert route(Category.STATE_CLAIM, amount, dt.date(2026, 7, 1), config) is Channel.ROBOT_BAILIFF


def test_mrp_of_the_registration_year_applies():
    amount = 20 * 4_000 * 100  # between 20 MRP of 2025 (78,640) and of 2026 (86,500)
    config = RoutingConfig.from_json({
        "mrp_kzt": {"2025": 3932, "2026": 4325},
        "routing": [{"effective_from": "2025-01-01", "robot_below_mrp": 20, "state_above_mrp": 1000}],
    })
    assert route(Category.STATE_CLAIM, amount, dt.date(2025, 12, 31), config) is Channel.PRIVATE_BAILIFF
    assert route(Category.STATE_CLAIM, amount, dt.date(2026, 1, 1), config) is Channel.ROBOT_BAILIFF


def test_missing_mrp_year_is_a_clear_configuration_error():
    with pytest.raises(ConfigError, match="mrp_kzt: no MRP configured for 2027"):
        route(Category.STATE_CLAIM, 100, dt.date(2027, 1, 1), default_routing())
    with pytest.raises(ConfigError, match="2027"):
        default_routing().check_covers(dt.date(2027, 1, 1))


def test_inconsistent_thresholds_are_refused():
    with pytest.raises(ConfigError, match="robot_below_mrp <= state_above_mrp"):
        RoutingConfig.from_json({"mrp_kzt": {"2026": 4325}, "routing": [{"effective_from": "2026-01-01", "robot_below_mrp": 5000, "state_above_mrp": 1000}]})


@given(st.integers(0, 10**12), st.integers(0, 10**12))
def test_channel_is_monotone_in_amount(a, b):
    order = [Channel.ROBOT_BAILIFF, Channel.PRIVATE_BAILIFF, Channel.STATE_BAILIFF]
    low, high = sorted((a, b))
    config = default_routing()
    assert order.index(route(Category.STATE_CLAIM, low, DAY, config)) <= order.index(route(Category.STATE_CLAIM, high, DAY, config))
