"""``crossdock check --connect`` on the real loopback peers: one verdict per connector (sshd, Dovecot, SMTP,
PostgreSQL, a local HTTP server), a failing case for each, and nothing read, moved or flagged on any peer."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from crossdock.cli import main
from tests.peers import ImapPeer, SftpPeer, SmtpServer, free_port, imap_source_block, sftp_block


class _Answer(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:
        self.server.heads.append(self.path)  # type: ignore[attr-defined]
        self.send_response(503 if self.path.startswith("/down") else 404 if self.path == "/" else 200)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        """Quiet: the test reads what was asked from ``heads``."""


@pytest.fixture
def web() -> Iterator[http.server.HTTPServer]:
    """A small HTTP server on loopback that answers HEAD: 200, 404 at /, 503 under /down."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _Answer)
    server.heads = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _base(tmp_path: Path, store_url: str) -> dict[str, Any]:
    (tmp_path / "drop").mkdir(exist_ok=True)
    return {
        "store": {"url": store_url},
        "company": {"isa_id": "CROSSDOCK"},
        "sources": {"drop": {"type": "folder", "path": "drop"}},
        "sinks": {"out": {"type": "folder", "path": "out"}},
        "routing": {"default": "out"},
    }


def _smtp(server: SmtpServer) -> dict[str, Any]:
    return {
        "type": "smtp",
        "host": server.host,
        "port": server.port,
        "security": "none",
        "from_address": "hub@crossdock.test",
        "to": ["ops@crossdock.test"],
        "timeout": 5,
    }


def _wrong_known_hosts(tmp_path: Path, peer: SftpPeer) -> Path:
    """A known_hosts that pins another key for the peer's address: what a changed server key looks like."""
    key = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH)
    path = tmp_path / "known_hosts_wrong"
    path.write_text(f"[{peer.host}]:{peer.port} {key.decode()}\n")
    return path


@pytest.mark.peers
def test_every_connector_is_tried_once_and_nothing_on_the_peers_changes(
    tmp_path: Path,
    pg_url: str,
    sftp_peer: SftpPeer,
    imap_peer: ImapPeer,
    smtp_server: SmtpServer,
    web: http.server.HTTPServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = web.server_address[1]
    data = _base(tmp_path, pg_url)
    data["sources"] |= {"partner": sftp_block(sftp_peer, "in"), "mail": imap_source_block(imap_peer)}
    data["sources"]["hook"] = {"type": "http", "path": "/inbound/acme", "token": "${CROSSDOCK_TEST_SFTP_KEY}"}
    data["sinks"] |= {
        "wms": {"type": "http", "url": f"http://127.0.0.1:{port}/orders"},
        "mailer": _smtp(smtp_server),
        "partner-out": sftp_block(sftp_peer, "out"),
        "erp": {
            "type": "odoo",
            "url": f"http://127.0.0.1:{port}/",
            "database": "d",
            "username": "u",
            "api_key": "${CROSSDOCK_TEST_SFTP_KEY}",
        },
    }
    sftp_peer.put("in/po.edi", b"ISA*...")
    imap_peer.append(b"From: p@x.test\r\nSubject: po\r\n\r\nhello\r\n")
    (tmp_path / "drop" / "waiting.edi").write_bytes(b"ISA*...")
    before = {uid: flags for uid, (flags, _) in imap_peer.messages().items()}

    code, out, err = run(capsys, "check", "--connect", "-c", str(write(tmp_path, data)))

    assert code == 0, err
    lines = out.splitlines()[1:]
    assert lines[0].startswith("store (postgresql): ok: connected to 127.0.0.1:")
    verdicts = {line.split(" (")[0]: line for line in lines}
    assert set(verdicts) == {
        "store",
        "source drop",
        "source partner",
        "source mail",
        "source hook",
        "sink out",
        "sink wms",
        "sink mailer",
        "sink partner-out",
        "sink erp",
    }
    assert "ok: logged in as 'root' at 127.0.0.1:" in verdicts["source partner"] and "host key as pinned" in out
    assert f"ok: logged in as {imap_peer.user!r}" in verdicts["source mail"]
    assert "skipped: nothing to connect to" in verdicts["source hook"]
    assert "ok: http://127.0.0.1:" in verdicts["sink wms"] and "(200 OK)" in verdicts["sink wms"]
    assert "(404 Not Found)" in verdicts["sink erp"], "any answer below 500 means the API is reachable"
    assert "ok: connected to 127.0.0.1:" in verdicts["sink mailer"]
    assert "ok: folder" in verdicts["source drop"] and "does not exist yet" in verdicts["sink out"]
    # nothing read, moved, flagged, sent or made
    assert sftp_peer.files("in") == ["po.edi"]
    assert {uid: flags for uid, (flags, _) in imap_peer.messages().items()} == before
    assert (tmp_path / "drop" / "waiting.edi").exists() and not (tmp_path / "out").exists()
    assert smtp_server.messages == []
    assert sorted(web.heads) == ["/", "/orders"]  # type: ignore[attr-defined]


@pytest.mark.peers
def test_each_failure_is_one_line_with_its_reason_and_check_exits_1(
    tmp_path: Path,
    sftp_peer: SftpPeer,
    imap_peer: ImapPeer,
    web: http.server.HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CHECK_WRONG_PASSWORD", "not-the-password")
    closed = free_port()
    data = _base(tmp_path, f"postgresql+psycopg://postgres@127.0.0.1:{closed}/crossdock")
    data["sources"] |= {
        "changed-key": sftp_block(sftp_peer, "in", known_hosts=str(_wrong_known_hosts(tmp_path, sftp_peer))),
        "mail-password": imap_source_block(imap_peer, password="${CHECK_WRONG_PASSWORD}"),
        "mail-closed": imap_source_block(imap_peer, port=closed),
        "mail-no-folder": imap_source_block(imap_peer, folder=f"{imap_peer.folder}-missing"),
    }
    if sftp_peer.password_user:
        data["sources"]["sftp-password"] = sftp_block(
            sftp_peer, "in", username=sftp_peer.password_user, password="${CHECK_WRONG_PASSWORD}", private_key=None
        )
    data["sinks"] |= {
        "wms-down": {"type": "http", "url": f"http://127.0.0.1:{web.server_address[1]}/down"},
        "wms-closed": {"type": "http", "url": f"http://127.0.0.1:{closed}/orders", "timeout": 5},
    }
    path = write(tmp_path, data)

    code, out, err = run(capsys, "check", "--connect", "-c", str(path))

    assert code == 1
    verdicts = {line.split(" (")[0]: line for line in out.splitlines()[1:]}
    assert f"store (postgresql): failed: store: cannot connect to 127.0.0.1:{closed}/crossdock:" in out
    assert "Connection refused" in verdicts["store"]
    assert "failed:" in verdicts["source changed-key"] and "but known_hosts pins" in verdicts["source changed-key"]
    assert "login as" in verdicts["source mail-password"] and "refused" in verdicts["source mail-password"]
    assert "failed:" in verdicts["source mail-closed"] and "refused" in verdicts["source mail-closed"].lower()
    assert "there is no folder" in verdicts["source mail-no-folder"]
    assert "503 Service Unavailable" in verdicts["sink wms-down"]
    assert "failed:" in verdicts["sink wms-closed"] and "ConnectError" in verdicts["sink wms-closed"]
    if sftp_peer.password_user:
        assert "(password not accepted)" in verdicts["source sftp-password"]
    assert "ok" in verdicts["source drop"] and "not-the-password" not in out + err
    failed = sum(" failed: " in line for line in verdicts.values())
    assert f"{failed} of {len(verdicts)} connection(s) failed" in err

    code, out, _ = run(capsys, "check", "--connect", "--json", "-c", str(path))
    report = json.loads(out)
    assert code == 1 and report["ok"] is False and report["problems"] == []
    states = {(c["side"], c["name"]): c["state"] for c in report["connections"]}
    assert states[("store", "store")] == "failed" and states[("source", "drop")] == "ok"
    assert states[("sink", "wms-down")] == "failed"


def test_a_sqlite_store_is_looked_at_not_made(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "data" / "crossdock.db"
    path = write(tmp_path, _base(tmp_path, f"sqlite:///{db}"))
    code, out, _ = run(capsys, "check", "--connect", "-c", str(path))
    assert code == 0 and f"store (sqlite): ok: SQLite file {db} does not exist yet" in out
    assert not db.exists() and not db.parent.exists()
    db.parent.mkdir()
    db.write_bytes(b"not a database at all")
    code, out, _ = run(capsys, "check", "--connect", "-c", str(path))
    assert code == 1 and "is not a SQLite database" in out


def test_connect_is_not_tried_on_a_file_with_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _base(tmp_path, f"sqlite:///{tmp_path}/x.db")
    data["sinks"]["wms"] = {"type": "http", "url": "http://127.0.0.1:9/orders", "colour": "red"}
    code, out, err = run(capsys, "check", "--connect", "-c", str(write(tmp_path, data)))
    assert code == 1 and out == "" and "sinks.wms.colour: unknown key" in err
    assert "no connection tried: fix the problems first" in err


def test_a_sink_folder_that_cannot_be_made_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a-file").write_text("")
    data = _base(tmp_path, f"sqlite:///{tmp_path}/x.db")
    data["sinks"]["out"]["path"] = "a-file/out"
    code, out, _ = run(capsys, "check", "--connect", "-c", str(write(tmp_path, data)))
    assert code == 1 and f"sink out (folder): failed: sink out: {tmp_path / 'a-file'} is not a folder" in out


def test_every_source_and_sink_type_has_a_probe() -> None:
    """A new connector type must say how check --connect tries it; only an http source (ours) has nothing to try."""
    from crossdock.core import registry

    assert set(registry.SOURCE_PROBES) == set(registry.SOURCES)
    assert set(registry.SINK_PROBES) == set(registry.SINKS)
    assert registry.probe("source", "http") is None
    assert all(registry.probe("sink", kind) is not None for kind in registry.SINKS)
