"""The 850's pack (PO4), item characteristics (PID) and sales requirements (CSH) reach the 3PL in the 940's own
segments, W20, G69 and NTE*WHI, in 004010 and 005010 (issue 19)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from crossdock.core.models import Order
from crossdock.core.order_details import Characteristic, Packing
from crossdock.mappings.x12.whse940 import build_940
from crossdock.mappings.x12.whse940_detail import g69_texts, inner_pack_note, w20_segments
from crossdock.mappings.x12.writer import write_interchange
from tests.conftest import CASES
from tests.golden import assert_golden
from tests.x12.test_bots_grammar import bots_errors
from tests.x12.test_whse940 import DELIMITERS, ENVELOPE, read_back, seg_values

CASE = CASES / "x12" / "940-detail"


def _written(version: str) -> bytes:
    order = Order.model_validate_json((CASE / "input.json").read_text())
    ts = build_940(order, "0001", depositor="CROSSDOCK")
    return write_interchange(replace(ENVELOPE, version=version), [ts], DELIMITERS, newline=True)


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_pack_characteristics_and_requirements_are_written_where_the_940_has_them(version: str) -> None:
    data = _written(version)
    assert_golden(CASE / f"expected-{version}.edi", data)
    assert bots_errors(data, f"940-{version}.edi") == []
    ts = read_back(data)
    assert seg_values(ts, "W20") == [["12", "1", "EA", "8.5", "G", "L", "", "1.2", "CF"]], "the 2 OZ weight is left out"
    g69 = [v[0] for v in seg_values(ts, "G69")]
    assert g69[:4] == ["CREW NECK TEE", "COLOR: NAVY", "SIZE: L", "100% COTTON"]
    assert "COLOR: RED" not in g69, "line 2's description fills its five G69: the colour goes as a note"
    notes = [v[1] for v in seg_values(ts, "NTE")]
    assert notes[:2] == ["SHIP COMPLETE (CSH SC)", "NO BACKORDER (CSH N)"]
    assert "SHIP PARTIAL, BALANCE CANCEL BY 20261220 (CSH P2)" in notes and "COLOR: RED" in notes
    assert notes.count("INNER PACK 4 EACHES (PO414)") == 1, "PO414 has no W20 element: it goes as a note"
    assert all(len(v) <= 9 for v in seg_values(ts, "W20")), "W20 stays within its ten standard elements"


def test_the_inner_pack_is_a_warehouse_instruction_only_when_the_po_gave_one() -> None:
    order = Order.model_validate_json((CASE / "input.json").read_text())
    assert inner_pack_note(order.lines[0]) == "INNER PACK 4 EACHES (PO414)"
    assert inner_pack_note(order.lines[0].model_copy(update={"inner_pack": None})) is None
    ts = read_back(
        write_interchange(
            ENVELOPE,
            [
                build_940(
                    order.model_copy(update={"lines": [order.lines[0].model_copy(update={"inner_pack": None})]}), "0001"
                )
            ],
            DELIMITERS,
        )
    )
    assert not any("PO414" in v[1] for v in seg_values(ts, "NTE"))


def test_a_line_without_pack_details_has_no_w20() -> None:
    order = Order.model_validate_json((CASE / "input.json").read_text())
    line = order.lines[1].model_copy(update={"packing": None, "pack": None})
    assert w20_segments(line) == []
    assert w20_segments(line.model_copy(update={"packing": Packing(volume=Decimal(2), volume_uom="CF")})) == [
        ["W20", None, None, None, None, None, None, None, Decimal(2), "CF"]
    ]


def test_characteristics_fit_after_the_description_or_spill_into_notes() -> None:
    order = Order.model_validate_json((CASE / "input.json").read_text())
    many = [Characteristic(kind="F", code="75", text=f"SHADE {i}") for i in range(6)]
    line = order.lines[0].model_copy(update={"characteristics": many, "description": "TEE"})
    g69, spilled = g69_texts(line)
    assert g69 == ["TEE", "COLOR: SHADE 0", "COLOR: SHADE 1", "COLOR: SHADE 2", "COLOR: SHADE 3"]
    assert spilled == ["COLOR: SHADE 4", "COLOR: SHADE 5"]
