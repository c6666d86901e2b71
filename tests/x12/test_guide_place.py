"""A set's placing is remembered by its shape (segment ids and the texts of the HLs): a set of a shape met
before gets the findings a fresh table gives it, and one whose HL qualifiers differ is placed again."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.guides import load_guide
from crossdock.mappings.x12 import guide_place
from crossdock.mappings.x12.guide import Guide, guide_from_dict
from crossdock.mappings.x12.guide_check import check_interchanges, check_set
from crossdock.mappings.x12.guide_table import table_for
from tests.x12.test_guide_table import GUIDES
from tests.x12.test_guides import ASN_4010, wrap

ASN = ["ST*856*0001", *ASN_4010, "SE*19*0001"]


def fresh() -> Guide:
    """The big-box guide compiled anew: a table that has placed nothing yet."""
    return guide_from_dict(yaml.safe_load((GUIDES / "bigbox-4010.yaml").read_text()), "bigbox-4010")


def messages(guide: Guide, segments: list[str]) -> list[str]:
    return [e.message for e in check_set(guide, "856", "004010", segments)]


def test_a_shape_met_before_is_placed_from_memory_with_the_findings_of_its_own_values() -> None:
    guide = fresh()
    assert messages(guide, ASN) == []
    table = table_for(guide, "856", "004010", "*")
    assert len(table.shapes) == 1
    long_sscc = [s if not s.startswith("MAN*GM") else "MAN*GM*" + "9" * 21 for s in ASN]  # same shape
    assert messages(guide, long_sscc) == messages(fresh(), long_sscc) != []
    assert len(table.shapes) == 1, "same ids and HL texts: one shape"


def test_the_same_ids_with_another_hl_qualifier_are_placed_again() -> None:
    guide = fresh()
    assert messages(guide, ASN) == []
    as_pack = [s if s != "HL*4*3*I*0" else "HL*4*3*P*0" for s in ASN]  # the item level turned into a pack
    found = messages(guide, as_pack)
    assert found == messages(fresh(), as_pack)
    assert any("MAN*GM is required in HL[P] and missing" in m for m in found)
    assert not any("LIN" in m for m in found), "no item level left: LIN is required nowhere"
    ((_, by_texts),) = table_for(guide, "856", "004010", "*").shapes.values()
    assert len(by_texts) == 2


def test_past_its_bound_a_table_places_every_set_anew_with_the_same_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guide_place, "MEMO_SHAPES", 0)
    guide = fresh()
    lacking = [s for s in ASN if not s.startswith("REF*BM")]
    assert messages(guide, lacking) == messages(guide, lacking) == messages(load_guide("bigbox-4010"), lacking)
    assert table_for(guide, "856", "004010", "*").shapes == {}


QUALIFIERS = st.sampled_from(["S", "O", "P", "I", "T", "X"])
SHARED = fresh()  # one table for every example: shapes met before are placed from memory


@settings(max_examples=200, deadline=None)
@given(
    qualifiers=st.lists(QUALIFIERS, min_size=4, max_size=4),
    dropped=st.sets(st.integers(0, len(ASN_4010) - 1), max_size=3),
    sscc=st.sampled_from(["00006141410000000012", "", "9" * 21]),
)
def test_memory_never_changes_a_finding(qualifiers: list[str], dropped: set[int], sscc: str) -> None:
    body, hl = [], 0
    for n, text in enumerate(ASN_4010):
        if n in dropped:
            continue
        if text.startswith("HL*"):
            parts = text.split("*")
            parts[3] = qualifiers[hl]
            hl += 1
            text = "*".join(parts)
        elif text.startswith("MAN*GM"):
            text = f"MAN*GM*{sscc}".rstrip("*")
        body.append(text)
    segments = ["ST*856*0001", *body, f"SE*{len(body) + 2}*0001"]
    assert check_set(SHARED, "856", "004010", segments) == check_set(fresh(), "856", "004010", segments)


@pytest.mark.parametrize("newline", ["\n", "", "\r\n", "\n\n"])
def test_the_sets_of_an_interchange_are_found_and_one_without_its_se_left_out(newline: str) -> None:
    good = wrap("856", [s for s in ASN_4010 if not s.startswith("REF*BM")]).decode()
    head, _, rest = good.partition("ST*856*0001")
    body, _, tail = rest.partition("SE*")
    cut = "ST*856*0002~\nBSN*00*CUT*20261121*0930*0001~\n"  # a set that never ends
    text = (head + cut + "ST*856*0001" + body + "SE*" + tail).replace("~\n", "~" + newline)
    (only,) = check_interchanges(load_guide("bigbox-4010"), text.encode())
    assert (only.code, only.control) == ("856", "0001")
    assert [e.message.split(":")[1] for e in only.errors] == [" REF*BM is required in HL[S] and missing"]
