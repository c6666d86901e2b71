"""Fixtures for the real loopback peers that ``scripts/peers up`` starts, so connector tests meet real servers.

Each fixture reads the variables ``scripts/peers up`` writes to ``/tmp/crossdock-peers/env`` and skips, saying
which one is missing, when its peer is not there (CI sets CROSSDOCK_REQUIRE_PEERS=1, which turns that skip into a
failure). Every test gets its own remote folder or mailbox, removed afterwards, so tests never see each other's
files. Secrets reach the configuration only as ``${VAR}`` references: the fixtures put them in test variables.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from crossdock.connectors.imap_config import ImapSourceConfig
from crossdock.connectors.sftp_config import SftpSinkConfig, SftpSourceConfig
from crossdock.connectors.smtp_config import SmtpSinkConfig
from tests.faultproxy import FaultProxy

HINT = "run scripts/peers up, then source /tmp/crossdock-peers/env"


def _env(name: str, peer: str) -> str:
    value = os.environ.get(name)
    if not value:
        why = os.environ.get("CROSSDOCK_PEERS_UNAVAILABLE")  # written by scripts/peers up when it cannot start them
        pytest.skip(f"no {peer} peer: {why}" if why else f"no {peer} peer: {HINT} ({name} unset)")
    return value


def _listening(host: str, port: int, peer: str) -> None:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        pytest.skip(f"no {peer} peer: nothing answers on {host}:{port} ({exc.strerror}); {HINT}")


# --- SFTP ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SftpPeer:
    """An sshd whose SFTP login folder is the local folder ``root``; ``remote_dir`` is this test's own folder."""

    host: str
    port: int
    user: str
    key: Path
    known_hosts: Path
    root: Path
    remote_dir: str
    key_env: str  # the variable holding the key's path, for ``private_key: ${...}``
    password_user: str | None = None
    password_env: str | None = None  # the variable holding password_user's password

    @property
    def path(self) -> Path:
        """The local view of ``remote_dir``."""
        return self.root / self.remote_dir

    def put(self, name: str, data: bytes, age: float = 3600.0) -> Path:
        """A file in this test's folder, last modified ``age`` seconds ago."""
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        when = time.time() - age
        os.utime(path, (when, when))
        return path

    def files(self, under: str = "") -> list[str]:
        """Every file below this test's folder (or ``under`` it), as sorted relative paths."""
        base = self.path / under
        return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file())


@contextmanager
def _test_folder(root: Path) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:12]}"
    folder = root / name
    folder.mkdir()
    folder.chmod(0o777)  # the password user is not root
    try:
        yield name
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def sftp_peer(monkeypatch: pytest.MonkeyPatch) -> Iterator[SftpPeer]:
    port = int(_env("CROSSDOCK_SFTP_PORT", "SFTP"))
    host = _env("CROSSDOCK_SFTP_HOST", "SFTP")
    user = _env("CROSSDOCK_SFTP_USER", "SFTP")
    key = Path(_env("CROSSDOCK_SFTP_KEY", "SFTP"))
    known_hosts = Path(_env("CROSSDOCK_SFTP_KNOWN_HOSTS", "SFTP"))
    root = Path(_env("CROSSDOCK_SFTP_ROOT", "SFTP"))
    _listening(host, port, "SFTP")
    monkeypatch.setenv("CROSSDOCK_TEST_SFTP_KEY", str(key))
    password_user = os.environ.get("CROSSDOCK_SFTP_PASSWORD_USER") or None
    if password_user:
        monkeypatch.setenv("CROSSDOCK_TEST_SFTP_PASSWORD", os.environ.get("CROSSDOCK_SFTP_PASSWORD", ""))
    with _test_folder(root) as folder:
        yield SftpPeer(
            host=host,
            port=port,
            user=user,
            key=key,
            known_hosts=known_hosts,
            root=root,
            remote_dir=folder,
            key_env="CROSSDOCK_TEST_SFTP_KEY",
            password_user=password_user,
            password_env="CROSSDOCK_TEST_SFTP_PASSWORD" if password_user else None,
        )


@pytest.fixture
def sftp_legacy_peer(monkeypatch: pytest.MonkeyPatch) -> Iterator[SftpPeer]:
    """The sshd that speaks only diffie-hellman-group14-sha1 and ssh-rsa; logs in with the RSA client key."""
    port = int(_env("CROSSDOCK_SFTP_LEGACY_PORT", "legacy SFTP"))
    host = _env("CROSSDOCK_SFTP_HOST", "legacy SFTP")
    user = _env("CROSSDOCK_SFTP_USER", "legacy SFTP")
    key = Path(_env("CROSSDOCK_SFTP_RSA_KEY", "legacy SFTP"))
    known_hosts = Path(_env("CROSSDOCK_SFTP_LEGACY_KNOWN_HOSTS", "legacy SFTP"))
    root = Path(_env("CROSSDOCK_SFTP_ROOT", "legacy SFTP"))
    _listening(host, port, "legacy SFTP")
    monkeypatch.setenv("CROSSDOCK_TEST_SFTP_LEGACY_KEY", str(key))
    with _test_folder(root) as folder:
        yield SftpPeer(host, port, user, key, known_hosts, root, folder, "CROSSDOCK_TEST_SFTP_LEGACY_KEY")


def _sftp_fields(peer: SftpPeer, overrides: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "type": "sftp",
        "host": peer.host,
        "port": peer.port,
        "username": peer.user,
        "private_key": f"${{{peer.key_env}}}",
        "known_hosts": peer.known_hosts,
        "remote_dir": peer.remote_dir,
        "timeout": 5.0,
    }
    fields.update(overrides)
    return fields


def sftp_block(peer: SftpPeer, folder: str, **overrides: Any) -> dict[str, Any]:
    """A YAML-ready sftp block on ``folder`` (made if missing) under this test's folder on the peer."""
    (peer.path / folder).mkdir(parents=True, exist_ok=True)
    return _sftp_fields(
        peer, {"known_hosts": str(peer.known_hosts), "remote_dir": f"{peer.remote_dir}/{folder}", **overrides}
    )


def sftp_source_config(peer: SftpPeer, **overrides: Any) -> SftpSourceConfig:
    """A source reading the peer's per-test folder, with no minimum age unless ``min_age`` is given."""
    return SftpSourceConfig.model_validate(_sftp_fields(peer, {"min_age": 0, **overrides}))


def sftp_sink_config(peer: SftpPeer, **overrides: Any) -> SftpSinkConfig:
    return SftpSinkConfig.model_validate(_sftp_fields(peer, overrides))


# --- the SFTP peer behind a fault proxy ---------------------------------------------------------------------


@pytest.fixture
def cutting_proxy(sftp_peer: SftpPeer) -> Iterator[FaultProxy]:
    """A fault proxy to the SFTP peer (pin the host key by fingerprint: known_hosts names the real port)."""
    proxy = FaultProxy(sftp_peer.port, sftp_peer.host)
    try:
        yield proxy
    finally:
        proxy.close()


# --- IMAP ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImapPeer:
    """The Dovecot user and this test's own mailbox ``folder`` (deleted afterwards, with its subfolders)."""

    host: str
    port: int
    user: str
    password: str
    folder: str
    password_env: str

    def client(self) -> Any:
        from imapclient import IMAPClient  # type: ignore[import-untyped]

        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, message: bytes | EmailMessage, folder: str | None = None, flags: tuple[str, ...] = ()) -> None:
        raw = message.as_bytes() if isinstance(message, EmailMessage) else message
        client = self.client()
        try:
            client.append(folder or self.folder, raw, flags=flags)
        finally:
            client.logout()

    def messages(self, folder: str | None = None) -> dict[int, tuple[set[str], EmailMessage]]:
        """uid -> (flags, message) of every message in ``folder``, read without marking anything seen."""
        client = self.client()
        try:
            if not client.folder_exists(folder or self.folder):
                return {}
            client.select_folder(folder or self.folder, readonly=True)
            uids = client.search(["ALL"])
            found = client.fetch(uids, ["FLAGS", "BODY.PEEK[]"]) if uids else {}
            return {
                uid: (
                    {f.decode() for f in data[b"FLAGS"]},
                    message_from_bytes(data[b"BODY[]"], _class=EmailMessage, policy=policy.default),
                )
                for uid, data in found.items()
            }
        finally:
            client.logout()


@pytest.fixture
def imap_peer(monkeypatch: pytest.MonkeyPatch) -> Iterator[ImapPeer]:
    host = _env("CROSSDOCK_IMAP_HOST", "IMAP")
    port = int(_env("CROSSDOCK_IMAP_PORT", "IMAP"))
    user = _env("CROSSDOCK_IMAP_USER", "IMAP")
    password = _env("CROSSDOCK_IMAP_PASSWORD", "IMAP")
    _listening(host, port, "IMAP")
    monkeypatch.setenv("CROSSDOCK_TEST_IMAP_PASSWORD", password)
    peer = ImapPeer(host, port, user, password, f"t-{uuid.uuid4().hex[:12]}", "CROSSDOCK_TEST_IMAP_PASSWORD")
    client = peer.client()
    try:
        client.create_folder(peer.folder)
    finally:
        client.logout()
    try:
        yield peer
    finally:
        client = peer.client()
        try:
            ours = [f[2] for f in client.list_folders() if f[2] == peer.folder or f[2].startswith(peer.folder + "/")]
            for folder in sorted(ours, key=len, reverse=True):
                client.delete_folder(folder)
        finally:
            client.logout()


TEST_SENDERS = ["@partner.test", "@acme.test"]  # the senders of the tests' mail


def imap_source_block(peer: ImapPeer, **overrides: Any) -> dict[str, Any]:
    """A plain-IMAP source on the test's folder, as a configuration file writes it."""
    return {
        "type": "imap",
        "host": peer.host,
        "port": peer.port,
        "security": "none",
        "username": peer.user,
        "password": f"${{{peer.password_env}}}",
        "folder": peer.folder,
        "timeout": 5.0,
        "allowed_senders": TEST_SENDERS,
        **overrides,
    }


def imap_source_config(peer: ImapPeer, **overrides: Any) -> ImapSourceConfig:
    """A plain-IMAP source on the test's folder; quarantine and processed folders live under it."""
    fields = imap_source_block(peer, quarantine_folder=f"{peer.folder}/Quarantine")
    return ImapSourceConfig.model_validate({**fields, **overrides})


# --- SMTP ---------------------------------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, _class=EmailMessage, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpServer:
    """An in-process aiosmtpd server; set ``rcpt_reply`` or ``data_reply`` (``"550 no"``) to refuse mail."""

    host: str
    port: int
    messages: list[ReceivedMail] = field(default_factory=list)
    rcpt_reply: str | None = None
    data_reply: str | None = None


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.server.rcpt_reply is not None:
            return self.server.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.server.data_reply is not None:
            return self.server.data_reply
        self.server.messages.append(
            ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 OK"


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (aiosmtpd's Controller cannot take port 0: its ready check fails)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    server = SmtpServer("127.0.0.1", free_port())
    controller = Controller(_Handler(server), hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def smtp_sink_config(server: SmtpServer, **overrides: Any) -> SmtpSinkConfig:
    fields: dict[str, Any] = {
        "type": "smtp",
        "host": server.host,
        "port": server.port,
        "security": "none",
        "from_address": "crossdock <hub@crossdock.test>",
        "to": ["orders@partner.test"],
        "timeout": 5.0,
    }
    fields.update(overrides)
    return SmtpSinkConfig.model_validate(fields)


# --- PostgreSQL ---------------------------------------------------------------------------------------------


@pytest.fixture
def pg_url() -> str:
    """``postgresql+psycopg://`` URL of the private cluster's crossdock_test database."""
    from sqlalchemy.engine import make_url

    url = _env("CROSSDOCK_PG_URL", "PostgreSQL")
    parsed = make_url(url)
    _listening(parsed.host or "127.0.0.1", parsed.port or 5432, "PostgreSQL")
    return url
