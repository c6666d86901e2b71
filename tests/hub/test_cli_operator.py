"""The command line an operator uses every day: a store that is missing or unreachable."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, inspect

from crossdock.cli import main
from tests.hub.conftest import base_config


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def config(tmp_path: Path, store_url: str) -> Path:
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(base_config(tmp_path, store_url)))
    (tmp_path / "drop").mkdir()
    return path


def polled(capsys: pytest.CaptureFixture[str], config: Path, files: dict[str, bytes]) -> None:
    """Files dropped in the folder source and polled once (what that printed is read and dropped)."""
    for name, data in files.items():
        (config.parent / "drop" / name).write_bytes(data)
    main(["poll", "drop", "-c", str(config)])
    capsys.readouterr()


def _refused_port() -> int:
    """A loopback port nothing listens on: bound, then let go."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("command", [["status"], ["orders", "list"], ["poll", "drop"]])
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


def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(inspect(conn).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", [["status"], ["orders", "list"], ["documents", "list"], ["retry", "1"]])
def test_reading_a_store_that_was_never_made_says_so_and_makes_none(
    config: Path, store_url: str, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    code, out, err = run(capsys, *command, "-c", str(config))
    assert code == 1 and out == ""
    assert "no store exists yet" in err and f"crossdock poll SOURCE -c {config}" in err
    if store_url.startswith("sqlite"):
        assert f"at {config.parent / 'crossdock.db'}:" in err
        assert not (config.parent / "crossdock.db").exists()
    else:
        assert _tables(store_url) == []
    polled(capsys, config, {})
    code, out, _ = run(capsys, *command, "-c", str(config))
    assert command == ["retry", "1"] or code == 0, "once a command has made the store, it is read"
