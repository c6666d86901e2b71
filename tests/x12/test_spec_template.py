"""Structure templates over shared loops: version tags, USE with its differences, and mistakes refused."""

from __future__ import annotations

import pytest

from crossdock.mappings.x12.spec import SpecSyntaxError, parse_structure
from crossdock.mappings.x12.specs import ts850, ts855, ts860
from crossdock.mappings.x12.specs.loops import GROUPS, LOOPS
from crossdock.mappings.x12.specs.template import structure

LOCAL = {"X": "N1 M 1\nN2 O 2\nN3 O 2  @005010\nUSE LM O >1\n"}


def test_a_version_tag_keeps_a_line_and_what_is_nested_under_it_in_that_version_only() -> None:
    template = "ST M 1\nLDT O 12 @004010\nLOOP LDT O >1 @005010\n  LDT M 1\n  QTY O 1\nSE M 1\n"
    assert structure(template, "004010") == "ST M 1\nLDT O 12\nSE M 1\n"
    assert structure(template, "005010") == "ST M 1\nLOOP LDT O >1\n  LDT M 1\n  QTY O 1\nSE M 1\n"


def test_use_expands_a_shared_loop_with_the_sets_usage_and_maximum() -> None:
    assert (
        structure("USE X O 200", "004010", LOCAL)
        == "LOOP N1 O 200\n  N1 M 1\n  N2 O 2\n  LOOP LM O >1\n    LM   M 1\n    LQ   M >1\n"
    )
    assert "  N3 O 2\n" in structure("USE X O 200", "005010", LOCAL)


@pytest.mark.parametrize(
    ("diffs", "version", "children"),
    [
        ("N2 O 5", "004010", ["N1 M 1", "N2 O 5", "LOOP LM O >1"]),
        ("-N2; -LM", "004010", ["N1 M 1"]),
        ("LM M 3", "004010", ["N1 M 1", "N2 O 2", "LOOP LM M 3"]),
        ("+PER O 3 after N1", "004010", ["N1 M 1", "PER O 3", "N2 O 2", "LOOP LM O >1"]),
        ("+PER O 3 before LM; +REF O 1", "004010", ["N1 M 1", "N2 O 2", "PER O 3", "LOOP LM O >1", "REF O 1"]),
        ("+USE ACK O 104 before N2", "004010", ["N1 M 1", "LOOP ACK O 104", "N2 O 2", "LOOP LM O >1"]),
        ("-N3 @005010; +PER O 1 @004010", "005010", ["N1 M 1", "N2 O 2", "LOOP LM O >1"]),
        ("-N3 @005010; +PER O 1 @004010", "004010", ["N1 M 1", "N2 O 2", "LOOP LM O >1", "PER O 1"]),
    ],
)
def test_the_sets_differences_from_a_shared_loop(diffs: str, version: str, children: list[str]) -> None:
    lines = structure(f"USE X O 1 | {diffs}", version, LOCAL).splitlines()
    assert [line.strip() for line in lines if line.startswith("  ") and not line.startswith("   ")] == children


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("USE NOPE O 1", "no shared loop named 'NOPE'"),
        ("USE X O 1 | -PER", "no child 'PER'"),
        ("USE X O 1 | +PER O 1 after REF", "no child 'REF'"),
        ("USE X O 1 | N2 O", "cannot read 'N2 O'"),
        ("USE X O", "USE NAME USAGE MAX"),
        ("ST M 1 @003040", "unknown version tag"),
        ("USE X O 1\n  N9 M 1", "no lines of its own"),
        ("WITH NOPE", "no shared group named 'NOPE'"),
        ("WITH PO_HEADER O 1", "WITH NAME"),
        ("WITH PO_HEADER | -NOPE", "no child 'NOPE'"),
        ("WITH SAC", "no shared group named 'SAC'"),  # a shared loop is no group
    ],
)
def test_a_mistaken_template_is_refused_at_import(template: str, expected: str) -> None:
    with pytest.raises(SpecSyntaxError, match=expected):
        structure(template, "004010", LOCAL)


@pytest.mark.parametrize("name", sorted(LOOPS))
@pytest.mark.parametrize("version", ["004010", "005010"])
def test_every_shared_loop_parses_and_starts_with_its_trigger(name: str, version: str) -> None:
    root = parse_structure(structure(f"USE {name} O 1", version))
    (loop,) = root.children
    assert loop.id == name.split("_")[0] == loop.trigger


def test_with_puts_a_shared_groups_lines_in_its_place_at_its_depth() -> None:
    groups = {**LOCAL, "G": "REF O 1\nDTM O 2  @005010\nUSE X O 5\n"}
    built = structure("ST M 1\nLOOP A O 1\n  A M 1\n  WITH G | REF O 9; +PER O 1 after REF\nSE M 1\n", "004010", groups)
    assert built.splitlines()[:6] == ["ST M 1", "LOOP A O 1", "  A M 1", "  REF O 9", "  PER O 1", "  LOOP N1 O 5"]
    assert "\nDTM O 2\n" in structure("WITH G", "005010", groups) and "DTM" not in structure("WITH G", "004010", groups)


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_every_shared_group_expands_in_both_versions(name: str) -> None:
    for version in ("004010", "005010"):
        assert parse_structure(structure(f"ST M 1\nWITH {name}\nSE M 1\n", version)).children


def test_a_use_lines_own_tag_stands_before_its_differences() -> None:
    template = "ST M 1\nUSE X O 1 @005010 | -N2; +PER O 1 @005010\nSE M 1\n"
    assert structure(template, "004010", LOCAL) == "ST M 1\nSE M 1\n"
    lines = structure(template, "005010", LOCAL).splitlines()
    assert lines[1:5] == ["LOOP N1 O 1", "  N1 M 1", "  N3 O 2", "  LOOP LM O >1"] and "  PER O 1" in lines


def _header(structure_text: str) -> list[str]:
    """The set's top-level lines up to its detail (the PO1 or POC loop)."""
    lines = [line.split("#")[0].rstrip() for line in structure_text.splitlines() if line and not line.startswith(" ")]
    return lines[: next(i for i, line in enumerate(lines) if line.startswith(("LOOP PO1", "LOOP POC")))]


def test_the_855_header_keeps_ldt_a_segment_in_005010_where_the_850_and_860_make_it_a_loop() -> None:
    for built in (ts855.STRUCTURE_004010, ts855.STRUCTURE_005010):
        assert "LDT  O 12" in _header(built), "855: LDT O 12, a segment, in either version"
        assert not any(line.startswith("LOOP LDT") for line in _header(built))
    for module in (ts850, ts860):
        assert any(line.startswith("LOOP LDT") for line in _header(module.STRUCTURE_005010))
        assert not any(line.startswith("LOOP LDT") for line in _header(module.STRUCTURE_004010))
