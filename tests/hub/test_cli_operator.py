"""The command line an operator uses every day: lists, retry, status, poll's progress and totals, --json,
--version, where the configuration comes from, a store that is missing or unreachable, and times with their zone."""

from __future__ import annotations

import io
import json
import logging
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, inspect, select, update

from crossdock.cli import main
from crossdock.core.storage.schema import deliveries, documents
from tests.hub.conftest import base_config, run
from tests.hub.edi import interchange, order

UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def polled(capsys: pytest.CaptureFixture[str], config_path: Path, files: dict[str, bytes]) -> None:
    """Files dropped in the folder source and polled once (what that printed is read and dropped)."""
    for name, data in files.items():
        (config_path.parent / "drop" / name).write_bytes(data)
    main(["poll", "drop", "-c", str(config_path)])
    capsys.readouterr()


def three_orders(capsys: pytest.CaptureFixture[str], config_path: Path) -> None:
    polled(capsys, config_path, {f"po{i}.edi": interchange([order(f"PO-{i}")], control=i) for i in (1, 2, 3)})


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_lists_have_a_header_and_say_when_they_are_cut(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    three_orders(capsys, config_path)
    code, out, err = run(capsys, "orders", "list", "-c", str(config_path), "--limit", "2")
    head, *rows = out.splitlines()
    assert code == 0 and head.split() == ["ORDER", "PARTNER", "PO", "STATUS", "REV", "UPDATED"]
    assert [r.split()[2] for r in rows] == ["PO-3", "PO-2"]
    assert err.strip() == "2 of 3 shown; --limit N shows more"
    code, out, err = run(capsys, "orders", "list", "-c", str(config_path), "--limit", "2", "--json")
    assert len(json.loads(out)) == 2 and "2 of 3 shown" in err, "the JSON stays a list; the notice goes to stderr"
    code, out, err = run(capsys, "orders", "list", "-c", str(config_path))
    assert len(out.splitlines()) == 4 and err == "", "nothing cut, nothing said"

    code, out, err = run(capsys, "documents", "list", "-c", str(config_path), "--direction", "in", "--limit", "1")
    head, *rows = out.splitlines()
    assert head.split() == ["DOCUMENT", "DIR", "KIND", "PARTNER", "STATE", "CREATED", "NAME"]
    assert len(rows) == 1 and rows[0].split()[-1] == "po3.edi"
    assert err.strip() == "1 of 3 shown; --limit N shows more"


@pytest.mark.parametrize(
    ("argv", "valid"),
    [
        (["orders", "list", "--status", "deliverd"], ["'delivered'", "'partially shipped'", "'held'"]),
        (["documents", "list", "--state", "faild"], ["'failed'", "'duplicate'", "'dead'"]),
        (["orders", "list", "--limit", "0"], ["1 or more"]),
    ],
)
def test_an_unknown_filter_value_is_refused_with_the_valid_ones(
    config_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], valid: list[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "-c", str(config_path)])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and all(v in err for v in valid), err


def test_the_filter_values_are_every_state_the_store_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from crossdock.core.storage.states import DOCUMENT_STATES, ORDER_STATUSES

    main(["demo", "--dir", str(tmp_path / "demo")])
    capsys.readouterr()
    engine = create_engine(f"sqlite:///{tmp_path / 'demo' / 'crossdock.db'}")
    with engine.connect() as conn:
        states = set(conn.exec_driver_sql("SELECT DISTINCT state FROM documents").scalars())
        statuses = set(conn.exec_driver_sql("SELECT DISTINCT status FROM orders").scalars())
    engine.dispose()
    assert {"processed", "failed", "duplicate", "sent", "cancelled"} <= states <= set(DOCUMENT_STATES)
    assert statuses and statuses <= set(ORDER_STATUSES)


def _store_url(config_path: Path) -> str:
    return str(yaml.safe_load(config_path.read_text())["store"]["url"])


def test_retry_names_deliveries_and_documents_apart(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    three_orders(capsys, config_path)
    engine = create_engine(_store_url(config_path))
    with engine.begin() as conn:
        first = conn.execute(
            select(deliveries).where(deliveries.c.purpose == "order").order_by(deliveries.c.id)
        ).first()
        assert first is not None
        conn.execute(update(deliveries).where(deliveries.c.id == first.id).values(state="dead", last_error="gone"))
        top = int(conn.execute(select(deliveries.c.id).order_by(deliveries.c.id.desc()).limit(1)).scalar_one())
        last_document = int(conn.execute(select(documents.c.id).order_by(documents.c.id.desc()).limit(1)).scalar_one())
    engine.dispose()
    assert last_document > top, "the three files give more documents than deliveries"

    code, _, err = run(capsys, "retry", str(top + 500), "-c", str(config_path))
    assert code == 1 and err.strip() == f"crossdock: no delivery {top + 500}"
    code, _, err = run(capsys, "retry", str(last_document), "-c", str(config_path))
    assert code == 1 and f"no delivery {last_document}" in err
    assert f"document {last_document} is `crossdock documents show {last_document}`" in err

    what = f"delivery {first.id} (order to {first.sink}, document {first.document_id})"
    code, out, _ = run(capsys, "retry", str(first.id), "-c", str(config_path))
    assert code == 0 and out.strip() == f"{what} queued again"
    code, out, _ = run(capsys, "retry", str(first.id), "-c", str(config_path), "--json")
    assert code == 0 and json.loads(out) == {
        "delivery_id": first.id,
        "state_before": "pending",
        "state": "pending",
        "purpose": "order",
        "sink": first.sink,
        "document_id": first.document_id,
    }
    main(["poll", "drop", "-c", str(config_path)])  # sends it again
    capsys.readouterr()
    code, _, err = run(capsys, "retry", str(first.id), "-c", str(config_path))
    assert code == 1 and f"crossdock: {what} is sent, not dead or pending: nothing to retry" in err


def test_status_json_lists_duplicates_apart_and_no_internal_columns(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = interchange([order("PO-1")])
    polled(capsys, config_path, {"a.edi": data, "b.edi": b"not x12"})
    polled(capsys, config_path, {"a-again.edi": data})
    engine = create_engine(_store_url(config_path))
    with engine.begin() as conn:  # a send that failed once and waits for its next attempt
        conn.execute(
            update(deliveries).where(deliveries.c.purpose == "997").values(state="pending", attempts=1, last_error="x")
        )
    engine.dispose()
    code, out, _ = run(capsys, "status", "-c", str(config_path), "--json")
    status = json.loads(out)
    assert code == 0
    assert [d["remote_name"] for d in status["failed_documents"]] == ["b.edi"]
    assert [d["remote_name"] for d in status["duplicate_documents"]] == ["a-again.edi"]
    (retrying,) = status["retrying_deliveries"]
    rows = status["failed_documents"] + status["duplicate_documents"] + [retrying]
    for row in rows:
        assert not {"insert_sentinel", "identity", "key", "lease_owner", "lease_until"} & set(row), row
        assert UTC_TIME.match(row["created_at"]), row["created_at"]
    assert UTC_TIME.match(retrying["next_attempt_at"])
    assert {"id", "state", "error", "remote_name", "endpoint", "sha256"} <= set(status["failed_documents"][0])
    for key in ("counts", "failing_sources", "failed_documents", "dead_deliveries", "overdue_deliveries"):
        assert key in status, "the keys documented before stay"
    code, out, _ = run(capsys, "status", "-c", str(config_path))
    assert "FAILED document" in out and "DUPLICATE document" in out and "a-again.edi" in out
    assert re.search(
        rf"^RETRYING delivery {retrying['id']} \(997 to northwind-inbox, document {retrying['document_id']}, "
        r"attempt 1, next at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\): x$",
        out,
        re.M,
    ), out


def test_poll_shows_progress_on_a_terminal_and_ends_with_totals(
    config_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    drop = config_path.parent / "drop"
    for i in range(1, 4):
        (drop / f"po{i}.edi").write_bytes(interchange([order(f"PO-{i}")], control=i))
    (drop / "junk.edi").write_bytes(b"hello")
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    code = main(["poll", "drop", "-c", str(config_path)])
    out = capsys.readouterr().out
    assert code == 1, "a failed document makes poll exit 1"
    shown = terminal.getvalue()
    assert "\r\x1b[K" in shown and "new document(s)" in shown and "sending deliveries" in shown
    assert shown.endswith("\r\x1b[K"), "the progress line is taken away before the totals"
    lines = out.splitlines()
    assert lines[0] == "drop: 4 new document(s), 0 already stored"
    assert re.fullmatch(r"  document \d+: failed: junk\.edi: .*", lines[1])
    assert lines[2:] == [
        "documents: 3 processed, 1 failed; orders: 3 new, 0 changed, 0 unchanged",
        "deliveries: 9 sent, 0 retrying, 0 dead",
    ], "totals, not a line per processed document"


def test_a_log_line_starts_clean_under_the_progress_line() -> None:
    from crossdock.progress import ProgressLine

    terminal = Terminal()
    handler = logging.StreamHandler(terminal)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with ProgressLine(terminal) as line:
            line.show("drop: 5 new document(s)")
            logging.getLogger("crossdock.test").warning("document 3 failed")
            line.show("drop: 6 new document(s)", now=True)
    finally:
        root.removeHandler(handler)
    assert terminal.getvalue() == (
        "\r\x1b[Kdrop: 5 new document(s)\r\x1b[Kdocument 3 failed\n\r\x1b[Kdrop: 6 new document(s)\r\x1b[K"
    )
    assert handler.filters == [], "the handler is left as it was"


def test_poll_off_a_terminal_prints_no_progress(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    polled(capsys, config_path, {})
    (config_path.parent / "drop" / "po.edi").write_bytes(interchange([order("PO-1")]))
    code, out, err = run(capsys, "poll", "drop", "-c", str(config_path))
    assert code == 0 and err == "" and "\r" not in out
    assert out.splitlines()[-1] == "deliveries: 3 sent, 0 retrying, 0 dead"


def test_poll_json(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (config_path.parent / "drop" / "po.edi").write_bytes(interchange([order("PO-1"), order("PO-2")]))
    (config_path.parent / "drop" / "junk.edi").write_bytes(b"hello")
    code, out, _ = run(capsys, "poll", "drop", "-c", str(config_path), "--json")
    result = json.loads(out)
    assert code == 1
    (failed,) = result.pop("failed_documents")
    assert failed["state"] == "failed" and "no ISA" in failed["error"] and isinstance(failed["document_id"], int)
    assert result == {
        "source": "drop",
        "skipped": None,
        "error": None,
        "documents": {"new": 2, "already_stored": 0, "processed": 1, "failed": 1, "waiting": 0},
        "orders": {"new": 2, "changed": 0, "unchanged": 0},
        "deliveries": {"sent": 5, "retrying": 0, "dead": 0, "errors": []},
    }
    code, out, _ = run(capsys, "poll", "drop", "-c", str(config_path), "--json", "--no-dispatch")
    assert code == 0 and json.loads(out)["deliveries"] is None


def test_replay_and_resend_json(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    polled(capsys, config_path, {"po.edi": interchange([order("PO-1")])})
    code, out, _ = run(capsys, "documents", "list", "-c", str(config_path), "--json")
    by_kind = {d["kind"]: d["id"] for d in json.loads(out)}
    code, out, _ = run(capsys, "replay", str(by_kind["x12"]), "-c", str(config_path), "--json")
    assert code == 0 and json.loads(out) == {
        "document_id": by_kind["x12"],
        "state": "processed",
        "error": None,
        "orders": {"new": 0, "changed": 0, "unchanged": 1},
        "deliveries": 0,
        "shipments": 0,
        "acknowledgments": 0,
    }
    code, out, _ = run(capsys, "resend", str(by_kind["997"]), "-c", str(config_path), "--json")
    result = json.loads(out)
    assert code == 0 and result["document_id"] == by_kind["997"] and result["new_document_id"] > by_kind["997"]
    code, out, _ = run(capsys, "resend", str(by_kind["997"]), "-c", str(config_path))
    assert f"document {by_kind['997']} queued again as document {result['new_document_id'] + 1}" in out


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out.strip() == f"crossdock {version('crossdock')}"


def test_the_configuration_before_the_subcommand_or_from_the_environment(
    config_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    three_orders(capsys, config_path)
    code, out, _ = run(capsys, "-c", str(config_path), "orders", "list", "--json")
    assert code == 0 and len(json.loads(out)) == 3
    monkeypatch.setenv("CROSSDOCK_CONFIG", str(config_path))
    code, out, _ = run(capsys, "orders", "list", "--json")
    assert code == 0 and len(json.loads(out)) == 3
    monkeypatch.setenv("CROSSDOCK_CONFIG", str(tmp_path / "missing.yaml"))
    for argv in (["-c", str(config_path), "orders", "list"], ["orders", "list", "-c", str(config_path)]):
        code, out, err = run(capsys, *argv)
        assert code == 0 and "PO-3" in out, f"an explicit -c wins over CROSSDOCK_CONFIG: {argv} {err}"
    code, _, err = run(capsys, "orders", "list")
    assert code == 2 and "missing.yaml" in err


def _refused_port() -> int:
    """A loopback port nothing listens on: bound, then let go."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("command", [["status"], ["orders", "list"], ["poll", "drop"], ["run"], ["serve"]])
def test_an_unreachable_postgresql_is_one_line_naming_host_and_port(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    port = _refused_port()
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://crossdock:s3cret-pw@127.0.0.1:{port}/crossdock")
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(base_config(tmp_path, "${DATABASE_URL}")))
    (tmp_path / "drop").mkdir()
    code, out, err = run(capsys, *command, "-c", str(path))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith(
        f"crossdock: cannot reach the database at 127.0.0.1:{port}/crossdock:"
    )
    assert "s3cret" not in err and "Traceback" not in err and "sqlalchemy" not in err.lower()


def test_a_store_that_cannot_be_opened_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "crossdock.db").mkdir()  # a folder where the SQLite file should be
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(base_config(tmp_path, f"sqlite:///{tmp_path}/crossdock.db")))
    code, out, err = run(capsys, "status", "-c", str(path))
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.startswith(f"crossdock: cannot open the SQLite store at {tmp_path}/crossdock.db: unable to open")


def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(inspect(conn).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", [["status"], ["orders", "list"], ["documents", "list"], ["retry", "1"]])
def test_reading_a_store_that_was_never_made_says_so_and_makes_none(
    config_path: Path, store_url: str, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    code, out, err = run(capsys, *command, "-c", str(config_path))
    assert code == 1 and out == ""
    assert "no store exists yet" in err and f"crossdock poll SOURCE -c {config_path}" in err
    if store_url.startswith("sqlite"):
        assert f"at {config_path.parent / 'crossdock.db'}:" in err
        assert not (config_path.parent / "crossdock.db").exists()
    else:
        assert _tables(store_url) == []
    polled(capsys, config_path, {})
    code, out, _ = run(capsys, *command, "-c", str(config_path))
    assert command == ["retry", "1"] or code == 0, "once a command has made the store, it is read"


def test_times_in_the_output_carry_their_zone(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    polled(capsys, config_path, {"po.edi": interchange([order("PO-1")])})
    code, out, _ = run(capsys, "orders", "list", "-c", str(config_path))
    assert UTC_TIME.match(out.splitlines()[1].split()[-1])
    code, out, _ = run(capsys, "orders", "show", "PO-1", "-c", str(config_path), "--json")
    shown: dict[str, Any] = json.loads(out)
    assert UTC_TIME.match(shown["created_at"]) and UTC_TIME.match(shown["events"][0]["at"])
    assert all(UTC_TIME.match(d["next_attempt_at"]) for d in shown["deliveries"])
    code, out, _ = run(capsys, "documents", "show", "1", "-c", str(config_path))
    assert code == 0
    assert re.search(r"^created_at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", out, re.M)
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  received", out, re.M)


def _script() -> tuple[str, Path]:
    """The installed ``crossdock`` script as an operator in the checkout types it, and the folder to type it in."""
    script = Path(sys.executable).parent / "crossdock"
    root = Path(__file__).resolve().parents[2]
    try:
        return str(script.absolute().relative_to(root)), root
    except ValueError:
        return str(script), root


def test_the_demo_hints_work_as_printed_and_the_unknown_sender_can_be_taken(tmp_path: Path) -> None:
    script, cwd = _script()
    folder = tmp_path / "demo"
    done = subprocess.run([script, "demo", "--dir", str(folder)], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    hints = done.stdout.split("\nNEXT\n", 1)[1].splitlines()
    commands = [h.strip() for h in hints if h.strip().startswith(f"{script} ")]
    assert len(commands) == 5, hints
    config_path = folder / "crossdock.yaml"

    def follow(line: str) -> subprocess.CompletedProcess[str]:
        argv = shlex.split(line.split("#", 1)[0])
        return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120)

    for line in commands[:3]:  # status, orders show, documents show
        shown = follow(line)
        assert shown.returncode == 0 and shown.stdout, (line, shown.stderr)
    block = hints[hints.index("        acme:") : hints.index("    then run it again, and send what that queued:")]
    data = yaml.safe_load(config_path.read_text())
    data["partners"].update(yaml.safe_load("\n".join(line[6:] for line in block)))
    config_path.write_text(yaml.safe_dump(data))

    replayed = follow(commands[3])
    assert replayed.returncode == 0 and replayed.stdout.splitlines()[0].endswith(": processed"), replayed.stdout
    sent = follow(commands[4])
    assert sent.returncode == 0 and "deliveries: 4 sent, 0 retrying, 0 dead" in sent.stdout, sent.stdout
    assert len(list((folder / "acme" / "inbox").glob("acme-997-*.edi"))) == 1, "Acme got its 997"


def test_the_demo_names_crossdock_as_it_was_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from crossdock.demo import command

    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    script = bin_dir / "crossdock"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["venv/bin/crossdock", "demo"])
    monkeypatch.setenv("PATH", "/nowhere")
    assert command() == "venv/bin/crossdock"
    monkeypatch.setenv("PATH", str(bin_dir))
    assert command() == "crossdock", "the crossdock on PATH is this one"
    monkeypatch.setattr("sys.argv", ["/usr/lib/python3/pytest"])
    assert command() == f"{sys.executable} -m crossdock.cli"


def _drop_config(tmp_path: Path, min_age: float) -> Path:
    data = base_config(tmp_path, f"sqlite:///{tmp_path}/crossdock.db")
    data["sources"]["drop"]["min_age"] = min_age
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    (tmp_path / "drop").mkdir()
    (tmp_path / "drop" / "po.edi").write_bytes(interchange([order("PO-1")]))
    return path


def test_a_one_shot_poll_takes_its_second_look_and_reads_a_settled_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file is read only once a second look min_age later finds it unchanged: `poll` waits for that look."""
    path = _drop_config(tmp_path, 0.3)
    code, out, _ = run(capsys, "poll", "drop", "-c", str(path), "--json")
    result = json.loads(out)
    assert code == 0 and result["documents"]["new"] == 1 and result["orders"]["new"] == 1
    assert result["documents"]["waiting"] == 0


def test_a_poll_says_which_files_wait_when_min_age_is_too_long_to_wait_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _drop_config(tmp_path, 600)
    code, out, _ = run(capsys, "poll", "drop", "-c", str(path))
    assert code == 0
    assert "1 file(s) not read yet: a file is read once it stays unchanged for the source's min_age" in out
    assert "0 new document(s)" in out
    code, out, _ = run(capsys, "poll", "drop", "-c", str(path), "--json")
    assert json.loads(out)["documents"] == {"new": 0, "already_stored": 0, "processed": 0, "failed": 0, "waiting": 1}
