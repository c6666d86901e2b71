"""`crossdock x12 to-json` streams: the same bytes as before, written as each set is decoded.

``tests/cases/x12/to-json/mixed/expected.json`` was written by the command as it was before it streamed
(``json.dumps(decode_file(...), indent=2)``), so the golden comparison holds the new writer to the old output.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from crossdock.cli import main
from crossdock.core.errors import NotX12Error
from crossdock.core.models import Order
from crossdock.mappings.x12 import po850
from crossdock.mappings.x12.documents import OUTPUT_KEYS, decode_file
from crossdock.tojson import write_documents
from tests.conftest import CASES
from tests.golden import assert_golden

GOLDEN = CASES / "x12" / "to-json" / "mixed" / "expected.json"
TA1 = (
    b"ISA*00*          *00*          *ZZ*BUYER          *ZZ*SUPPLIER       *261203*1200*U*00401*000000007*0*P*>~\n"
    b"TA1*000000123*261202*1100*R*015~\nIEA*0*000000007~\n"
)


def case(path: str) -> bytes:
    return (CASES / "x12" / path / "expected.edi").read_bytes()


def order(po: bytes) -> bytes:
    return case("850/retail_dc").replace(b"NW-100231", po)


def mixed() -> bytes:
    """Every kind to-json lists, orders before and after others, a 940 it skips, a TA1 and a Latin-1 byte."""
    second = order(b"NW-100232").replace(b"NORTHWIND DC", b"NORDWIND K\xc4LN DC")
    kinds = ["856/pallets", "855/all_accepted", "810/allowance_and_charges", "846/basic", "940/full"]
    return (
        order(b"NW-100231")
        + case(kinds[0])
        + second
        + b"".join(case(k) for k in kinds[1:])
        + case("997/missing-se")
        + case("999/syntax-note")
        + TA1
    )


def written(data: bytes) -> tuple[int, str]:
    out = io.BytesIO()
    rejected = write_documents(data, out)
    return rejected, out.getvalue().decode("ascii")


def test_the_output_is_byte_for_byte_what_it_was_before_it_streamed() -> None:
    rejected, text = written(mixed())
    assert rejected == 0
    assert_golden(GOLDEN, text.encode())
    data = json.loads(text)
    assert [o["po_number"] for o in data["orders"]] == ["NW-100231", "NW-100232"]
    assert data["orders"][1]["ship_to"]["name"] == "NORDWIND K\u00c4LN DC 0042"
    assert [len(data[k]) for k in ("shipments", "acknowledgments", "interchange_acknowledgments")] == [1, 2, 1]
    assert data["skipped"] == [{"set": "940", "control": "0001", "reason": "no mapping for this set"}]


def test_the_stream_is_what_decode_file_collects() -> None:
    assert written(mixed())[1] == json.dumps(decode_file(mixed()), indent=2) + "\n"


def test_kinds_that_wait_for_their_turn_are_the_same_when_spooled_to_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("crossdock.tojson.SPOOL_MEMORY", 16)
    assert written(mixed())[1].encode() == GOLDEN.read_bytes()


def test_each_order_is_written_before_the_next_set_is_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.BytesIO()
    seen: list[bytes] = []
    decode = po850.order_from_850

    def spying(ts: Any) -> Order:
        seen.append(out.getvalue())
        return decode(ts)

    monkeypatch.setattr(po850, "order_from_850", spying)
    write_documents(order(b"FIRST-1") + order(b"SECOND-2") + order(b"THIRD-3"), out)
    assert len(seen) == 3
    assert b"FIRST-1" not in seen[0]
    assert b"FIRST-1" in seen[1] and b"SECOND-2" not in seen[1]
    assert b"SECOND-2" in seen[2] and b"THIRD-3" not in seen[2]
    assert [o["po_number"] for o in json.loads(out.getvalue())["orders"]] == ["FIRST-1", "SECOND-2", "THIRD-3"]


def test_a_file_that_is_not_x12_writes_nothing() -> None:
    out = io.BytesIO()
    with pytest.raises(NotX12Error):
        write_documents(b"hello, world", out)
    assert out.getvalue() == b""


def test_an_empty_interchange_is_still_one_json_document() -> None:
    data = TA1.replace(b"TA1*000000123*261202*1100*R*015~\n", b"")
    rejected, text = written(data)
    assert rejected == 0 and text == json.dumps(decode_file(data), indent=2) + "\n"
    assert json.loads(text)["orders"] == []


def one_more_segment_counted(data: bytes) -> bytes:
    """SE01 one too high: the set is rejected with AK5 code 4."""
    return re.sub(rb"SE\*(\d+)\*", lambda m: b"SE*%d*" % (int(m[1]) + 1), data)


def test_a_rejected_set_is_marked_and_the_command_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "partly-rejected.edi"
    bad_order, bad_940 = (one_more_segment_counted(d) for d in (order(b"NW-BAD-2"), case("940/full")))
    path.write_bytes(order(b"NW-GOOD-1") + bad_order + bad_940)
    assert main(["x12", "to-json", str(path)]) == 1
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert list(data) == [*OUTPUT_KEYS, "skipped", "rejected"], "the old keys stay, in their order"
    assert [o["po_number"] for o in data["orders"]] == ["NW-GOOD-1", "NW-BAD-2"], "what could be read is shown"
    order_rejected, warehouse_rejected = data["rejected"]
    assert {k: order_rejected[k] for k in ("set", "control", "document")} == {
        "set": "850",
        "control": "0001",
        "document": "/orders/1",
    }
    (error,) = order_rejected["errors"]
    assert (error["level"], error["code"], error["segment_id"], error["severity"]) == (
        "transaction",
        "4",
        "SE",
        "error",
    )
    assert warehouse_rejected["set"] == "940" and warehouse_rejected["document"] is None
    assert data["skipped"] == [{"set": "940", "control": "0001", "reason": "no mapping for this set"}]
    assert f"{path}: 2 set(s) rejected" in captured.err


def test_only_rejected_sets_are_marked(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "warned.edi"
    path.write_bytes(order(b"NW-OK-1").replace(b"CTT*", b"CTT*9", 1))  # a wrong line count only warns
    assert main(["x12", "to-json", str(path)]) == 0
    assert "rejected" not in json.loads(capsys.readouterr().out)
