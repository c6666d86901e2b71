"""850 -> Order: the fields retailers send, layout families that must agree, and the round trip."""

from __future__ import annotations

import io
import string
from datetime import date, datetime
from decimal import Decimal

import pyx12.rawx12file
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.models import Address, Charge, DateRef, Order, OrderLine, Party, Reference, StoreQuantity
from crossdock.mappings.x12.delimiters import Delimiters
from crossdock.mappings.x12.po850 import build_850, order_from_850
from crossdock.mappings.x12.reader import parse, read_transactions
from crossdock.mappings.x12.validator import status, validate
from crossdock.mappings.x12.writer import Envelope, write_interchange
from tests.conftest import CASES, CORPUS
from tests.golden import assert_golden
from tests.x12.written import read_back

X12 = CORPUS / "x12"


def orders(path: str) -> list[Order]:
    return [order_from_850(ts) for ts in read_transactions(X12 / path) if ts.code == "850"]


def comparable(order: Order) -> dict[str, object]:
    return order.model_dump(exclude={"partner"})


def test_layout_families_decode_to_the_same_orders() -> None:
    family = [
        "850/bots_thermatru_crlf.edi",
        "850/bots_thermatru_variant-space-after-term.edi",
        "850/bots_thermatru_variant-wrapped80-crlf.edi",
        "850/bots_thermatru_variant-wrapped80-lf.edi",
    ]
    first = [comparable(o) for o in orders(family[0])]
    assert len(first) == 2
    for path in family[1:]:
        assert [comparable(o) for o in orders(path)] == first, path
    mervyns = orders("850/bots_mervyns_no-term-crlf.edi")
    assert mervyns[0].po_number
    one_edi = [comparable(o) for o in orders("850/ediengine_1edisource-xyzretail_newline-term.edi")]
    assert [comparable(o) for o in orders("850/nodex12_1edisource-xyzretail_vics.edi")] == one_edi


def test_retailer_fields_are_kept() -> None:
    (order,) = orders("850/bots_mervyns_single-line.edi")
    assert order.po_number == "1234512345"
    assert order.order_date == date(2006, 2, 10)
    assert [d.qualifier for d in order.dates] == ["037", "038"]
    line = order.lines[0]
    assert line.line_number == "1"
    assert line.quantity == Decimal("2") and line.uom == "EA" and line.unit_price == Decimal("37.65")
    assert line.product_ids == {"CB": "956591117", "VA": "ASSORTMENT", "UP": "499565911171"}
    assert line.prices == {"RES": Decimal("144")}
    assert line.charges[0].indicator == "N" and line.charges[0].agency == "VI"
    assert order.party("BY") is not None and order.party("BY").address.postal_code == "91761"  # type: ignore[union-attr]


def test_blank_and_zero_padded_line_numbers_are_echoed_exactly() -> None:
    petco = orders("850/nodex12_petco-anonymized_dashes.edi")[0]
    assert all(line.line_number is None for line in petco.lines)
    assert [line.position for line in petco.lines] == list(range(1, len(petco.lines) + 1))
    therma = orders("850/bots_thermatru_crlf.edi")[0]
    assert therma.lines[0].line_number == "0001"
    sitestuff = orders("850/oopfactory_sitestuff-p2p_4010.edi")[0]
    assert [line.line_number for line in sitestuff.lines][:2] == ["6917", "6915"]


def test_replace_purpose_and_store_distribution() -> None:
    (pgw,) = orders("850/oopfactory_pgwglass_pipe-term_ISA16-tilde_4010.edi")
    assert pgw.purpose == "05" and pgw.is_replacement
    vics = orders("850/bots_vics_binary-delims-0x7f-0x15_42kb.edi")
    stores = [s for o in vics for line in o.lines for s in line.stores]
    assert stores and all(s.quantity > 0 for s in stores)
    assert all(o.currency == "CAD" for o in vics)


def test_sdq_reads_the_pairs_sent_and_skips_the_empty_ones() -> None:
    isa = "ISA*00*          *00*          *ZZ*BUYER          *ZZ*SUPPLIER       *261203*1200*U*00401*000000001*0*P*>~"
    sdq = "SDQ*EA*92*0001*5**7*0003*2.5*0004*X*0005"  # no store, a bad quantity, and a store with no quantity
    body = f"ST*850*0001~BEG*00*SA*PO-9**20261203~PO1*1*15*EA~{sdq}~CTT*1~SE*6*0001~"
    data = f"{isa}GS*PO*BUYER*SUPPLIER*20261203*1200*1*X*004010~{body}GE*1*1~IEA*1*000000001~".encode()
    (ts,) = read_transactions(data)
    (line,) = order_from_850(ts).lines
    assert line.store_id_qualifier == "92"
    assert line.stores == [
        StoreQuantity(location="0001", quantity=Decimal(5)),
        StoreQuantity(location="0003", quantity=Decimal("2.5")),
    ]


def test_a_price_missing_from_po1_is_none_not_zero() -> None:
    vics = orders("850/bots_vics_binary-delims-0x7f-0x15_42kb.edi")
    assert any(line.unit_price is None and line.prices for o in vics for line in o.lines)


SAFE = string.ascii_uppercase + string.digits + " -."
text = st.text(alphabet=SAFE, min_size=1, max_size=20).map(str.strip).filter(bool)
city = st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=20)
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2)
qty = st.decimals(min_value=Decimal("1"), max_value=Decimal("9999"), places=0)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@st.composite
def order_lines(draw: st.DrawFn, position: int) -> OrderLine:
    price = draw(st.one_of(st.none(), money))
    return OrderLine(
        position=position,
        line_number=draw(st.one_of(st.none(), st.from_regex(r"\A[0-9]{1,6}\Z"))),
        quantity=draw(qty),
        uom=draw(st.sampled_from(["EA", "CA", "DZ", "PK"])),
        unit_price=price,
        price_basis=draw(st.sampled_from([None, "PE", "TE"])) if price is not None else None,
        product_ids=draw(st.dictionaries(st.sampled_from(["UP", "VN", "BP", "IN", "EN"]), text, min_size=1)),
        description=draw(st.one_of(st.none(), text)),
        stores=draw(
            st.lists(
                st.builds(StoreQuantity, location=st.from_regex(r"\A[0-9]{3,5}\Z"), quantity=qty),
                max_size=3,
                unique_by=lambda s: s.location,
            )
        ),
        store_id_qualifier=None,
    )


@st.composite
def purchase_orders(draw: st.DrawFn) -> Order:
    count = draw(st.integers(min_value=1, max_value=5))
    lines = [draw(order_lines(i)) for i in range(1, count + 1)]
    for line in lines:
        if line.stores:
            line.store_id_qualifier = "92"
    ship_to = Party(
        role="ST",
        name=draw(text),
        id_qualifier="92",
        id=draw(st.from_regex(r"\A[0-9]{4}\Z")),
        address=Address(lines=[draw(text)], city=draw(city), state="CA", postal_code="94107", country="US"),
    )
    return Order(
        partner="SENDER",
        po_number=draw(st.from_regex(r"\A[A-Z0-9]{1,22}\Z")),
        order_date=draw(days),
        purpose=draw(st.sampled_from(["00", "05"])),
        order_type=draw(st.sampled_from(["SA", "NE", "RE"])),
        currency=draw(st.sampled_from(["USD", "CAD"])),
        parties=[ship_to],
        references=[Reference(qualifier="DP", value=draw(text))],
        dates=[DateRef(qualifier="010", date=draw(days))],
        charges=draw(
            st.lists(
                st.builds(
                    Charge, indicator=st.sampled_from(["A", "C"]), code=st.sampled_from(["D240", "C310"]), amount=money
                ),
                max_size=2,
            )
        ),
        lines=lines,
        declared_line_count=len(lines),
        total_amount=draw(st.one_of(st.none(), money)),
    )


ENVELOPE = dict(
    sender_qualifier="ZZ",
    sender_id="SENDER",
    receiver_qualifier="ZZ",
    receiver_id="RECEIVER",
    interchange_control=1,
    group_control=1,
    functional_id="PO",
)


@settings(max_examples=60, deadline=None)
@given(purchase_orders())
def test_round_trip_order_to_850_and_back(order: Order) -> None:
    data = write_interchange(Envelope(**ENVELOPE), [build_850(order, "0001")], Delimiters("*", ">", "~"))
    (ic,) = parse(data)
    assert ic.ok
    (ts,) = ic.groups[0].transactions
    validate(ts)
    assert status(ts) == "accepted", [str(e) for e in ts.errors]
    assert order_from_850(ts) == order
    raw = list(pyx12.rawx12file.RawX12File(io.StringIO(data.decode("latin-1"))))
    assert len(raw) == len(ts.segments) + 4


def test_summary_line_count_and_total_are_read() -> None:
    (order,) = orders("850/ediengine_1edisource-xyzretail_newline-term.edi")
    assert order.declared_line_count == 6 == len(order.lines)
    assert order.total_amount == Decimal("13045.94")


def test_850_writer_matches_golden_and_reads_back() -> None:
    case = CASES / "x12" / "850" / "retail_dc"
    order = Order.model_validate_json((case / "input.json").read_text())
    env = Envelope(**ENVELOPE, created=datetime(2026, 11, 22, 10, 30))  # type: ignore[arg-type]
    data = write_interchange(env, [build_850(order, "0001")], Delimiters("*", ">", "~"), newline=True)
    assert_golden(case / "expected.edi", data)
    assert order_from_850(read_back(data)) == order
