"""Allowances and charges a PO gives as a percent only (SAC06 base, SAC07 percent, no SAC05): the invoice states
their amounts, so TDS01 is the lines plus charges minus allowances (issue 19)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.errors import Held
from crossdock.core.fulfilment.invoicing import invoice_for
from crossdock.core.fulfilment.models import Shipment, ShipmentLine, ShipmentOrder
from crossdock.core.models import Charge, Order, OrderLine
from crossdock.mappings.x12.invoice810 import build_810, invoice_from_810
from crossdock.mappings.x12.writer import write_interchange
from tests.conftest import CASES
from tests.golden import assert_golden
from tests.x12.test_invoice810 import DELIMS, ENV
from tests.x12.written import read_back

CENT = Decimal("0.01")
GROSS = ["1", "3", "5", "6", "B", "C"]
NET = ["2", "4", "7"]


@st.composite
def sacs(draw: st.DrawFn, bases: list[str]) -> Charge:
    indicator = draw(st.sampled_from(["A", "C", "N"]))
    if draw(st.booleans()):
        amount = draw(st.decimals(min_value=0, max_value=500, places=2))
        return Charge(indicator=indicator, code="C310", amount=amount)
    percent = draw(st.decimals(min_value=0, max_value=50, places=draw(st.integers(0, 3))))
    return Charge(indicator=indicator, code="C310", percent=percent, percent_basis=draw(st.sampled_from(bases)))


@st.composite
def orders(draw: st.DrawFn) -> Order:
    count = draw(st.integers(1, 4))
    lines = [
        OrderLine(
            position=i,
            line_number=str(i),
            quantity=Decimal(draw(st.integers(1, 500))),
            uom="EA",
            unit_price=draw(st.decimals(min_value=0, max_value=999, places=draw(st.integers(0, 4)))),
            charges=draw(st.lists(sacs(GROSS + NET), max_size=3)),
        )
        for i in range(1, count + 1)
    ]
    header = draw(st.lists(sacs([*GROSS, *NET, "D"]), max_size=3))
    return Order(po_number="PO-9", order_date=dt.date(2026, 12, 1), lines=lines, charges=header)


def _shipment(order: Order, shares: list[Decimal]) -> Shipment:
    lines = [
        ShipmentLine(line_number=ol.line_number, quantity=max(Decimal(1), (ol.quantity * share).to_integral_value()))
        for ol, share in zip(order.lines, shares, strict=True)
    ]
    return Shipment(shipment_id="S-1", orders=[ShipmentOrder(po_number=order.po_number, lines=lines)])


def _signed(c: Charge) -> Decimal:
    assert c.amount is not None
    return {"A": -c.amount, "C": c.amount}.get(c.indicator, Decimal(0))


def _tds(invoice_data: bytes) -> Decimal:
    read = invoice_from_810(read_back(invoice_data))
    assert read.total_amount is not None
    return read.total_amount


@settings(max_examples=150, deadline=None)
@given(orders(), st.lists(st.sampled_from([Decimal(1), Decimal("0.5")]), min_size=4, max_size=4))
def test_tds_is_the_lines_plus_charges_minus_allowances_with_percent_sacs_priced(
    order: Order, shares: list[Decimal]
) -> None:
    invoice = invoice_for(order, _shipment(order, shares[: len(order.lines)]), "INV-1", dt.date(2026, 12, 7))
    gross_total = Decimal(0)
    for line, ordered in zip(invoice.lines, order.lines, strict=True):
        gross = line.quantity * line.unit_price
        gross_total += gross
        net = gross
        for sent, asked in zip(line.charges, [c for c in ordered.charges if c.indicator != "N"], strict=True):
            assert sent.amount is not None, "every allowance and charge the 810 sends has its amount"
            if asked.amount is None:  # priced from its percent, of the base SAC06 names, to the cent
                base = net if asked.percent_basis in NET else gross
                assert sent.amount == (base * asked.percent / 100).quantize(CENT, ROUND_HALF_UP)  # type: ignore[operator]
                assert sent.percent == asked.percent and sent.percent_basis == asked.percent_basis
            net += _signed(sent)
    for sent in invoice.charges:
        assert sent.amount is not None
    every = [*invoice.charges, *(c for ln in invoice.lines for c in ln.charges)]
    expected = gross_total + sum((_signed(c) for c in every), Decimal(0))
    data = write_interchange(replace(ENV, functional_id="IN"), [build_810(invoice, "0001")], DELIMS)
    assert _tds(data) == expected.quantize(CENT, ROUND_HALF_UP)


def test_a_percent_of_a_base_crossdock_cannot_work_out_holds_the_invoice_with_the_sac_named() -> None:
    order = Order(
        po_number="PO-9",
        lines=[OrderLine(position=1, line_number="1", quantity=Decimal(2), uom="EA", unit_price=Decimal("10"))],
        charges=[Charge(indicator="C", code="D170", percent=Decimal("1.5"), percent_basis="9")],
    )
    with pytest.raises(Held, match=r"order PO-9: SAC C D170 is 1.5 percent of base 9 \(SAC06\)"):
        invoice_for(order, _shipment(order, [Decimal(1)]), "INV-1", dt.date(2026, 12, 7))


def test_a_header_allowance_of_the_net_counts_the_lines_own_allowances() -> None:
    line_off = Charge(indicator="A", code="C310", amount=Decimal("20.00"))
    order = Order(
        po_number="PO-9",
        lines=[
            OrderLine(
                position=1,
                line_number="1",
                quantity=Decimal(10),
                uom="EA",
                unit_price=Decimal("10"),
                charges=[line_off],
            )
        ],
        charges=[Charge(indicator="A", code="C310", percent=Decimal("2.5"), percent_basis="4")],  # discount/net
    )
    invoice = invoice_for(order, _shipment(order, [Decimal(1)]), "INV-1", dt.date(2026, 12, 7))
    assert invoice.charges[0].amount == Decimal("2.00")  # 2.5 % of 100.00 less 20.00
    data = write_interchange(replace(ENV, functional_id="IN"), [build_810(invoice, "0001")], DELIMS)
    assert _tds(data) == Decimal("78.00")
    assert b"SAC*A*C310***200*4*2.5~" in data


def test_the_810_of_a_po_with_percent_allowances_and_charges_is_its_golden() -> None:
    """A line allowance of 2 % of its gross (SAC06 3), a line charge of 1.25 % of its item list cost (1) and a
    header allowance of 1 % of the net (4), the line shipped in part: each SAC05 states its amount."""
    order = Order(
        po_number="PO-9",
        order_date=dt.date(2026, 12, 1),
        lines=[
            OrderLine(
                position=1,
                line_number="1",
                quantity=Decimal(12),
                uom="EA",
                unit_price=Decimal("4.995"),
                charges=[
                    Charge(indicator="A", code="C310", percent=Decimal(2), percent_basis="3"),
                    Charge(indicator="C", code="H850", percent=Decimal("1.25"), percent_basis="1"),
                ],
            ),
            OrderLine(position=2, line_number="2", quantity=Decimal(3), uom="CA", unit_price=Decimal("120")),
        ],
        charges=[Charge(indicator="A", code="C310", percent=Decimal(1), percent_basis="4")],
    )
    invoice = invoice_for(order, _shipment(order, [Decimal("0.5"), Decimal(1)]), "INV-1", dt.date(2026, 12, 7))
    data = write_interchange(replace(ENV, functional_id="IN"), [build_810(invoice, "0001")], DELIMS, newline=True)
    assert_golden(CASES / "x12" / "810-percent" / "expected.edi", data)
    assert b"SAC*A*C310***60*3*2~" in data and b"SAC*C*H850***37*1*1.25~" in data  # of 6 x 4.995 = 29.97
    assert _tds(data) == Decimal("385.84")  # 29.97 - 0.60 + 0.37 + 360.00 = 389.74, less 1 % of it (3.90)
