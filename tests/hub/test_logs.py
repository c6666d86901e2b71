"""The log an operator reads: one line per failed document, failed send, dead letter and alert; the libraries'
chatter only at debug; JSON lines for a log shipper; times in UTC with a Z; secrets redacted in both formats."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from crossdock import logs
from crossdock.cli import main
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.hub import Hub
from crossdock.core.pipeline import replay
from crossdock.core.poller import poll
from crossdock.core.storage.schema import deliveries
from crossdock.core.storage.store import Store
from crossdock.scheduler import Worker
from tests.hub.conftest import base_config, write_config
from tests.hub.edi import interchange, order
from tests.hub.test_outbox import ScriptedSink, dispatcher, queue_one

TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    """Each test sets the log up as a command would; afterwards the process's logging is as it was."""
    root = logging.getLogger()
    handlers, level, secrets = list(root.handlers), root.level, set(logs.REDACTOR.secrets)
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)
    for name in logs.CHATTY:
        logging.getLogger(name).setLevel(logging.NOTSET)
    logs.REDACTOR.secrets = secrets


def err_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().err.splitlines()


def drop(hub: Hub, name: str, data: bytes) -> None:
    (Path(hub.config.sources["drop"].path) / name).write_bytes(data)  # type: ignore[union-attr]


def dead_letters(store: Store, sink: str) -> int:
    with store.transaction() as conn:
        dead = select(func.count()).where(deliveries.c.sink == sink, deliveries.c.state == "dead")
        return int(conn.execute(dead).scalar_one())


def test_a_failed_document_is_one_line_with_its_id_source_file_and_reason(
    hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.setup("info")
    drop(hub, "junk.edi", b"hello, not X12")
    (failed,) = poll(hub, "drop", "me").processed
    assert failed.state == "failed"
    (line,) = err_lines(capsys)
    doc = failed.document_id
    assert re.fullmatch(
        rf"{TIME} WARNING crossdock.pipeline: document {doc} from drop \(junk\.edi\) failed: .*no ISA interchange.*; "
        rf"after fixing the cause: crossdock replay {doc}",
        line,
    ), line


def test_a_rejected_purchase_order_is_one_line_too(hub: Hub, capsys: pytest.CaptureFixture[str]) -> None:
    """Its 997 tells the partner; the line tells the operator that a PO in the file went nowhere."""
    logs.setup("info")
    drop(hub, "bad.edi", interchange([order("PO-1")]).replace(b"BEG*00*SA*PO-1**20261120~", b"BEG*00*SA~"))
    (rejected,) = poll(hub, "drop", "me").processed
    assert rejected.state == "rejected"
    (line,) = err_lines(capsys)
    assert re.fullmatch(
        rf"{TIME} WARNING crossdock.pipeline: document {rejected.document_id} from drop \(bad\.edi\) rejected: "
        r"850 0001 rejected: .*BEG.*",
        line,
    ), line


def test_a_failed_send_and_a_dead_letter_are_one_line_each(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup("info")
    first, second = queue_one(store, "key-1"), queue_one(store, "key-2")
    sink = ScriptedSink([TransientError("wms: 503 Service Unavailable"), PermanentError("wms: 422 unknown SKU")])
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    report = dispatcher(store, sink, initial=60, maximum=60).run_once()
    assert (report.retried, report.dead) == (1, 1)
    retried, dead = err_lines(capsys)
    m = re.fullmatch(
        rf"{TIME} WARNING crossdock.outbox: delivery {first} \(997\) to scripted failed, attempt 1, "
        rf"next attempt ({TIME}): wms: 503 Service Unavailable",
        retried,
    )
    assert m, retried
    next_attempt = dt.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert dt.timedelta(seconds=59) <= next_attempt - before <= dt.timedelta(seconds=62), "UTC, a minute on"
    assert re.fullmatch(
        rf"{TIME} ERROR crossdock.outbox: delivery {second} \(997\) to scripted dead-lettered after 1 attempt\(s\): "
        rf"wms: 422 unknown SKU; after fixing the cause: crossdock retry {second}",
        dead,
    ), dead


def test_an_alert_is_one_line_when_sent_once_per_cause(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = base_config(tmp_path, store_url, alerts={"sink": "ops"})
    cfg["sinks"]["ops"] = {"type": "folder", "path": str(tmp_path / "ops")}
    hub = Hub(write_config(tmp_path, cfg))
    try:
        logs.setup("info")
        drop(hub, "junk.edi", b"hello, not X12")
        (failed,) = poll(hub, "drop", "me").processed
        doc = failed.document_id
        (line,) = err_lines(capsys)
        assert f" crossdock.pipeline: document {doc} from drop (junk.edi) failed: " in line
        assert hub.dispatcher("me").drain().sent == 1
        (alert,) = err_lines(capsys)
        assert re.fullmatch(rf"{TIME} WARNING crossdock.alerts: alert sent to ops: document {doc} failed", alert)
        assert replay(hub, doc).state == "failed"
        assert hub.dispatcher("me").drain().sent == 0
        (again,) = err_lines(capsys)
        assert " crossdock.pipeline: " in again, "failed again, but its alert went once"
    finally:
        hub.close()


@pytest.mark.parametrize(("level", "chatter"), [("info", False), ("debug", True)])
def test_scheduler_and_migration_chatter_only_at_debug(
    tmp_path: Path, store_url: str, caplog: pytest.LogCaptureFixture, level: str, chatter: bool
) -> None:
    logs.setup(level)
    worker = Worker(write_config(tmp_path, base_config(tmp_path, store_url, outbox={"every": 0.1})))
    worker.start()  # a new database: alembic migrates it; the dispatcher job runs at once, then every 0.1 s
    time.sleep(0.5)
    worker.stop()
    libraries = {r.name.split(".")[0] for r in caplog.records} & {"apscheduler", "alembic"}
    messages = " | ".join(r.getMessage() for r in caplog.records)
    assert ("Running job" in messages) is chatter and (libraries == {"apscheduler", "alembic"}) is chatter, messages
    assert "crossdock running as" in messages, "crossdock's own start line is there at both levels"
    if not chatter:
        assert libraries == set()


def test_json_lines_parse_and_carry_the_fields(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup("info", "json")
    delivery = queue_one(store)
    dispatcher(store, ScriptedSink([TransientError("wms: 503")]), initial=30, maximum=30).run_once()
    (line,) = err_lines(capsys)
    entry = json.loads(line)
    assert re.fullmatch(TIME, entry["time"]) and re.fullmatch(TIME, entry["next_attempt"])
    assert entry["level"] == "WARNING" and entry["logger"] == "crossdock.outbox"
    assert entry["message"].startswith(f"delivery {delivery} (997) to scripted failed, attempt 1, next attempt")
    assert {k: entry[k] for k in ("delivery", "sink", "purpose", "attempts", "reason")} == {
        "delivery": delivery,
        "sink": "scripted",
        "purpose": "997",
        "attempts": 1,
        "reason": "wms: 503",
    }


def test_a_failed_document_in_json_names_document_source_and_file(hub: Hub, capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup("warning", "json")
    drop(hub, "junk.edi", b"hello, not X12")
    (failed,) = poll(hub, "drop", "me").processed
    entry = json.loads(err_lines(capsys)[0])
    assert (entry["level"], entry["document"], entry["source"], entry["file"]) == (
        "WARNING",
        failed.document_id,
        "drop",
        "junk.edi",
    )
    assert "no ISA interchange header" in entry["reason"]


@pytest.mark.parametrize("form", ["text", "json"])
def test_secrets_are_redacted_in_both_formats(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    monkeypatch.setenv("WMS_TOKEN", "tok-Sup3rSecret")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://bob:hunter2@db.example:5432/crossdock")
    cfg = base_config(tmp_path, "${DATABASE_URL}")
    cfg["sinks"]["wms"] = {"type": "http", "url": "http://127.0.0.1:9/orders", "auth": "${WMS_TOKEN}"}
    logs.setup("info", form)
    logs.watch(write_config(tmp_path, cfg))
    queue_one(store)
    echoed = TransientError("wms: 401: the token tok-Sup3rSecret is not valid")  # a peer that quotes the header
    dispatcher(store, ScriptedSink([echoed])).run_once()
    log = logging.getLogger("crossdock.test")
    log.warning("store at %s refused the login", "postgresql+psycopg://bob:hunter2@db.example:5432/crossdock")
    log.warning("peer said: password hunter2 expired")
    log.warning("fetching https://alice:pa55w0rd@wms.example/stock")
    out = capsys.readouterr().err
    for secret in ("tok-Sup3rSecret", "hunter2", "pa55w0rd"):
        assert secret not in out
    lines = out.splitlines()
    assert len(lines) == 4
    if form == "json":
        lines = [json.loads(line)["message"] for line in lines]
    assert "the token *** is not valid" in lines[0]
    assert "store at *** refused the login" in lines[1], "the whole URL is the secret here"
    assert "password *** expired" in lines[2]
    assert "https://alice:***@wms.example/stock" in lines[3], "a URL's password, whoever's"


def test_log_options_before_or_after_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    log = logging.getLogger("crossdock.test")
    assert main(["--log-level", "debug", "--log-format", "json", "config", "schema"]) == 0
    log.debug("hello")
    assert json.loads(err_lines(capsys)[-1])["message"] == "hello"
    assert main(["config", "schema", "--log-level", "ERROR"]) == 0
    log.warning("not shown")
    assert err_lines(capsys) == []
    assert main(["config", "schema"]) == 0
    assert logging.getLogger().level == logging.WARNING, "a command's default"
    for bad in (["--log-level", "loud", "config", "schema"], ["config", "schema", "--log-format", "xml"]):
        with pytest.raises(SystemExit) as exited:
            main(bad)
        assert exited.value.code == 2
        assert "invalid choice" in capsys.readouterr().err


def test_the_environment_sets_the_level_and_an_unknown_one_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CROSSDOCK_LOG_LEVEL", "debug")
    assert main(["config", "schema"]) == 0
    assert logging.getLogger().level == logging.DEBUG
    assert main(["--log-level", "error", "config", "schema"]) == 0
    assert logging.getLogger().level == logging.ERROR, "the option wins over the variable"
    monkeypatch.setenv("CROSSDOCK_LOG_LEVEL", "loud")
    with pytest.raises(SystemExit) as exited:
        main(["config", "schema"])
    assert exited.value.code == 2
    assert "CROSSDOCK_LOG_LEVEL='loud' is not one of debug, info, warning, error" in capsys.readouterr().err


def test_run_logs_what_failed_and_nothing_of_the_libraries(tmp_path: Path, store_url: str) -> None:
    """``crossdock run`` at its default level: a failed file, the sends that fail and the dead letter, each once;
    no line from APScheduler or alembic, whose chatter filled the log before."""
    data = base_config(tmp_path, store_url, outbox={"every": 0.2})
    data["sources"]["drop"]["schedule"] = {"every": 0.2}
    data["sinks"]["east"] = {"type": "http", "url": "http://127.0.0.1:9/orders", "timeout": 1}  # nothing listens
    config = tmp_path / "crossdock.yaml"
    config.write_text(yaml.safe_dump(data))
    (tmp_path / "drop").mkdir()
    (tmp_path / "drop" / "junk.edi").write_bytes(b"hello, not X12")
    (tmp_path / "drop" / "po.edi").write_bytes(interchange([order("PO-7", state="NY")]))  # routed to east
    env = {k: v for k, v in os.environ.items() if k != "CROSSDOCK_LOG_LEVEL"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "crossdock.cli", "run", "-c", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    store = Store.open(store_url)
    try:
        deadline = time.monotonic() + 30
        while not dead_letters(store, "east") and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)  # the running job ends, and writes its lines, before run stops
        out, err = proc.communicate(timeout=20)
    finally:
        store.close()
        if proc.poll() is None:
            proc.kill()
    lines = out.decode().splitlines()  # run logs to stdout, for the service manager
    assert proc.returncode == 0 and err == b"", (lines, err)
    assert [line for line in lines if not re.match(rf"{TIME} (INFO|WARNING|ERROR) crossdock\.", line)] == []
    assert len([line for line in lines if "(junk.edi) failed: " in line]) == 1, lines
    retries = [line for line in lines if "(order) to east failed, attempt" in line]
    assert [re.search(r"attempt (\d)", line).group(1) for line in retries] == ["1", "2"], lines  # type: ignore[union-attr]
    assert len([line for line in lines if "(order) to east dead-lettered after 3 attempt(s)" in line]) == 1, lines
