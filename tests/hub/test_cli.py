"""The hub's commands: demo, check, config schema, poll, status, orders, documents, replay, retry, run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from crossdock.cli import main
from tests.hub.conftest import run
from tests.hub.edi import interchange, order


def test_demo_runs_the_whole_cycle_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "demo"
    code, out, _ = run(capsys, "demo", "--dir", str(folder))
    assert code == 0
    assert "NW-100240 from northwind ship to DALLAS, TX: delivered, revision 1" in out
    assert "NW-100232 from northwind ship to OAKLAND, CA: delivered, revision 2" in out
    assert "duplicate: the same bytes as document 1 (01-northwind-850.edi)" in out and "unknown partner" in out
    assert len(list((folder / "northwind" / "inbox").glob("*-997-*.edi"))) == 2
    assert len(list((folder / "northwind" / "inbox").glob("*-855-*.edi"))) == 3
    code, again, _ = run(capsys, "demo", "--dir", str(folder))
    assert code == 0 and "IN  4 file(s)" in again, "a second run starts afresh"


def test_demo_refuses_a_folder_it_did_not_make(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(SystemExit, match="not a demo folder"):
        main(["demo", "--dir", str(tmp_path)])
    assert (tmp_path / "mine.txt").exists()


def test_check_reports_problems_with_their_place_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("company:\n  isa_id: X\n  colour: red\n")
    code, _, err = run(capsys, "check", "-c", str(bad))
    assert code == 1 and f"{bad}:3: company.colour: unknown key" in err


def test_check_passes_a_good_file(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "-c", str(config_path))
    assert code == 0 and "ok (1 partner(s), 1 source(s), 3 sink(s), 1 routing rule(s))" in out


def test_config_schema_prints_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "config", "schema")
    assert code == 0 and json.loads(out)["title"] == "crossdock configuration"


def test_poll_status_orders_documents_replay_retry(
    config_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "drop" / "po.edi").write_bytes(interchange([order("PO-77")]))
    (tmp_path / "drop" / "junk.edi").write_bytes(b"hello")
    code, out, _ = run(capsys, "poll", "drop", "-c", str(config_path))
    assert code == 1, "a failed document makes poll exit 1"
    assert "2 new document(s)" in out and "failed" in out and "deliveries: 3 sent, 0 retrying, 0 dead" in out

    code, out, _ = run(capsys, "status", "-c", str(config_path), "--json")
    status = json.loads(out)
    assert status["counts"]["orders"] == {"delivered": 1}
    (failed,) = status["failed_documents"]
    assert failed["remote_name"] == "junk.edi" and "no ISA" in failed["error"]
    code, out, _ = run(capsys, "status", "-c", str(config_path))
    assert "FAILED document" in out and "junk.edi" in out

    code, out, _ = run(capsys, "orders", "list", "-c", str(config_path), "--po", "PO-7*", "--json")
    (listed,) = json.loads(out)
    assert listed["po_number"] == "PO-77" and listed["status"] == "delivered"
    code, out, _ = run(capsys, "orders", "show", "PO-77", "-c", str(config_path))
    assert "order to west: sent" in out and "855 to northwind-inbox: sent" in out
    code, _, err = run(capsys, "orders", "show", "NOPE", "-c", str(config_path))
    assert code == 1 and "no order NOPE" in err

    code, out, _ = run(capsys, "documents", "list", "-c", str(config_path), "--direction", "out", "--json")
    assert sorted(d["kind"] for d in json.loads(out)) == ["855", "997", "order"]
    code, out, _ = run(capsys, "documents", "show", str(failed["id"]), "-c", str(config_path))
    assert "state: failed" in out
    main(["documents", "show", str(failed["id"]), "-c", str(config_path), "--raw"])
    assert capsys.readouterr().out == "hello"

    code, out, _ = run(capsys, "replay", str(failed["id"]), "-c", str(config_path))
    assert code == 1 and "failed" in out
    code, _, err = run(capsys, "retry", "999", "-c", str(config_path))
    assert code == 1 and "no delivery 999" in err


def test_poll_of_an_unknown_source_exits_2(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "poll", "nope", "-c", str(config_path))
    assert code == 2 and "no source named 'nope'" in err


def test_a_broken_configuration_exits_2_with_the_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("company: {}\n")
    code, _, err = run(capsys, "status", "-c", str(bad))
    assert code == 2 and "company.isa_id: required key is missing" in err


def test_run_works_until_sigterm_and_stops_cleanly(config_path: Path, tmp_path: Path) -> None:
    data = yaml.safe_load(config_path.read_text())
    data["sources"]["drop"]["schedule"] = {"every": 0.2}
    data["outbox"] = {"every": 0.2}
    config_path.write_text(yaml.safe_dump(data))
    (tmp_path / "drop" / "po.edi").write_bytes(interchange([order("PO-5")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "crossdock.cli", "run", "-c", str(config_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "CROSSDOCK_LOG_LEVEL": "INFO"},
    )
    try:
        deadline = time.monotonic() + 20
        target = tmp_path / "west" / "northwind-PO-5-r1.json"
        while not target.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert target.exists(), "run delivered the order"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert b"received SIGTERM, stopping" in out
