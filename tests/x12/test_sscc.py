"""SSCC-18: the GS1 check digit, building carton IDs from a company prefix, and checking inbound ones."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.mappings.x12.sscc import gs1_check_digit, is_valid_sscc, normalize_sscc, sscc18, with_ai
from tests.conftest import CORPUS

# The 20-digit MAN*GM of the valid VICS sample, and the five wrong ones of the cross-dock sample (FINDINGS.md).
VICS_GOOD = "00007121610006156802"
CROSSDOCK_BAD = [
    "00000715670002152360",
    "00000715670002152377",
    "00000715670002152384",
    "00000715670002152391",
    "00000715670002152111",
]


def test_check_digit_known_values() -> None:
    assert gs1_check_digit("10614141123456789") == "7"  # the GS1 General Specifications example SSCC
    assert gs1_check_digit("03600029145") == "2"  # UPC-A 036000291452
    assert gs1_check_digit("400638133393") == "1"  # EAN-13 4006381333931
    assert gs1_check_digit("0") == "0"


@pytest.mark.parametrize("bad", ["", "12a4", "１２３", "12 3"])
def test_check_digit_refuses_non_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        gs1_check_digit(bad)


def test_sscc18_layout() -> None:
    assert sscc18("0614141", 123456789, "1") == "106141411234567897"
    value = sscc18("0614141", 1)
    assert value[:17] == "00614141000000001" and value[17] == gs1_check_digit(value[:17])
    assert len(value) == 18 and value.startswith("00614141") and is_valid_sscc(value)


def test_sscc18_refuses_a_serial_too_long_for_the_prefix() -> None:
    assert sscc18("061414112345", 9999)  # 12-digit prefix leaves 4 digits
    with pytest.raises(ValueError, match="does not fit"):
        sscc18("061414112345", 10000)
    with pytest.raises(ValueError, match="does not fit"):
        sscc18("0614141", 10**9)
    with pytest.raises(ValueError):
        sscc18("0614141", -1)


@pytest.mark.parametrize(("prefix", "ext"), [("061", "0"), ("0614141234567", "0"), ("06141A1", "0"), ("0614141", "10")])
def test_sscc18_refuses_bad_prefix_or_extension(prefix: str, ext: str) -> None:
    with pytest.raises(ValueError):
        sscc18(prefix, 1, ext)


def test_corpus_values() -> None:
    assert is_valid_sscc(VICS_GOOD)
    assert is_valid_sscc(VICS_GOOD[2:])
    assert not any(is_valid_sscc(v) for v in CROSSDOCK_BAD)
    sample = CORPUS / "x12" / "856" / "oopfactory_jewelry-vics_s-o-p-i_man-gm-sscc.edi"
    if sample.exists():
        assert f"MAN*GM*{VICS_GOOD}".encode() in sample.read_bytes()


@pytest.mark.parametrize(
    "value",
    [
        "0000712161000615680",  # 19 digits
        "10007121610006156802",  # 20 digits without AI 00
        "0000071216100061568020",  # 22 digits (the Bots retail ASNs)
        "ABCD1234EFGH5678",  # 16-character package ID (the pharma ASN)
        " 007121610006156802",
        "007121610006156802 ",
        "\u0660" * 18,  # digits, but not ASCII ones
        "",
    ],
)
def test_not_an_sscc(value: str) -> None:
    assert not is_valid_sscc(value)
    with pytest.raises(ValueError, match="not a valid SSCC-18"):
        with_ai(value)


def test_normalize_and_ai_form() -> None:
    assert normalize_sscc(VICS_GOOD) == VICS_GOOD[2:]
    assert normalize_sscc(VICS_GOOD[2:]) == VICS_GOOD[2:]
    assert normalize_sscc("12345") is None
    assert with_ai(VICS_GOOD[2:]) == VICS_GOOD
    assert with_ai(VICS_GOOD) == VICS_GOOD
    with pytest.raises(ValueError):
        with_ai(CROSSDOCK_BAD[0])


@settings(max_examples=50, deadline=None)
@given(
    prefix=st.from_regex(r"[0-9]{4,12}", fullmatch=True),
    data=st.data(),
    ext=st.sampled_from("0123456789"),
)
def test_every_built_sscc_is_valid_and_one_wrong_digit_is_caught(prefix: str, data: st.DataObject, ext: str) -> None:
    serial = data.draw(st.integers(0, 10 ** (16 - len(prefix)) - 1))
    value = sscc18(prefix, serial, ext)
    assert len(value) == 18 and is_valid_sscc(value) and is_valid_sscc("00" + value)
    pos = data.draw(st.integers(0, 17))
    changed = value[:pos] + str((int(value[pos]) + data.draw(st.integers(1, 9))) % 10) + value[pos + 1 :]
    assert not is_valid_sscc(changed)
