"""GS1-128 carton labels: ZPL (golden files) and PDF, each with the SSCC barcode and the zones' texts."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


@pytest.mark.parametrize("postal, country", [("9460", "US"), ("94607-12", "USA"), ("9460A", None), (None, "US")])
def test_a_postal_code_that_is_no_us_zip_gets_no_420_barcode(postal: str | None, country: str | None) -> None:
    label = _label()
    assert label.ship_to is not None and label.ship_to.address is not None
    label.ship_to.address.postal_code, label.ship_to.address.country = postal, country
    assert labels.postal_barcode_data(label) is None
    assert "^BY3" not in labels.zpl([label]).decode()


def _abroad(postal: str | None, country: str | None) -> CartonLabel:
    label = _label()
    assert label.ship_to is not None and label.ship_to.address is not None
    label.ship_to.address.postal_code, label.ship_to.address.country = postal, country
    return label


@pytest.mark.parametrize(
    "postal, country, data",
    [
        ("M5V 2T6", "CA", "421124M5V2T6"),
        ("m5v 2t6", "CAN", "421124M5V2T6"),
        ("10115", "de", "42127610115"),
        ("1012 AB", "528", "4215281012AB"),
        ("01310-100", "BR", "42107601310-100"),
        ("06600", "MX", "42148406600"),
    ],
)
def test_a_postal_code_abroad_is_ai_421_with_the_countrys_numeric_code(postal: str, country: str, data: str) -> None:
    assert labels.postal_barcode_data(_abroad(postal, country)) == data


def test_zone_c_abroad_is_ai_421_in_zpl_subset_c_then_b_with_its_readable_line() -> None:
    label = _abroad("M5V 2T6", "CA")
    assert label.ship_to is not None and label.ship_to.address is not None
    label.ship_to.address.city, label.ship_to.address.state = "TORONTO", "ON"
    text = labels.zpl([label]).decode()
    assert "^FO40,330^BY2^BCN,110,N,N,N^FD>;>8" + "421124" + ">6M5V2T6^FS" in text
    assert "^FD(421) 124 M5V2T6^FS" in text and "420" + "94607" not in text
    assert_golden(CASES / "canada.zpl", text.encode())
    even = labels.zpl([_abroad("1234", "DK")]).decode()
    assert re.findall(r"\^BY3\^BCN,\d+,N,N,N\^FD(.*?)\^FS", even) == [">;>8" + "4212081234"]


def test_a_postal_codes_leading_digits_stay_in_subset_c() -> None:
    from crossdock.mappings.labels_zpl import postal_field

    assert postal_field("42107601310-100") == (">;>84210760131>6" + "0-100", 11 * (2 + 5) + 24 + 11 * 6)
    assert postal_field("42127610115") == (">;>84212761011>65", 11 * (2 + 5) + 24 + 11 * 2)
    assert postal_field("42094607") == (">;>842094607", 11 * (2 + 4) + 24)


def test_a_long_ai_421_code_narrows_its_bars_or_is_its_line_alone() -> None:
    from crossdock.mappings.labels_zpl import BARCODE_X, ZONE_C_END, postal_field

    _, modules = postal_field("421076" + "01310-100")
    assert BARCODE_X + 3 * modules > ZONE_C_END >= BARCODE_X + 2 * modules
    text = labels.zpl([_abroad("01310-100", "BR")]).decode()
    assert "^BY2^BCN,110,N,N,N^FD>;>84210760131>60-100^FS" in text and "^FD(421) 076 01310-100^FS" in text
    letters = labels.zpl([_abroad("ABCD EFGH9", "GB")]).decode()
    assert "^BY2^BCN,110" not in letters and "^BY3^BCN,110" not in letters
    assert "^FD(421) 826 ABCDEFGH9^FS" in letters


@pytest.mark.parametrize(
    "postal, country",
    [
        ("M5V 2T6", "XX"),  # no such country
        ("M5V 2T6", "CANADA"),  # a name, not a code
        ("M5V 2T6", "US"),  # not a US ZIP code: no AI 421 for a US address either
        ("1234567890", "DE"),  # longer than AI 421's 9 characters
        ("M5V^FS~JR", "CA"),  # characters that are no GS1 postal code's
        ("K1A 0B1" + " " * 30, "CA"),  # more input than a postal code
        ("CAFÉ1", "FR"),
        ("", "CA"),
    ],
)
def test_a_postal_code_421_cannot_carry_is_text_only(postal: str, country: str) -> None:
    label = _abroad(postal, country)
    assert labels.postal_barcode_data(label) is None
    assert "^FO40,330" not in labels.zpl([label]).decode()


@settings(max_examples=200)
@given(postal=st.text(max_size=30), country=st.sampled_from(["CA", "GB", "DE", "NLD", "036", "ZZ", "", "US"]))
def test_any_postal_code_gives_a_clean_ai_420_or_421_or_none(postal: str, country: str) -> None:
    data = labels.postal_barcode_data(_abroad(postal, country))
    assert data is None or re.fullmatch(r"420\d{5}(\d{4})?|421\d{3}[A-Z0-9-]{1,9}", data)
    text = labels.zpl([_abroad(postal, country)]).decode()
    assert text.count("^XA") == 1 and text.count("^XZ") == 1 and text.isascii()


def test_the_pdf_zone_c_abroad_is_the_gs1_128_symbol_of_ai_421() -> None:
    from crossdock.mappings.labels_pdf import FNC1, _postal_symbol

    wide, narrow = _postal_symbol("4212081234"), _postal_symbol("421124M5V2T6")
    assert wide is not None and narrow is not None
    wide[0].validate()
    wide[0].encode()
    assert wide[0].encoded == _code128_c("4212081234"), "AI 421, Denmark, 1234: subset C throughout"
    assert narrow[0].value == FNC1 + "421124M5V2T6"
    assert narrow[0].barWidth < wide[0].barWidth and narrow[1] >= 10 * narrow[0].barWidth
    assert _postal_symbol("421826ABCDEFGH9") is None
    data = labels.pdf([_abroad("M5V 2T6", "CA")]).replace(b"\\(", b"(").replace(b"\\)", b")")
    assert b"((421) 124 M5V2T6)" in data


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


@pytest.mark.parametrize(
    ("country", "numeric"),
    [
        ("CA", "124"),
        ("can", "124"),
        (" 124 ", "124"),
        ("DE", "276"),
        ("GB", "826"),
        ("UK", "826"),
        ("US", "840"),
        ("AX", "248"),
    ],
)
def test_a_country_code_is_its_iso_3166_numeric_code(country: str, numeric: str) -> None:
    from crossdock.mappings.countries import numeric_code

    assert numeric_code(country) == numeric


@pytest.mark.parametrize("country", [None, "", "XX", "CANADA", "1240", "EU", "C A"])
def test_what_is_no_country_code_has_no_numeric_code(country: str | None) -> None:
    from crossdock.mappings.countries import numeric_code

    assert numeric_code(country) is None
