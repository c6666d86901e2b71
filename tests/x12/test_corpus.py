"""Every X12 file of the corpus in tests/data is classified as its manifest label says.

valid and lenient: accepted (no error anywhere). defect and invalid: detected, and where the manifest names
the problem, with the X12 code that names it.
"""

from __future__ import annotations

from typing import Any

import pytest

from crossdock.mappings.x12.errors import X12Error
from crossdock.mappings.x12.report import FileResult, validate_file
from tests.conftest import CORPUS, corpus_entries

ENTRIES = corpus_entries("x12/")

# manifest problem text -> (level, code) that must be among the findings
NAMED = {
    "SE01=": ("transaction", "4"),
    "IEA02!=ISA13 (numerically equal)": ("interchange", "001"),
    "IEA02!=ISA13": ("interchange", "001"),
    "IEA01=": ("interchange", "021"),
    "GE01=": ("group", "5"),
    "GE02!=GS06": ("group", "4"),
    "HL parent missing": ("transaction", "HL"),
    "unterminated ISA": ("interchange", "023"),
    "unterminated GS": ("group", "3"),
    "unterminated ST": ("transaction", "2"),
    "SE without ST": ("interchange", "024"),
    "GE without GS": ("interchange", "024"),
    "GS has 10 elements": ("interchange", "024"),
}


def findings(result: FileResult) -> list[X12Error]:
    found: list[X12Error] = []
    for ir in result.interchanges:
        found += ir.interchange.errors
        for gr in ir.groups:
            found += gr.group.errors
            for s in gr.sets:
                found += s.errors
    return found


def _expected(problem: str) -> tuple[str, str] | None:
    for prefix, expected in NAMED.items():
        if problem.startswith(prefix):
            return expected
    return None


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_corpus_file_is_classified_as_labelled(entry: dict[str, Any]) -> None:
    result = validate_file(CORPUS / entry["file"], name=entry["file"])
    found = findings(result)
    errors = [f for f in found if f.is_error]
    if entry["expect"] in ("valid", "lenient"):
        assert result.error is None
        assert not errors, [str(e) for e in errors]
        assert result.interchanges
        for ir in result.interchanges:
            for gr in ir.groups:
                assert all(s.status != "rejected" for s in gr.sets)
        return
    detected = (
        result.error is not None or errors or any(f.level in ("transaction", "segment", "element") for f in found)
    )
    assert detected, f"{entry['file']} ({entry['note']}) was not detected"
    if entry["expect"] == "invalid" and result.error is None:
        assert not result.ok or any(not f.is_error for f in found)
    for problem in (entry.get("detected") or {}).get("problems") or []:
        expected = _expected(problem)
        if expected is None or ("(numerically equal)" in problem and entry["expect"] != "defect"):
            continue
        level, code = expected
        if result.error is not None:
            continue
        assert any(f.level == level and f.code == code for f in found), (problem, [str(f) for f in found])


def test_corpus_is_present_and_complete() -> None:
    assert len(ENTRIES) >= 130
    assert {e["expect"] for e in ENTRIES} == {"valid", "lenient", "defect", "invalid"}
