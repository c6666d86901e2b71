"""``document_json``: an order's ``ship_to`` (part of the ``to-json`` contract and of the stored order's JSON)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.models import Address, Order, Party
from crossdock.mappings.x12.documents import document_json
from tests.x12.strategies import parties


@settings(max_examples=80, deadline=None)
@given(st.lists(parties(), max_size=4))
def test_ship_to_is_the_first_st_party_as_its_own_dump(found: list[Party]) -> None:
    order = Order(po_number="PO1", order_date=date(2026, 12, 7), parties=found)
    data = document_json(order)
    expected = order.ship_to.model_dump(mode="json") if order.ship_to else None
    assert data["ship_to"] == expected
    assert list(data) == [*order.model_dump(mode="json"), "ship_to"]


def test_ship_to_shares_nothing_with_the_parties() -> None:
    party = Party(role="ST", name="STORE 1", address=Address(lines=["1 MAIN ST"], city="TOWN", state="CA"))
    data = document_json(Order(po_number="PO1", order_date=date(2026, 12, 7), parties=[party]))
    data["ship_to"]["name"] = "CHANGED"
    data["ship_to"]["address"]["lines"].append("CHANGED")
    assert data["parties"][0]["name"] == "STORE 1"
    assert data["parties"][0]["address"]["lines"] == ["1 MAIN ST"]
