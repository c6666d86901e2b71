"""Outbound text stays in the partner's X12 character set: transliterated (é -> e, ’ -> '), never echoed above
0x7F, in every document crossdock writes to a partner or a warehouse (issue 19, item 7)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.fulfilment.models import Invoice, InvoiceLine, Package, Shipment, ShipmentLine, ShipmentOrder
from crossdock.core.models import Address, Order, OrderLine, Party
from crossdock.mappings.x12.hub import Outgoing, write_810, write_855, write_856
from crossdock.mappings.x12.text import Charset, limited
from crossdock.mappings.x12.warehouse import write_940
from crossdock.mappings.x12.writer import X12WriteError

DELIMITERS = "*~>^"
BASIC = re.compile(r"[A-Z0-9 !\"&'()*+,\-./:;?=~>^\n]*")  # the basic set, with the delimiters and newlines


def outgoing(charset: Charset, version: str = "004010") -> Outgoing:
    return Outgoing(
        "ZZ", "CROSSDOCK", "ZZ", "BUYER", "CROSSDOCK", "BUYER", version, "P", 1, 1, 1, datetime(2026, 12, 7, 9, 0),
        charset=charset,
    )  # fmt: skip


def order(text: str) -> Order:
    party = Party(role="ST", name=text, id_qualifier="92", id="0042", address=Address(lines=[text], city=text))
    line = OrderLine(
        position=1,
        line_number="1",
        quantity=Decimal(2),
        uom="EA",
        unit_price=Decimal("1.5"),
        product_ids={"VN": "MUG"},
        description=text,
        notes=[text],
    )
    return Order(po_number="PO-1", order_date=date(2026, 12, 1), parties=[party], lines=[line], notes=[text])


def invoice(text: str) -> Invoice:
    line = InvoiceLine(position=1, quantity=Decimal(2), uom="EA", unit_price=Decimal(5), description=text)
    return Invoice(
        invoice_number="I1", invoice_date=date(2026, 12, 7), po_number="PO-1", lines=[line],
        parties=[Party(role="ST", name=text, id_qualifier="92", id="0042")],
    )  # fmt: skip


def shipment(text: str) -> Shipment:
    line = ShipmentLine(product_ids={"UP": "012345678905"}, quantity=Decimal(1), description=text)
    return Shipment(
        shipment_id="S1",
        ship_date=date(2026, 12, 7),
        parties=[Party(role="ST", name=text, id_qualifier="92", id="0042")],
        orders=[ShipmentOrder(po_number="PO-1", packages=[Package(sscc="006141410000000012", lines=[line])])],
    )


def documents(text: str, charset: Charset) -> list[bytes]:
    out = outgoing(charset)
    return [
        write_855(order(text), out),
        write_940(order(text), out),
        write_810(invoice(text), out),
        write_856(shipment(text), out, "SOPI"),
    ]


def test_text_is_transliterated_not_echoed() -> None:
    assert limited("Café ’Noël’ – “größe” ½", "extended") == "Cafe 'Noel' - \"grosse\" 1/2"
    assert limited("Crème brûlée @ 5%", "basic") == "CREME BRULEE ? 5?"
    assert limited("漢字", "extended") == "??"
    for data in documents("Caf\u00e9 \u2019No\u00ebl\u2019", "extended"):
        assert data.isascii() and b"Cafe 'Noel'" in data
    for data in documents("Caf\u00e9 \u2019No\u00ebl\u2019", "basic"):
        assert b"CAFE 'NOEL'" in data


def _no_delimiter(ch: str) -> bool:
    return not set(unicodedata.normalize("NFKD", ch)) & set(DELIMITERS)


TEXT = st.text(st.characters(blacklist_categories=("Cs",)).filter(_no_delimiter), min_size=1, max_size=30).filter(
    lambda t: t.strip()
)


@settings(max_examples=150, deadline=None)
@given(TEXT, st.sampled_from(["basic", "extended"]))
def test_any_text_in_only_the_partners_character_set_out(text: str, charset: Charset) -> None:
    for data in documents(text, charset):
        assert data.isascii(), data
        body = data.split(b"\n", 1)[1].decode()  # the ISA aside: its fixed-width blanks are no text of ours
        if charset == "basic":
            assert BASIC.fullmatch(body), body


def test_a_value_that_becomes_a_delimiter_is_refused_not_written() -> None:
    try:
        write_940(order("A\uff0aB"), outgoing("extended"))  # a full-width asterisk is an asterisk
    except X12WriteError:
        return
    raise AssertionError("a value holding the element separator was written")


def test_no_character_is_transliterated_into_a_delimiter() -> None:
    """A bullet once became ``*``: the common delimiters never come out of a character that is none."""
    from crossdock.mappings.x12.text import _LIKE

    made = {chr(k): v for k, v in _LIKE.items() if isinstance(v, str) and set(v) & set(DELIMITERS)}
    assert made == {}
    assert limited("a • b", "extended") == "a - b"
