"""Where the log goes: stderr for the commands whose stdout is data, stdout for run and serve (the service
manager collects it), or a file rotated by size when the configuration names one."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from crossdock import logs
from crossdock.core.configuration.house import LoggingConfig
from crossdock.core.errors import ConfigError
from tests.hub.conftest import base_config, run


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level, secrets = list(root.handlers), root.level, set(logs.REDACTOR.secrets)
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    logs.REDACTOR.secrets = secrets


def test_commands_log_to_stderr_and_services_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup("info")
    logging.getLogger("crossdock.test").info("for stderr")
    out, err = capsys.readouterr()
    assert out == "" and "INFO crossdock.test: for stderr" in err
    logs.for_service(LoggingConfig())
    logging.getLogger("crossdock.test").warning("for stdout")
    out, err = capsys.readouterr()
    assert err == "" and "WARNING crossdock.test: for stdout" in out
    assert len([h for h in logging.getLogger().handlers if isinstance(h, logs._Handler)]) == 1, "replaced, not added"


def test_the_service_log_keeps_its_format_and_redaction(capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup("info", "json")
    logs.REDACTOR.add(["hunter2-token"])
    logs.for_service(LoggingConfig())
    logging.getLogger("crossdock.test").info("token hunter2-token refused")
    out = capsys.readouterr().out
    assert out.startswith("{") and '"message": "token *** refused"' in out and "hunter2" not in out


def test_a_log_file_is_rotated_at_its_size_keeping_its_backups(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.setup("info")
    path = tmp_path / "log" / "crossdock.log"  # its folder is made
    logs.for_service(LoggingConfig(file=path, max_size=2048, backups=2))
    for i in range(200):
        logging.getLogger("crossdock.test").info("line %03d of the rotated log", i)
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    assert sorted(p.name for p in path.parent.iterdir()) == ["crossdock.log", "crossdock.log.1", "crossdock.log.2"]
    assert all(p.stat().st_size <= 2048 for p in path.parent.iterdir())
    assert "line 199 of the rotated log" in path.read_text(), "the newest lines are in the file itself"
    assert "line 000" not in "".join(p.read_text() for p in path.parent.iterdir()), "older ones rotated away"


def test_a_log_file_that_cannot_be_opened_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    with pytest.raises(ConfigError, match=r"logging.file .*taken: cannot be opened: Is a directory"):
        logs.for_service(LoggingConfig(file=tmp_path / "taken"))


def test_run_with_a_bad_log_file_says_so_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "taken").mkdir()
    data = base_config(tmp_path, f"sqlite:///{tmp_path}/crossdock.db", logging={"file": "taken"})
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    code, out, err = run(capsys, "run", "-c", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "logging.file" in err and "taken: cannot be opened" in err


@pytest.mark.parametrize(("block", "key"), [({"backups": 0}, "backups"), ({"max_size": 10}, "max_size")])
def test_rotation_that_would_never_rotate_or_thrash_is_refused(tmp_path: Path, block: dict[str, int], key: str) -> None:
    data = base_config(tmp_path, f"sqlite:///{tmp_path}/crossdock.db", logging={"file": "x.log", **block})
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    done = subprocess.run(
        [sys.executable, "-m", "crossdock.cli", "check", "--no-secrets", "-c", str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and f"logging.{key}" in done.stderr


def test_run_writes_its_log_to_the_configured_file(tmp_path: Path) -> None:
    data = base_config(tmp_path, f"sqlite:///{tmp_path}/crossdock.db", logging={"file": "logs/run.log"})
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    (tmp_path / "drop").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "CROSSDOCK_LOG_LEVEL"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "crossdock.cli", "run", "-c", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    log = tmp_path / "logs" / "run.log"  # read from the configuration file's folder
    try:
        deadline = time.monotonic() + 20
        while "crossdock running as" not in (log.read_text() if log.exists() else "") and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and out == b"" and err == b""
    text = log.read_text()
    assert "INFO crossdock.scheduler: crossdock running as" in text and "received SIGTERM" in text
