"""A guide rule on a shared loop, written once: ``in: "**/N1"`` holds in every N1 loop of the set, wherever it
stands, and ``in: "**"`` anywhere at all; the findings name the rule's place as written."""

from __future__ import annotations

import pytest

from crossdock.mappings.x12.guide import Guide, GuideError, guide_from_dict
from crossdock.mappings.x12.guide_check import check_set
from tests.x12.test_guides import ASN_4010, INVOICE_4010

ASN = ["ST*856*0001", *ASN_4010, "SE*19*0001"]


def _guide(*rules: dict[str, object], code: str = "856") -> Guide:
    return guide_from_dict({"name": "g", "sets": {code: list(rules)}}, "guide g")


def _found(guide: Guide, segments: list[str], code: str = "856") -> list[tuple[str, str | None, int | None]]:
    found = check_set(guide, code, "004010", segments)
    return [(e.message.split(" (")[0], e.segment_id, e.segment_position) for e in found]


def test_a_rule_for_every_n1_loop_holds_in_each_of_them_wherever_it_stands() -> None:
    guide = _guide({"segment": "N4", "in": "**/N1", "use": "required", "source": "p. 4"})
    assert _found(guide, ASN) == [
        ("guide g: N4 is required in every N1 loop and missing", "N1", 9),
        ("guide g: N4 is required in every N1 loop and missing", "N1", 10),
    ]
    with_n4 = [*ASN[:9], "N4*TOWN*CA*94607", ASN[9], "N4*OAKLAND*CA*94601", *ASN[10:]]
    assert _found(guide, with_n4) == []
    the_same_per_path = _guide({"segment": "N4", "in": "HL/N1", "use": "required", "source": "p. 4"})
    assert len(_found(the_same_per_path, ASN)) == 2, "what one rule per loop path said"


def test_a_qualified_step_after_the_wildcard_narrows_it() -> None:
    guide = _guide({"segment": "N4", "in": "**/N1[SF]", "use": "required", "source": "p. 4"})
    assert _found(guide, ASN) == [("guide g: N4 is required in every N1[SF] loop and missing", "N1", 10)]


def test_anywhere_holds_in_the_set_and_in_every_loop() -> None:
    guide = _guide({"segment": "N1", "in": "**", "elements": {4: {"use": "required"}}, "source": "p. 2"})
    no_id = [s.replace("*92*W1", "") for s in ASN]
    assert _found(guide, no_id) == [("guide g: N104 is required anywhere in the set", "N1", 10)]
    invoice = ["ST*810*0001", *[s.replace("*92*V1", "") for s in INVOICE_4010], "SE*13*0001"]
    guide = _guide({"segment": "N1", "in": "**", "elements": {4: {"use": "required"}}, "source": "p. 2"}, code="810")
    assert [(sid, at) for _, sid, at in _found(guide, invoice, "810")] == [("N1", 5), ("N1", 6)], "N1*SU and N1*RE"


def test_a_maximum_counts_per_loop_instance() -> None:
    guide = _guide({"segment": "N3", "in": "**/N1", "max": 1, "source": "p. 4"})
    twice = [*ASN[:9], "N3*1 MAIN ST", "N3*SUITE 2", *ASN[9:]]
    assert _found(guide, twice) == [("guide g: N3 is sent 2 times in every N1 loop, at most 1", "N3", 11)]


@pytest.mark.parametrize("path", ["HL/**/N1", "**/**", "N1/**"])
def test_the_wildcard_only_begins_a_path(path: str) -> None:
    with pytest.raises(GuideError, match="not a loop id"):
        _guide({"segment": "N4", "in": path, "source": "p. 4"})
