"""Routing rules: first match wins, split rules take their lines, the default takes the rest."""

from __future__ import annotations

import pytest

from crossdock.core.configuration.config import RoutingConfig
from crossdock.core.routing import Unroutable, route
from tests.hub.edi import order


def rules(*items: dict, default: str | None = "default") -> RoutingConfig:  # type: ignore[type-arg]
    return RoutingConfig.model_validate({"rules": list(items), "default": default})


def test_first_matching_rule_takes_the_whole_order() -> None:
    config = rules({"match": {"state": ["CA"]}, "to": "west"}, {"match": {"country": ["US"]}, "to": "us"})
    (a,) = route(order("1", state="CA", skus=("A", "B")), config)
    assert (a.sink, a.positions, a.split) == ("west", (1, 2), False)
    assert route(order("2", state="TX"), config)[0].sink == "us"


def test_the_default_takes_what_no_rule_matches_and_without_one_the_order_is_unroutable() -> None:
    assert route(order("1", state="NY"), rules({"match": {"state": ["CA"]}, "to": "west"}))[0].sink == "default"
    with pytest.raises(Unroutable):
        route(order("1", state="NY"), rules({"match": {"state": ["CA"]}, "to": "west"}, default=None))


def test_split_rules_take_their_lines_and_the_rest_route_on() -> None:
    config = rules(
        {"match": {"sku": ["KTL-*"]}, "to": "kettles", "split": True},
        {"match": {"sku": ["PAN-*"]}, "to": "pans", "split": True},
        {"match": {"state": ["CA"]}, "to": "west"},
    )
    got = {a.sink: a.positions for a in route(order("1", skus=("MUG", "KTL-1", "PAN-2", "KTL-3")), config)}
    assert got == {"kettles": (2, 4), "pans": (3,), "west": (1,)}


def test_an_order_a_split_rule_takes_entirely_is_not_marked_split() -> None:
    config = rules({"match": {"sku": ["KTL-*"]}, "to": "kettles", "split": True})
    (a,) = route(order("1", skus=("KTL-1", "KTL-2")), config)
    assert (a.sink, a.split) == ("kettles", False)


def test_two_rules_to_one_destination_make_one_assignment() -> None:
    config = rules(
        {"match": {"sku": ["KTL-*"]}, "to": "east", "split": True},
        {"match": {}, "to": "east"},
    )
    (a,) = route(order("1", skus=("MUG", "KTL-1")), config)
    assert (a.sink, a.positions, a.split) == ("east", (1, 2), False)


def test_a_sku_rule_without_split_takes_the_whole_order_when_any_line_matches() -> None:
    config = rules({"match": {"sku": ["KTL-*"]}, "to": "kettles"})
    assert route(order("1", skus=("MUG", "KTL-1")), config)[0].positions == (1, 2)
    assert route(order("2", skus=("MUG",)), config)[0].sink == "default"


@pytest.mark.parametrize(
    ("match", "hit"),
    [
        ({"source": ["sftp-a"]}, True),
        ({"source": ["sftp-b"]}, False),
        ({"partner": ["northwind"]}, True),
        ({"channel": ["shopify"]}, False),
        ({"postal_prefix": ["946"]}, True),
        ({"postal_prefix": ["100"]}, False),
        ({"country": ["us"]}, True),
        ({"fields": {"order_type": "SA"}}, True),
        ({"fields": {"order_type": ["DS", "NE"]}}, False),
        ({"state": ["CA"], "fields": {"purpose": "05"}}, False),
    ],
)
def test_each_match_key(match: dict, hit: bool) -> None:  # type: ignore[type-arg]
    o = order("1")
    o.partner = "northwind"
    (a,) = route(o, rules({"match": match, "to": "hit"}), source="sftp-a")
    assert (a.sink == "hit") is hit
