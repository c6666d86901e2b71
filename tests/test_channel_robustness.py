"""Bad channel payloads never crash a mapping: a mutated owner-published order ends in an Order or a
DecodeError that names its place, nothing else (the pipeline would otherwise report a crossdock bug)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.core.errors import CrossdockError
from crossdock.mappings import amazon, bigcommerce, ebay, shopify, walmart, woocommerce
from tests import test_amazon_mapping as am
from tests import test_bigcommerce_mapping as bc
from tests import test_ebay_mapping as eb
from tests import test_shopify_mapping as sh
from tests import test_walmart_mapping as wm
from tests import test_woocommerce_mapping as wo

Mapping = Callable[..., Any]
CASES: list[tuple[Mapping, dict[str, Any]]] = [
    (amazon.order_from_payload, am.fixture_order("getOrder.200.sandbox-3.json")),
    (bigcommerce.order_from_payload, bc.multi()),
    (ebay.order_from_payload, eb.payload()),
    (shopify.order_from_payload, sh.rest_order()),
    (shopify.order_from_payload, sh.rich_graphql_order()),
    (walmart.order_from_payload, wm.order()),
    (woocommerce.order_from_payload, wo.retrieved()),
]
VALUES = [None, "", 0, -1, True, [], {}, "x", "\u00b2", "NaN", Decimal("1E+400"), "9" * 40, "2026-13-45T99:99:99Z"]
DELETE = object()


def paths(node: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if at:
        yield at
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield from paths(child, (*at, key))


@st.composite
def mutated(draw: st.DrawFn) -> tuple[Mapping, Any]:
    mapping, base = draw(st.sampled_from(CASES))
    payload = copy.deepcopy(base)
    places = list(paths(base))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        *parents, last = draw(st.sampled_from(places))
        node = payload
        try:
            for key in parents:
                node = node[key]
            value = draw(st.sampled_from([*VALUES, DELETE]))
            if value is DELETE:
                del node[last]
            else:
                node[last] = value
        except (KeyError, IndexError, TypeError):  # an earlier change removed or replaced the way there
            continue
    return mapping, payload


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_channel_orders_map_or_are_refused_with_a_place(case: tuple[Mapping, Any]) -> None:
    mapping, payload = case
    try:
        mapping(payload, name="mutated.json")
    except CrossdockError as exc:
        assert "mutated.json" in str(exc)
