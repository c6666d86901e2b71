"""The compiled guide: a rule's element conditions as one regular expression agree with the conditions checked
one by one, for any segment text, so a segment the expression passes would have had no finding."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.guides import load_guide
from crossdock.mappings.x12 import guide_table
from crossdock.mappings.x12.guide import guide_from_dict
from crossdock.mappings.x12.guide_check import _elements, check_set
from crossdock.mappings.x12.guide_table import table_for
from tests.x12.test_guides import ASN_4010

GUIDES = Path(__file__).resolve().parents[2] / "crossdock" / "guides"

VALUES = st.sampled_from(["", "A", "AB", "068", "CTN25", "X" * 31, "A>B", "a\nb", "~"])
CONDITIONS = st.fixed_dictionaries(
    {},
    optional={
        "use": st.sampled_from(["required", "forbidden"]),
        "value": VALUES,
        "codes": st.lists(VALUES, max_size=3),
        "max_length": st.integers(1, 6),
    },
)
ELEMENTS = st.dictionaries(st.integers(1, 6), CONDITIONS, min_size=1, max_size=3)
SEGMENTS = st.lists(VALUES, max_size=8).map(lambda values: "*".join(["TD1", *values]))


@settings(max_examples=400, deadline=None)
@given(elements=ELEMENTS, texts=st.lists(SEGMENTS, min_size=1, max_size=5))
def test_the_expression_passes_a_segment_exactly_when_no_element_finding_is_made(
    elements: dict[int, dict[str, object]], texts: list[str]
) -> None:
    guide = guide_from_dict(
        {"name": "g", "sets": {"856": [{"segment": "TD1", "elements": elements, "source": "s"}]}}, "g"
    )
    table = table_for(guide, "856", "004010", "*")
    (rule,) = guide.rules("856")
    passes = table._try(0, rule, "TD1").passes
    assert passes is not None
    for text in texts:
        found = _elements(table, 0, rule, text.split("*"), 2)
        assert (passes(text) is not None) == (found == []), (text, [e.message for e in found])


def test_a_table_that_remembers_nothing_more_finds_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a table remembers of the ids and qualifiers met is bounded (they come from the input): past the
    bound each is worked out again, with the same findings."""
    lacking = [s for s in ASN_4010 if not s.startswith(("REF*BM", "N1*SF"))]
    segments = ["ST*856*0001", *lacking, "HL*9*1*Q*1", "ZZZ*1", "SE*20*0001"]
    expected = check_set(load_guide("bigbox-4010"), "856", "004010", segments)
    assert len(expected) == 2
    monkeypatch.setattr(guide_table, "MEMO_MOVES", 0)
    fresh = guide_from_dict(yaml.safe_load((GUIDES / "bigbox-4010.yaml").read_text()), "bigbox-4010")
    assert check_set(fresh, "856", "004010", segments) == expected
    table = table_for(fresh, "856", "004010", "*")
    assert table.remembered == 0 and not any(table.rows)
