"""GS1-128 carton labels: ZPL (golden files) and PDF, each with the SSCC barcode and the zones' texts."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from crossdock.core.fulfilment.models import CartonLabel
from crossdock.core.models import Address, Party
from crossdock.mappings import labels
from crossdock.mappings.labels_pdf import barcode
from tests.golden import assert_golden

CASES = Path(__file__).resolve().parent / "cases" / "labels"


def _label(
    carton: int = 1, cartons: int = 2, *, to_name: str = "DC 42", sscc: str = "006141410000000012"
) -> CartonLabel:
    return CartonLabel(
        sscc=sscc,
        po_number="PO-1",
        carton=carton,
        cartons=cartons,
        ship_from=Party(
            role="SF",
            name="ACME SUPPLY",
            address=Address(lines=["9 DOCK RD"], city="RENO", state="NV", postal_code="89502", country="US"),
        ),
        ship_to=Party(
            role="ST",
            name=to_name,
            id_qualifier="92",
            id="0042",
            address=Address(lines=["1 MAIN ST"], city="TOWN", state="CA", postal_code="94607", country="US"),
        ),
        carrier="UPSN",
        line_position=1,
        product_ids={"VN": "MUG-BLU"},
        quantity=Decimal("5"),
        mark_for=Party(role="Z7", name="STORE 1234 OAKLAND", id_qualifier="92", id="1234"),
    )


def test_zpl_labels_match_their_golden_file() -> None:
    data = labels.zpl([_label(1, 2), _label(2, 2, sscc="006141410000000029")])
    assert_golden(CASES / "two-cartons.zpl", data)
    assert data.count(b"^XA") == 2 and data.count(b"^XZ") == 2


def test_the_zpl_barcode_is_fnc1_ai_00_and_the_sscc_in_code_c() -> None:
    text = labels.zpl([_label()]).decode()
    (field,) = re.findall(r"\^BY4\^BCN,\d+,N,N,N\^FD(.*?)\^FS", text)
    assert field == ">;>8" + "00" + "006141410000000012"
    assert "^FD(00) 0 0614141000000001 2^FS" in text
    assert "^FD1 OF 2^FS" in text and "^FDPO-1^FS" in text and "^FDUPSN^FS" in text


def test_a_partners_text_cannot_end_a_zpl_field_or_start_a_command() -> None:
    text = labels.zpl([_label(to_name="EVIL^FS^XZ^XA~JR_\\ CAFÉ\r\nX")]).decode()
    assert text.count("^XA") == 1 and text.count("^XZ") == 1 and "~JR" not in text
    assert "^FDEVIL_5EFS_5EXZ_5EXA_7EJR_5F_5C CAF_C3_89 X^FS" in text
    assert text.isascii()


def test_a_long_name_is_cut_to_its_zone() -> None:
    text = labels.zpl([_label(to_name="W" * 500)]).decode()
    assert "^FD" + "W" * labels.ZONE_WIDTH + "^FS" in text


@pytest.mark.parametrize("sscc", ["006141410000000013", "00614141000000001", "00006141410000000012"])
def test_a_label_without_a_valid_18_digit_sscc_is_refused(sscc: str) -> None:
    with pytest.raises(ValueError, match="is not an 18-digit SSCC"):
        labels.zpl([_label(sscc=sscc)])
    with pytest.raises(ValueError, match="is not an 18-digit SSCC"):
        labels.pdf([_label(sscc=sscc)])


def _code128_c(digits: str) -> list[int]:
    """Start C, FNC1, digit pairs, the mod-103 check, stop: the GS1-128 symbol, computed here independently."""
    values = [105, 102] + [int(digits[i : i + 2]) for i in range(0, len(digits), 2)]
    check = (values[0] + sum(i * v for i, v in enumerate(values[1:], 1))) % 103
    return [*values, check, 106]


def test_the_pdf_barcode_is_the_gs1_128_symbol_of_the_sscc() -> None:
    symbol = barcode(_label())
    symbol.validate()
    symbol.encode()
    assert symbol.encoded == _code128_c("00006141410000000012")


def test_pdf_labels_are_one_page_each_with_every_zone_and_the_same_bytes_each_time() -> None:
    two = [_label(1, 2), _label(2, 2, sscc="006141410000000029")]
    data = labels.pdf(two)
    assert data.startswith(b"%PDF-") and data == labels.pdf(two)
    assert len(re.findall(rb"/Type /Page[^s]", data)) == 2
    for text in (b"(ACME SUPPLY)", b"(DC 42)", b"(PO-1)", b"(UPSN)", b"(1 OF 2)", b"(2 OF 2)", b"(RENO, NV 89502)"):
        assert text in data, text
    assert b"((00) 0 0614141000000002 9)" in data.replace(b"\\(", b"(").replace(b"\\)", b")")


def test_zone_c_is_the_ship_to_zip_code_as_ai_420_and_zone_g_the_store_as_ai_91() -> None:
    text = labels.zpl([_label()]).decode()
    assert re.findall(r"\^BY3\^BCN,\d+,N,N,N\^FD(.*?)\^FS", text) == [">;>8" + "420" + "94607"]
    assert "^FD(420) 94607^FS" in text
    assert re.findall(r"\^BY2\^BCN,\d+,N,N,N\^FD(.*?)\^FS", text) == [">:>8" + "91" + "1234"]
    assert "^FDSTORE 1234^FS" in text and "^FD(91) 1234^FS" in text
    plus4 = _label()
    assert plus4.ship_to is not None and plus4.ship_to.address is not None
    plus4.ship_to.address.postal_code = "94607-1234"
    assert labels.postal_barcode_data(plus4) == "420946071234"


@pytest.mark.parametrize("postal, country", [("M5V 2T6", "CA"), ("9460", "US"), ("94607", "MX"), (None, "US")])
def test_a_postal_code_that_is_no_us_zip_gets_no_420_barcode(postal: str | None, country: str) -> None:
    label = _label()
    assert label.ship_to is not None and label.ship_to.address is not None
    label.ship_to.address.postal_code, label.ship_to.address.country = postal, country
    assert labels.postal_barcode_data(label) is None
    assert "^BY3" not in labels.zpl([label]).decode()


def test_a_label_without_a_store_has_no_zone_g() -> None:
    label = _label()
    label.mark_for = None
    text = labels.zpl([label]).decode()
    assert "^BY2" not in text and "^FDFOR^FS" not in text


def test_the_pdf_zip_code_and_store_barcodes_are_gs1_128() -> None:
    from crossdock.mappings.labels_pdf import _gs1

    symbol = _gs1("42094607", 1.0, 10.0)
    symbol.validate()
    symbol.encode()
    assert symbol.encoded == _code128_c("42094607")
    data = labels.pdf([_label()]).replace(b"\\(", b"(").replace(b"\\)", b")")
    assert b"((420) 94607)" in data and b"((91) 1234)" in data and b"(STORE 1234)" in data
