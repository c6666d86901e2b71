"""The `crossdock x12` commands are contracts: their exit codes and JSON shapes are checked here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crossdock.cli import main
from crossdock.mappings.x12.errors import Level, Severity, X12Error
from crossdock.mappings.x12.report import finding_text
from tests.conftest import CORPUS

GOOD = str(CORPUS / "x12/850/bots_thermatru_crlf.edi")
BAD = str(CORPUS / "x12/malformed/ediengine_940_se01-wrong.edi")
NOT_X12 = str(CORPUS / "x12/malformed/ediengine_not-edi.edi")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_validate_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "x12", "validate", GOOD)[0] == 0
    assert run(capsys, "x12", "validate", GOOD, BAD)[0] == 1
    assert run(capsys, "x12", "validate", GOOD, NOT_X12)[0] == 2


def test_validate_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "x12", "validate", "--json", BAD, NOT_X12)
    assert code == 2
    report = json.loads(out)
    bad, not_x12 = report["files"]
    assert set(bad) >= {"file", "ok", "error", "interchanges"}
    assert bad["ok"] is False and bad["error"] is None
    ic = bad["interchanges"][0]
    assert set(ic) >= {"control", "sender", "receiver", "errors", "groups"}
    group = ic["groups"][0]
    assert set(group) >= {"control", "version", "errors", "transactions"}
    ts = group["transactions"][0]
    assert set(ts) >= {"set", "control", "status", "errors"}
    assert ts["status"] == "rejected"
    err = next(e for e in ts["errors"] if e["code"] == "4")
    assert {k: err[k] for k in ("level", "segment_id", "element_position")} == {
        "level": "transaction",
        "segment_id": "SE",
        "element_position": 1,
    }
    assert isinstance(err["segment_position"], int) and err["message"]
    assert not_x12["ok"] is False and "ISA" in not_x12["error"] and not_x12["interchanges"] == []


def test_validate_human_output_names_the_place(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "x12", "validate", BAD)
    assert code == 1
    assert "SE" in out and "rejected" in out
    assert (
        "error code 4 (number of included segments does not match actual count) at SE, segment 9, element 01, "
        "byte 307: SE01 says '12' segments" in out
    )
    assert "error code 8 (segment has data element errors) at W66, segment 3, byte 189" in out
    assert "error segment 8" not in out and "error transaction 4" not in out, "a code never reads as a position"


def test_a_finding_without_a_code_list_or_a_place_still_reads() -> None:
    rule = X12Error(Level.TRANSACTION, "CTT", "CTT01 says 9 lines", segment_id="CTT", severity=Severity.WARNING)
    assert finding_text(rule) == "warning code CTT at CTT: CTT01 says 9 lines"
    nowhere = X12Error(Level.GROUP, "3", "no GE")
    assert finding_text(nowhere) == "error code 3 (functional group trailer missing): no GE"


def test_to_json_orders(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "x12", "to-json", GOOD)
    assert code == 0
    data = json.loads(out)
    assert {"orders", "shipments", "invoices", "acknowledgments"} <= set(data)
    order = data["orders"][0]
    assert order["po_number"] == "801104"
    assert order["order_date"] == "2005-07-18"
    assert order["currency"] == "USD"
    assert order["ship_to"]["address"]["postal_code"] == "46721"
    line = order["lines"][0]
    assert line["line_number"] == "0001" and line["quantity"] == "8" and line["uom"] == "CR"
    assert line["product_ids"] == {"BP": "MPDGART"}
    assert "unit_price" in line


def test_to_json_and_ack_refuse_what_is_not_x12(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.edi"
    empty.write_bytes(b"")
    assert main(["x12", "to-json", str(empty)]) == 2
    assert main(["x12", "ack", str(empty)]) == 2
    assert "empty file" in capsys.readouterr().err


def test_ack_prints_a_997_and_a_999(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "x12", "ack", BAD)
    assert code == 0 and "ST*997*" in out and "AK5*R*4" in out
    code, out = run(capsys, "x12", "ack", "--999", BAD)
    assert code == 0 and "ST*999*" in out and "IK5*R*4" in out


def test_a_missing_file_is_reported_not_raised(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.edi")
    assert main(["x12", "validate", "--json", missing]) == 2
    report = json.loads(capsys.readouterr().out)
    assert "cannot read" in report["files"][0]["error"]
    assert main(["x12", "to-json", missing]) == 2
    assert main(["x12", "ack", missing]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["validate"], ["to-json"], ["ack"], ["ack", "--999"]])
@pytest.mark.parametrize("encoding", ["klingon", "rot13"])
def test_an_unknown_encoding_is_refused(capsys: pytest.CaptureFixture[str], command: list[str], encoding: str) -> None:
    """Not only unknown names: rot13 is a codec, but not one that decodes bytes."""
    with pytest.raises(SystemExit) as exit_:
        main(["x12", *command, "--encoding", encoding, GOOD])
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert f"argument --encoding: unknown text encoding '{encoding}'" in captured.err
    assert captured.out == ""


def test_a_known_encoding_is_used(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "x12", "to-json", "--encoding", "UTF_8", GOOD)[0] == 0
