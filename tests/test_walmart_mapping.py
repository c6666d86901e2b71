"""Walmart Marketplace purchase orders into the canonical Order, and fulfilments back out as the
``orderShipment`` body of ``POST /v3/orders/{id}/shipping``.

No owner-published JSON order exists under an open licence (see ``tests/data/fixtures/SOURCES.md``): the order in
``tests/cases/channels/walmart/order.json`` is our own, built from the fields of ``channel-apis.md`` §3 and
Walmart's ``PurchaseOrderV3.3.xsd`` (epoch-millisecond dates, numeric amounts, alpha-3 country, per-line
statuses), with fictional data. The shipping body is checked against Walmart's own SDK example,
``fixtures/walmart/v3/shipOrderLines.request.xml``, unchanged.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import pytest

from crossdock.core.errors import DecodeError
from crossdock.core.fulfilment.models import Fulfilment, FulfilmentLine
from crossdock.mappings import walmart
from crossdock.mappings.walmart import (
    line_state,
    needs_acknowledgement,
    order_from_walmart,
    orders_from_walmart,
    updated_at,
    version,
)
from crossdock.mappings.walmart_requests import acknowledge_request, shipping_request
from tests.conftest import CASES, FIXTURES
from tests.golden import assert_golden

HERE = CASES / "channels" / "walmart"
ORDER_TEXT = (HERE / "order.json").read_text()


def order() -> dict[str, Any]:
    """Our order as a client reads it off the wire: JSON parsed without float."""
    parsed: dict[str, Any] = json.loads(ORDER_TEXT, parse_float=Decimal)
    return parsed


def at_ms(ms: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms)


def status(kind: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {"status": kind, "statusQuantity": {"unitOfMeasurement": "EACH", "amount": amount}, **extra}


def test_the_order_maps_field_by_field() -> None:
    mapped = order_from_walmart(order(), name="order.json")
    assert (mapped.channel, mapped.po_number, mapped.external_id, mapped.currency) == (
        "walmart",
        "1796277083968",
        "1796277083968",
        "USD",
    )
    assert mapped.purpose == "00" and mapped.awaiting is None
    assert mapped.updated_at == at_ms(1795075200123), "epoch milliseconds, kept to the millisecond"
    assert mapped.order_date == dt.date(2026, 11, 19)
    assert [(r.qualifier, r.value) for r in mapped.references] == [("CO", "4021604321823")]
    ship_to = mapped.ship_to
    assert ship_to is not None and ship_to.address is not None
    assert ship_to.address.country == "US", "USA (alpha-3) becomes US like every other channel's"
    assert ship_to.address.lines == ["100 Example Street", "Suite 5"]
    assert ship_to.contacts[0].phone == "5555550100"
    assert mapped.contacts[0].email is not None and mapped.contacts[0].email.endswith("@relay.walmart.com")
    assert [(d.qualifier, d.date) for d in mapped.dates] == [
        ("038", dt.date(2026, 11, 21)),
        ("002", dt.date(2026, 11, 24)),
    ]
    first, second = mapped.lines
    assert (first.line_number, first.quantity, first.product_ids) == ("1", Decimal(2), {"SK": "KETTLE-17"})
    assert str(first.unit_price) == "29.99", "the line's 59.98 over its quantity 2"
    assert [(t.title, str(t.amount)) for t in first.taxes + second.taxes] == [("Tax1", "4.35"), ("Tax1", "0.8")]
    (shipping,) = mapped.shipping_lines
    assert (shipping.code, str(shipping.amount), [str(t.amount) for t in shipping.taxes]) == ("Value", "5.5", ["0.4"])
    assert {t.collected_by for t in first.taxes + second.taxes + shipping.taxes} == {"marketplace"}, "Walmart remits it"
    assert str(mapped.total_amount) == "81.03", "no order total at Walmart: every charge plus its tax"


def test_the_whole_order_against_its_golden() -> None:
    mapped = order_from_walmart(order(), name="order.json")
    text = json.dumps(mapped.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"
    assert_golden(HERE / "order.expected.json", text.encode())


def test_the_page_and_the_single_order_wrappers_are_read_and_errors_name_the_index() -> None:
    page = {"list": {"meta": {"totalCount": 2, "limit": 10}, "elements": {"order": [order(), order()]}}}
    assert [o.external_id for o in orders_from_walmart(page)] == ["1796277083968"] * 2
    assert order_from_walmart({"order": order()}).external_id == "1796277083968"
    page["list"]["elements"]["order"][1]["orderDate"] = "soon"  # type: ignore[index]
    with pytest.raises(DecodeError, match=r"elements\.order\[1\].*orderDate: 'soon' is not a date"):
        orders_from_walmart(page, name="page")


def test_every_line_cancelled_is_a_cancellation_with_the_lines_as_ordered() -> None:
    payload = order()
    for line in payload["orderLines"]["orderLine"]:
        amount = line["orderLineQuantity"]["amount"]
        line["orderLineStatuses"]["orderLineStatus"] = [status("Cancelled", amount, cancellationReason="x")]
        line["statusDate"] = 1795161600000
    mapped = order_from_walmart(payload)
    assert mapped.purpose == "01"
    assert [(x.position, x.line_number, x.quantity) for x in mapped.lines] == [(1, "1", 2), (2, "2", 1)]
    assert mapped.updated_at == at_ms(1795161600000), "the cancellation is a newer version"
    assert mapped.notes == []


def test_a_part_cancelled_order_keeps_what_is_left_and_names_the_lines_gone() -> None:
    payload = order()
    first, second = payload["orderLines"]["orderLine"]
    first["orderLineStatuses"]["orderLineStatus"] = [status("Acknowledged", "1"), status("Cancelled", "1")]
    first["statusDate"] = 1795161600000
    second["orderLineStatuses"]["orderLineStatus"] = [status("Cancelled", "1")]
    second["statusDate"] = 1795165200000
    mapped = order_from_walmart(payload)
    assert mapped.purpose == "00"
    assert [(x.position, x.line_number, x.quantity) for x in mapped.lines] == [(1, "1", 1)]
    assert str(mapped.lines[0].unit_price) == "29.99", "the price is per unit of what was ordered"
    assert mapped.lines[0].notes == ["1 of 2 cancelled at Walmart"], "what was taken out stays visible"
    assert mapped.notes == [f"line 2 ({second['item']['sku']}): all 1 cancelled at Walmart"]
    assert mapped.updated_at == at_ms(1795165200000) == updated_at(payload)


def test_acknowledging_and_shipping_make_no_new_version() -> None:
    """Crossdock's own acknowledgement moves statusDate at Walmart: that must not look like a changed order,
    or the warehouse would get it again."""
    before = order_from_walmart(order()).model_dump(mode="json")
    for kind, extra in (("Acknowledged", {}), ("Shipped", {"trackingInfo": {"trackingNumber": "1Z"}})):
        payload = order()
        for line in payload["orderLines"]["orderLine"]:
            line["orderLineStatuses"]["orderLineStatus"] = [status(kind, line["orderLineQuantity"]["amount"], **extra)]
            line["statusDate"] = 1795200000000
        after = order_from_walmart(payload)
        assert after.model_dump(mode="json", exclude={"already_shipped"}) == {
            k: v for k, v in before.items() if k != "already_shipped"
        }, kind
        assert after.already_shipped == (kind == "Shipped"), "the hub takes only this flag as no change to ship"
        assert not needs_acknowledgement(payload)
        assert version(payload) == version(order()), "the document's identity does not move either"
    assert needs_acknowledgement(order())


def test_a_new_ship_to_address_is_a_new_version_though_walmart_moves_no_time() -> None:
    moved = order()
    moved["shippingInfo"]["postalAddress"]["address1"] = "200 Other Street"
    assert updated_at(moved) == updated_at(order()), "Walmart's order has no modification time"
    assert version(moved) != version(order())
    assert version(moved).split(".")[0] == str(1795075200123)
    assert acknowledge_request("1796277083968") == ("POST", "/v3/orders/1796277083968/acknowledge")


def test_line_state_counts_shipped_cancelled_and_tracking() -> None:
    payload = order()
    first = payload["orderLines"]["orderLine"][0]
    first["orderLineStatuses"]["orderLineStatus"] = [
        status("Shipped", "1", trackingInfo={"trackingNumber": "1Z999"}),
        status("Acknowledged", "1"),
    ]
    states = line_state(payload)
    assert (states["1"].ordered, states["1"].shipped, states["1"].open, states["1"].tracking) == (2, 1, 1, {"1Z999"})
    assert (states["2"].open, states["2"].created, states["2"].sku) == (1, 1, "FILTER-3")


@pytest.mark.parametrize(
    ("code", "expected"), [("USA", "US"), ("PRI", "PR"), ("usa", "US"), ("US", "US"), ("CAN", "CA"), ("", None)]
)
def test_countries_are_alpha_2(code: str, expected: str | None) -> None:
    payload = order()
    payload["shippingInfo"]["postalAddress"]["country"] = code
    ship_to = order_from_walmart(payload).ship_to
    assert ship_to is not None and ship_to.address is not None and ship_to.address.country == expected


def test_discounts_and_other_charges() -> None:
    payload = order()
    charges = payload["orderLines"]["orderLine"][1]["charges"]["charge"]
    money = {"currency": "USD", "amount": Decimal("2.00")}
    charges.append({"chargeType": "PRODUCT", "chargeName": "Promo", "isDiscount": True, "chargeAmount": money})
    charges.append({"chargeType": "FEE", "chargeName": "Recycling fee", "chargeAmount": {**money, "amount": 1}})
    charges.append({"chargeType": "SHIPPING", "chargeName": "Free shipping", "chargeAmount": {**money, "amount": -1}})
    mapped = order_from_walmart(payload)
    line = mapped.lines[1]
    assert [(d.description, str(d.amount)) for d in line.discounts] == [("Promo", "2.00")]
    assert [(c.indicator, c.description, str(c.amount)) for c in line.charges] == [("C", "Recycling fee", "1")]
    assert [str(d.amount) for d in mapped.shipping_lines[0].discounts] == ["1"]
    assert str(line.unit_price) == "10", "a discount is not the price"
    assert str(mapped.total_amount) == "79.03", "81.03 less 2, plus 1, less 1"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: o.pop("purchaseOrderId"), r"purchaseOrderId: missing"),
        (lambda o: o.update(purchaseOrderId="12/../34"), r"purchaseOrderId: '12/../34' is not an id"),
        (lambda o: o.update(orderDate=Decimal("1795075200.5")), r"orderDate: .* is not epoch milliseconds"),
        (lambda o: o.update(orderLines={"orderLine": []}), r"orderLines: no lines"),
        (
            lambda o: o["shippingInfo"]["postalAddress"].update(country="XYZ"),
            r"shippingInfo\.postalAddress\.country: 'XYZ' is not a country",
        ),
        (
            lambda o: o["orderLines"]["orderLine"][1]["orderLineQuantity"].update(amount="1.5"),
            r"orderLines\.orderLine\[1\]\.orderLineQuantity\.amount: '1\.5' is not a quantity",
        ),
        (
            lambda o: o["orderLines"]["orderLine"][1]["charges"]["charge"][0]["chargeAmount"].update(currency="CAD"),
            r"orderLine\[1\]\.charges\.charge\[0\]\.chargeAmount\.currency: 'CAD' is not the order's currency",
        ),
        (
            lambda o: o["orderLines"]["orderLine"][0]["charges"]["charge"][0]["chargeAmount"].update(amount="abc"),
            r"charge\[0\]\.chargeAmount\.amount: 'abc' is not a number",
        ),
        (lambda o: o.update(orderLines=[]), r"orderLines: an object was expected"),
    ],
)
def test_a_bad_order_is_refused_naming_the_payload_and_field(change: Any, message: str) -> None:
    payload = copy.deepcopy(order())
    change(payload)
    with pytest.raises(DecodeError, match=message) as caught:
        order_from_walmart(payload, name="walmart-order-1.json")
    assert caught.value.source == "walmart-order-1.json"


def test_a_lossy_parse_is_refused_and_the_pipeline_calls_the_same_function() -> None:
    lossy = json.loads(ORDER_TEXT)  # amounts as float
    with pytest.raises(DecodeError, match=r"orderLine\[0\]\.charges\.charge\[0\]\.chargeAmount\.amount: .*float"):
        order_from_walmart(lossy)
    assert walmart.order_from_payload is order_from_walmart


def fulfilment(**changes: Any) -> Fulfilment:
    data: dict[str, Any] = {
        "channel": "walmart",
        "partner": "walmart-us",
        "po_number": "1796277083968",
        "external_id": "1796277083968",
        "shipment_id": "WH-7",
        "ship_date": dt.date(2026, 11, 20),
        "carrier_scac": "UPSN",
        "tracking_numbers": ["1Z999AA10123456784"],
        "lines": [
            FulfilmentLine(line_number="1", quantity=Decimal(1)),
            FulfilmentLine(line_number="2", quantity=Decimal(1)),
            FulfilmentLine(line_number="1", quantity=Decimal(1)),
        ],
    }
    data.update(changes)
    return Fulfilment(**data)


SHIPPED_AT = dt.datetime(2026, 11, 20, 15, 30, tzinfo=dt.UTC)


def test_the_shipping_request_against_its_golden() -> None:
    body = shipping_request(fulfilment(), shipped_at=SHIPPED_AT, method_code="Value")
    lines = body["orderShipment"]["orderLines"]["orderLine"]
    assert [
        (x["lineNumber"], x["orderLineStatuses"]["orderLineStatus"][0]["statusQuantity"]["amount"]) for x in lines
    ] == [
        ("1", "2"),
        ("2", "1"),
    ], "quantities summed by line number, as text"
    tracking = lines[0]["orderLineStatuses"]["orderLineStatus"][0]["trackingInfo"]
    assert tracking["shipDateTime"] == 1795188600000, "epoch milliseconds"
    assert (tracking["carrierName"], tracking["methodCode"]) == ({"carrier": "UPS"}, "Value")
    assert_golden(HERE / "shipping.request.json", (json.dumps(body, indent=2) + "\n").encode())


def _xml_dict(element: ET.Element) -> Any:
    """An element as Walmart's JSON writes it: children by name, the repeated ones as lists."""
    children = list(element)
    if not children:
        return (element.text or "").strip()
    out: dict[str, Any] = {}
    for child in children:
        key = child.tag.split("}")[-1]
        value = _xml_dict(child)
        if key in ("orderLine", "orderLineStatus"):
            out.setdefault(key, []).append(value)
        else:
            out[key] = value
    return out


def test_the_body_has_the_shape_and_values_of_walmarts_own_ship_example() -> None:
    """``shipOrderLines.request.xml`` (Walmart's SDK, unchanged): line 2, one unit, FedEx, Standard, its
    tracking number and URL, shipped 2016-06-27T05:30:15Z. The JSON form differs only where the docs say:
    shipDateTime in epoch milliseconds (and the unit written EACH, as in the JSON spec example)."""
    root = ET.fromstring((FIXTURES / "walmart" / "v3" / "shipOrderLines.request.xml").read_bytes())
    expected = {root.tag.split("}")[-1]: _xml_dict(root)}
    (owner_status,) = expected["orderShipment"]["orderLines"]["orderLine"][0]["orderLineStatuses"]["orderLineStatus"]
    shipped = dt.datetime.fromisoformat(owner_status["trackingInfo"]["shipDateTime"])
    owner_status["trackingInfo"]["shipDateTime"] = int(shipped.timestamp() * 1000)
    owner_status["statusQuantity"]["unitOfMeasurement"] = "EACH"
    ours = fulfilment(
        carrier_scac="FDEG",
        carrier_service="standard",
        tracking_numbers=["12333634122"],
        lines=[FulfilmentLine(line_number="2", quantity=Decimal(1))],
    )
    body = shipping_request(ours, shipped_at=shipped, tracking_urls={"fdeg": "http://www.fedex.com"})
    assert body == expected


def test_shipping_request_carriers_and_refusals() -> None:
    other = shipping_request(
        fulfilment(carrier_scac="ABFS"),
        shipped_at=SHIPPED_AT,
        tracking_urls={"ABFS": "https://track.example.com/{number}"},
    )
    tracking = other["orderShipment"]["orderLines"]["orderLine"][0]["orderLineStatuses"]["orderLineStatus"][0][
        "trackingInfo"
    ]
    assert tracking["carrierName"] == {"otherCarrier": "ABFS"}
    assert tracking["trackingURL"] == "https://track.example.com/1Z999AA10123456784"
    assert tracking["methodCode"] == "Standard", "no code from the order or the carrier service: Standard"
    for changes, message in (
        ({"tracking_numbers": []}, "no tracking number"),
        ({"carrier_scac": None}, "no carrier"),
        ({"carrier_scac": "ABFS"}, "carrier ABFS is not one of Walmart's"),
        ({"lines": [FulfilmentLine(line_number=None, quantity=Decimal(1))]}, "no Walmart lineNumber"),
        ({"lines": [FulfilmentLine(line_number="1", quantity=Decimal("0.5"))]}, "not a whole quantity"),
    ):
        with pytest.raises(ValueError, match=message):
            shipping_request(fulfilment(**changes), shipped_at=SHIPPED_AT)
    with pytest.raises(ValueError, match="aware"):
        shipping_request(fulfilment(), shipped_at=SHIPPED_AT.replace(tzinfo=None))
