"""The Bots X12 grammars (an independent reader) pass every 940 and 855 golden file crossdock writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CASES
from tests.x12.test_bots_grammar import bots_errors

GOLDEN = sorted((CASES / "x12").glob("940*/*/expected.edi")) + sorted((CASES / "x12").glob("855*/*/expected.edi"))


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: str(p.relative_to(CASES)))
def test_bots_reads_every_golden_940_and_855(path: Path) -> None:
    assert bots_errors(path.read_bytes(), path.name) == []


def test_bots_refuses_a_g62_out_of_place() -> None:
    data = (CASES / "x12" / "940" / "dates-stores" / "expected.edi").read_bytes()
    moved = data.replace(b"LX*2~\nG62*38*20261126~\nW01*6*EA**VN*PLATE-RED~", b"LX*2~\nW01*6*EA**VN*PLATE-RED~\nW76*1~")
    assert moved != data and bots_errors(moved, "moved.edi") != []
