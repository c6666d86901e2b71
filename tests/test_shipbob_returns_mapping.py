"""ShipBob's returns mapping: the request crossdock stores (golden), ShipBob's create body built from the order's
shipments, a completed ShipBob return read as a receipt (restocked units sellable, the rest not), and any bytes
read either as receipts or refused with a DecodeError naming the document."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.errors import DecodeError, PermanentError
from crossdock.core.returns.models import Return, ReturnLine
from crossdock.mappings.shipbob_returns import (
    ReturnRequest,
    cancel_request,
    read_request,
    receipts_from_shipbob,
    return_body,
    return_request,
)
from tests.conftest import CASES
from tests.golden import assert_golden


def a_return() -> Return:
    lines = [ReturnLine(line_number="1", sku="MUG-BLU", quantity=Decimal(2), reason="damaged")]
    return Return(channel="northwind", return_id="RA-1", po_number="PO-1", lines=lines)


def shipped_order() -> dict[str, Any]:
    product = {"reference_id": "MUG-BLU", "sku": "MUG-BLU", "inventory_items": [{"id": 1501, "quantity": 5}]}
    other = {"reference_id": "KTL-STL", "sku": "KTL-STL", "inventory_items": [{"id": 1502, "quantity": 5}]}
    return {
        "id": 7001,
        "shipments": [
            {"id": 9001, "status": "Cancelled", "products": [product], "location": {"id": 5}},
            {"id": 9002, "status": "Completed", "products": [product, other], "location": {"id": 22}},
        ],
    }


def test_the_stored_request_matches_its_golden_file_and_reads_back() -> None:
    data = return_request(a_return(), rma="RA-1", order_reference="5f0e")
    assert_golden(CASES / "shipbob" / "return-request.json", data)
    back = read_request(data, "r.json")
    assert isinstance(back, ReturnRequest)
    assert (back.reference_id, back.order_reference, back.products[0].sku) == ("RA-1", "5f0e", "MUG-BLU")
    assert read_request(cancel_request("RA-1"), "c.json").cancel_return == "RA-1"  # type: ignore[union-attr]
    with pytest.raises(PermanentError, match=r"c\.json: not a ShipBob return request"):
        read_request(b"[]", "c.json")


def test_a_request_needs_skus_and_an_rma_shipbob_can_hold() -> None:
    no_sku = Return(channel="c", return_id="R", po_number="P", lines=[ReturnLine(line_number="1", quantity=Decimal(1))])
    with pytest.raises(ValueError, match="line 1 has no SKU"):
        return_request(no_sku, rma="R", order_reference="k")
    with pytest.raises(ValueError, match="longer than ShipBob's 50 characters"):
        return_request(a_return(), rma="R" * 51, order_reference="k")


def test_the_create_body_takes_inventory_ids_and_centre_from_the_shipment_that_carried_the_goods() -> None:
    request = read_request(return_request(a_return(), rma="RA-1", order_reference="k"), "r")
    assert isinstance(request, ReturnRequest)
    body = return_body(request, shipped_order(), None)
    assert body == {
        "reference_id": "RA-1",
        "fulfillment_center": {"id": 22},
        "inventory": [{"id": 1501, "quantity": 2, "requested_action": "Default"}],
        "original_shipment_id": 9002,
    }


def test_a_sku_no_shipment_carried_or_no_centre_is_refused_by_name() -> None:
    pen = [{"sku": "PEN", "quantity": 1}]
    request = ReturnRequest.model_validate(
        {"reference_id": "RA-1", "order_reference": "k", "po_number": "PO-1", "products": pen}
    )
    with pytest.raises(PermanentError, match="no shipment of ShipBob order 7001 carried SKU PEN"):
        return_body(request, shipped_order(), None)
    order = shipped_order()
    del order["shipments"][1]["location"]
    mug = ReturnRequest.model_validate({**request.model_dump(), "products": [{"sku": "MUG-BLU", "quantity": 1}]})
    with pytest.raises(PermanentError, match="set return_center on the sink"):
        return_body(mug, order, None)
    assert return_body(mug, order, 40)["fulfillment_center"] == {"id": 40}


def completed(**item: Any) -> bytes:
    inventory = {"id": 1501, "sku": "MUG-BLU", "quantity": 3, **item}
    body = {"id": 301, "reference_id": "RA-1", "status": "Completed", "completed_date": "2026-11-28T10:00:00Z",
            "inventory": [inventory]}  # fmt: skip
    return json.dumps(body).encode()


def test_a_completed_return_is_a_receipt_with_restocked_units_sellable() -> None:
    taken = [{"action": "Restock", "quantity_processed": 2}, {"action": "Dispose", "quantity_processed": 1}]
    (receipt,) = receipts_from_shipbob(completed(action_taken=taken), name="r.json", warehouse="shipbob")
    assert (receipt.rma_number, receipt.warehouse, str(receipt.received)) == (
        "RA-1",
        "shipbob",
        "2026-11-28 10:00:00+00:00",
    )
    assert [(x.sku, x.quantity, x.condition) for x in receipt.lines] == [
        ("MUG-BLU", Decimal(2), "sellable"),
        ("MUG-BLU", Decimal(1), "other"),
    ]
    (bare,) = receipts_from_shipbob(completed(action_taken=None), name="r.json", warehouse="shipbob")
    assert [(x.quantity, x.condition) for x in bare.lines] == [(Decimal(3), "other")], "no action named: not sellable"


def test_a_return_without_its_rma_or_sku_is_refused_naming_the_document() -> None:
    with pytest.raises(DecodeError, match=r"r\.json: ShipBob return 301: inventory item 1501 has no SKU"):
        receipts_from_shipbob(completed(sku=None), name="r.json", warehouse="w")
    with pytest.raises(DecodeError, match=r"r\.json: ShipBob return 5 has no reference_id"):
        receipts_from_shipbob(b'{"id": 5}', name="r.json", warehouse="w")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    body=st.fixed_dictionaries(
        {"id": st.integers(1, 10**6)},
        optional={"reference_id": st.text(max_size=12), "inventory": json_values, "completed_date": json_values},
    )
)
def test_any_shipbob_return_is_read_or_refused_with_a_decode_error(body: dict[str, Any]) -> None:
    try:
        found = receipts_from_shipbob(json.dumps(body).encode(), name="r.json", warehouse="w")
    except DecodeError as exc:
        assert str(exc).startswith("r.json: ")
        return
    assert [r.rma_number for r in found] == [body["reference_id"]]
    assert all(line.quantity > 0 for r in found for line in r.lines)
