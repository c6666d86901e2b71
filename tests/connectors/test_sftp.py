"""SftpSource and SftpSink against a real OpenSSH sshd on loopback (scripts/peers up), plus key loading."""

from __future__ import annotations

import base64
import hashlib
import os
import time
from datetime import UTC, date, datetime
from pathlib import Path

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from crossdock.connectors.sftp import SftpSink, SftpSource
from crossdock.connectors.ssh import SECURE_DISABLED, Endpoint, load_private_key
from crossdock.core.errors import ConfigError, PermanentError, TransientError
from crossdock.core.ports import X12_CONTENT_TYPE, Inbound, Outbound, Sink, Source
from crossdock.mappings.x12.reader import parse
from tests.faultproxy import FaultProxy
from tests.hub.edi import interchange, order
from tests.peers import SftpPeer, free_port, sftp_sink_config, sftp_source_config

peers = pytest.mark.peers


def read_all(source: SftpSource, settle: bool = False) -> list[Inbound]:
    with source.receive() as documents:
        found = list(documents)
        if settle:
            for document in found:
                document.settle()
    return found


def looked_at(source: SftpSource, seconds_ago: float) -> list[str]:
    """A poll ``seconds_ago`` (the clock the source reads, moved back): what it read; its looks stay on it."""
    with pytest.MonkeyPatch.context() as patch:
        real = time.time
        patch.setattr(time, "time", lambda: real() - seconds_ago)
        return [d.name for d in read_all(source)]


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def host_fingerprint(known_hosts: Path) -> str:
    """The SHA256 fingerprint of the key in a one-line known_hosts file, computed here independently."""
    blob = base64.b64decode(known_hosts.read_text().split()[2])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def outbound(name: str, data: bytes) -> Outbound:
    return Outbound(name=name, data=data, idempotency_key=f"key-{name}")


def locked_sink(peer: SftpPeer, **extra: object) -> SftpSink:
    """A sink logged in as the password user on a folder that user cannot write to."""
    if peer.password_user is None:
        pytest.skip("the SFTP peer has no password user (scripts/peers up was not run as root)")
    (peer.path / "locked").mkdir(mode=0o755)  # owned by root: the password user cannot write here
    config = sftp_sink_config(
        peer,
        username=peer.password_user,
        private_key=None,
        password=f"${{{peer.password_env}}}",
        remote_dir=f"{peer.remote_dir}/locked",
        **extra,
    )
    return SftpSink("wh", config)


# --- source -------------------------------------------------------------------------------------------------


@peers
def test_source_reads_ready_files_in_name_order(sftp_peer: SftpPeer) -> None:
    first_po, second_po = interchange([order("PO-1")]) + b"\r\n", interchange([order("PO-2")], control=2)
    sftp_peer.put("b.edi", second_po)
    sftp_peer.put("a.edi", first_po)
    sftp_peer.put("young.edi", b"still uploading", age=0)
    sftp_peer.put("notes.txt", b"not matching")
    (sftp_peer.path / "sub.edi").mkdir()  # a folder is never a document
    first = SftpSource("acme", sftp_source_config(sftp_peer, pattern="*.edi", min_age=60))
    assert isinstance(first, Source)
    assert looked_at(first, 90) == [], "a first look only remembers"
    source = SftpSource("acme", sftp_source_config(sftp_peer, pattern="*.edi", min_age=60))
    source.looks = first.looks

    found = read_all(source)

    assert [d.name for d in found] == ["a.edi", "b.edi"]
    assert found[0].data == first_po
    stat = (sftp_peer.path / "a.edi").stat()
    remote = f"{sftp_peer.path}/a.edi".lstrip("/")
    assert found[0].identity == f"sftp://127.0.0.1:{sftp_peer.port}/{remote}@{stat.st_size}:{int(stat.st_mtime)}"
    assert found[0].quarantine is None
    # nothing settled: every file is where it was
    assert sftp_peer.files() == ["a.edi", "b.edi", "notes.txt", "young.edi"]


@peers
def test_settle_archives_by_date_and_never_overwrites(sftp_peer: SftpPeer) -> None:
    day = today()
    sftp_peer.put("po.edi", b"new")
    sftp_peer.put("archive/po.edi", b"in the flat archive of before")
    sftp_peer.put(f"archive/{day}/po.edi", b"archived this morning")
    sftp_peer.put(f"archive/{day}/po-1.edi", b"archived at noon")

    found = read_all(SftpSource("acme", sftp_source_config(sftp_peer)), settle=True)

    assert [d.name for d in found] == ["po.edi"]
    assert sftp_peer.files() == [
        f"archive/{day}/po-1.edi",
        f"archive/{day}/po-2.edi",
        f"archive/{day}/po.edi",
        "archive/po.edi",
    ]
    assert (sftp_peer.path / f"archive/{day}/po.edi").read_bytes() == b"archived this morning"
    assert (sftp_peer.path / f"archive/{day}/po-2.edi").read_bytes() == b"new"
    assert (sftp_peer.path / "archive/po.edi").read_bytes() == b"in the flat archive of before"


@peers
def test_settle_creates_a_configured_archive_folder(sftp_peer: SftpPeer) -> None:
    sftp_peer.put("in/po.edi", b"x")
    config = sftp_source_config(
        sftp_peer, remote_dir=f"{sftp_peer.remote_dir}/in", archive_dir=f"{sftp_peer.remote_dir}/done/2024"
    )
    read_all(SftpSource("acme", config), settle=True)
    assert sftp_peer.files() == [f"done/2024/{today()}/po.edi"]


@peers
def test_a_file_that_grew_between_two_looks_is_not_read(sftp_peer: SftpPeer) -> None:
    whole = interchange([order("PO-1")])
    sftp_peer.put("po.edi", whole[:150], age=100)
    first = SftpSource("acme", sftp_source_config(sftp_peer, min_age=30))
    assert looked_at(first, 50) == []
    sftp_peer.put("po.edi", whole, age=45)
    second = SftpSource("acme", sftp_source_config(sftp_peer, min_age=30))
    second.looks = first.looks
    assert looked_at(second, 40) == [], "changed since the first look: it waits again"
    third = SftpSource("acme", sftp_source_config(sftp_peer, min_age=30))
    third.looks = second.looks
    assert [d.data for d in read_all(third)] == [whole]


@peers
def test_a_marker_convention_reads_only_marked_files_and_removes_the_marker(sftp_peer: SftpPeer) -> None:
    sftp_peer.put("a.edi", b"ISA*a", age=0)
    sftp_peer.put("b.edi", b"ISA*b", age=0)
    sftp_peer.put("b.edi.done", b"", age=0)
    sftp_peer.put("c.edi.part", b"ISA*c", age=0)
    config = sftp_source_config(sftp_peer, ready="marker", min_age=3600)
    found = read_all(SftpSource("acme", config), settle=True)
    assert [d.name for d in found] == ["b.edi"]
    assert sftp_peer.files() == ["a.edi", f"archive/{today()}/b.edi", "c.edi.part"]


@peers
def test_a_file_over_max_file_size_is_moved_to_rejected_unread(sftp_peer: SftpPeer) -> None:
    sftp_peer.put("big.edi", b"x" * 3000)
    sftp_peer.put("small.edi", b"ISA*small")
    source = SftpSource("acme", sftp_source_config(sftp_peer, max_file_size="2KB"))
    found = read_all(source, settle=True)
    assert [d.name for d in found] == ["small.edi"]
    assert sftp_peer.files() == [f"archive/{today()}/small.edi", "rejected/big.edi"]
    (reason,) = source.refused
    assert "big.edi is 3000 bytes, more than max_file_size 2000 bytes" in reason and "rejected/big.edi" in reason


@peers
def test_pruning_removes_dated_archive_folders_older_than_archive_days(sftp_peer: SftpPeer) -> None:
    for day in ("2026-01-01", "2026-03-01", "2026-03-30"):
        sftp_peer.put(f"archive/{day}/po.edi", b"x")
    sftp_peer.put("archive/flat.edi", b"kept")
    source = SftpSource("acme", sftp_source_config(sftp_peer, archive_days=7))
    removed = source.prune_archive(date(2026, 4, 1))
    assert [r.rsplit("/", 1)[-1] for r in removed] == ["2026-01-01", "2026-03-01"]
    assert sftp_peer.files() == ["archive/2026-03-30/po.edi", "archive/flat.edi"]
    assert not (sftp_peer.path / "archive/2026-01-01").exists()


@peers
def test_settle_deletes(sftp_peer: SftpPeer) -> None:
    sftp_peer.put("po.edi", b"x")
    found = read_all(SftpSource("acme", sftp_source_config(sftp_peer, after_read="delete")), settle=True)
    assert len(found) == 1
    assert sftp_peer.files() == []


@peers
def test_settle_leaves_a_file_replaced_after_it_was_read(sftp_peer: SftpPeer) -> None:
    sftp_peer.put("po.edi", b"first upload")
    with SftpSource("acme", sftp_source_config(sftp_peer)).receive() as documents:
        (document,) = list(documents)
        sftp_peer.put("po.edi", b"the partner sent a corrected file", age=1800)
        document.settle()
    assert sftp_peer.files() == ["po.edi"]
    assert (sftp_peer.path / "po.edi").read_bytes() == b"the partner sent a corrected file"
    (again,) = read_all(SftpSource("acme", sftp_source_config(sftp_peer)), settle=True)
    assert again.data == b"the partner sent a corrected file" and again.identity != document.identity
    assert sftp_peer.files() == [f"archive/{today()}/po.edi"]


@peers
def test_a_missing_remote_folder_is_permanent(sftp_peer: SftpPeer) -> None:
    source = SftpSource("acme", sftp_source_config(sftp_peer, remote_dir=f"{sftp_peer.remote_dir}/nope"))
    with pytest.raises(PermanentError, match="no such file"), source.receive() as documents:
        list(documents)


@peers
def test_a_file_name_that_is_not_utf8_is_a_permanent_error_that_says_so(sftp_peer: SftpPeer) -> None:
    """paramiko decodes each listed name as UTF-8: the folder cannot be listed until the file is renamed."""
    with open(os.path.join(os.fsencode(sftp_peer.path), b"Bestellung-M\xe4rz.edi"), "wb") as file:
        file.write(b"ISA*~")
    source = SftpSource("acme", sftp_source_config(sftp_peer))
    with pytest.raises(PermanentError) as caught, source.receive() as documents:
        list(documents)
    assert "a file name there is not UTF-8" in str(caught.value) and "rename it on the server" in str(caught.value)
    assert "Bestellung-M" in str(caught.value)


# --- sink ---------------------------------------------------------------------------------------------------


@peers
def test_sink_uploads_under_a_temporary_name_then_renames(sftp_peer: SftpPeer, monkeypatch: pytest.MonkeyPatch) -> None:
    renames: list[tuple[str, str, bool]] = []
    original = paramiko.SFTPClient.posix_rename

    def spy(self: paramiko.SFTPClient, old: str, new: str) -> None:
        renames.append((old, new, Path(old).exists()))  # the SFTP root is not chrooted: remote paths are local
        original(self, old, new)

    monkeypatch.setattr(paramiko.SFTPClient, "posix_rename", spy)
    sink = SftpSink("wh", sftp_sink_config(sftp_peer))
    assert isinstance(sink, Sink)
    data = bytes(range(256)) * 1000
    try:
        where = sink.send(outbound("order-1.json", data))
    finally:
        sink.close()

    final = f"{sftp_peer.path}/order-1.json"
    assert where == final
    assert renames == [(final + ".part", final, True)]  # the .part file was there, complete, before the rename
    assert sftp_peer.files() == ["order-1.json"]
    assert (sftp_peer.path / "order-1.json").read_bytes() == data


@peers
def test_sink_replaces_a_previous_send_and_keeps_one_connection(sftp_peer: SftpPeer) -> None:
    sink = SftpSink("wh", sftp_sink_config(sftp_peer, temp_suffix=".tmp"))
    try:
        sink.send(outbound("o.json", b"first"))
        session = sink._session
        sink.send(outbound("o.json", b"second"))
        assert sink._session is session
    finally:
        sink.close()
    assert sftp_peer.files() == ["o.json"]
    assert (sftp_peer.path / "o.json").read_bytes() == b"second"


@peers
def test_sink_reconnects_once_after_the_connection_dropped(sftp_peer: SftpPeer, cutting_proxy: FaultProxy) -> None:
    config = sftp_sink_config(
        sftp_peer,
        port=cutting_proxy.port,
        known_hosts=None,
        host_key_fingerprint=host_fingerprint(sftp_peer.known_hosts),
    )
    sink = SftpSink("wh", config)
    try:
        sink.send(outbound("1.json", b"one"))
        cutting_proxy.drop_all()
        sink.send(outbound("2.json", b"two"))
    finally:
        sink.close()
    assert cutting_proxy.connections == 2
    assert sftp_peer.files() == ["1.json", "2.json"]


@peers
def test_sink_sends_again_on_a_new_connection_when_the_kept_one_died_unnoticed(
    sftp_peer: SftpPeer, cutting_proxy: FaultProxy
) -> None:
    config = sftp_sink_config(
        sftp_peer,
        port=cutting_proxy.port,
        known_hosts=None,
        host_key_fingerprint=host_fingerprint(sftp_peer.known_hosts),
    )
    sink = SftpSink("wh", config)
    try:
        sink.send(outbound("1.json", b"one"))
        session = sink._session
        assert session is not None
        cutting_proxy.drop_all()
        deadline = time.monotonic() + 5
        while session.alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        real_alive = session.alive
        answers = iter([True])  # the check before sending still believes the connection is up
        session.alive = lambda: next(answers, None) or real_alive()  # type: ignore[method-assign]
        sink.send(outbound("2.json", b"two"))
        assert sink._session is not session
    finally:
        sink.close()
    assert cutting_proxy.connections == 2
    assert sftp_peer.files() == ["1.json", "2.json"]


@peers
def test_sink_refuses_a_name_with_a_path(sftp_peer: SftpPeer) -> None:
    sink = SftpSink("wh", sftp_sink_config(sftp_peer))
    with pytest.raises(PermanentError, match="plain file name"):
        sink.send(outbound("../escape.json", b"x"))
    assert not (sftp_peer.root / "escape.json").exists()


# --- connection cut mid-transfer ----------------------------------------------------------------------------


@peers
def test_download_cut_mid_transfer_is_transient_and_settles_nothing(
    sftp_peer: SftpPeer, cutting_proxy: FaultProxy
) -> None:
    data = bytes(range(256)) * 8192  # 2 MiB
    sftp_peer.put("big.edi", data)
    cutting_proxy.cut_after = 400_000
    config = sftp_source_config(
        sftp_peer,
        port=cutting_proxy.port,
        known_hosts=None,
        host_key_fingerprint=host_fingerprint(sftp_peer.known_hosts),
    )
    source = SftpSource("acme", config)
    started = time.monotonic()
    with pytest.raises(TransientError) as caught, source.receive() as documents:
        for document in documents:
            document.settle()
    assert time.monotonic() - started < 5
    assert cutting_proxy.cuts == 1
    assert f"127.0.0.1:{cutting_proxy.port}" in str(caught.value)
    assert "big.edi" in str(caught.value)
    assert sftp_peer.files() == ["big.edi"]
    assert (sftp_peer.path / "big.edi").read_bytes() == data


@peers
def test_upload_cut_mid_transfer_is_transient_and_leaves_nothing_at_the_final_name(
    sftp_peer: SftpPeer, cutting_proxy: FaultProxy
) -> None:
    cutting_proxy.cut_after = 400_000
    config = sftp_sink_config(
        sftp_peer,
        port=cutting_proxy.port,
        known_hosts=None,
        host_key_fingerprint=host_fingerprint(sftp_peer.known_hosts),
    )
    sink = SftpSink("wh", config)
    try:
        with pytest.raises(TransientError) as caught:
            sink.send(outbound("big.json", bytes(range(256)) * 8192))
    finally:
        sink.close()
    assert "big.json" in str(caught.value)
    assert cutting_proxy.cuts == 1
    assert "big.json" not in sftp_peer.files()  # at most a partial big.json.part


@peers
def test_sink_uploads_interchanges_in_files_of_the_configured_size_at_flush(sftp_peer: SftpPeer) -> None:
    sink = SftpSink("wh", sftp_sink_config(sftp_peer, interchanges_per_file=2))
    docs = [
        Outbound(f"asn-{n}.edi", interchange([order(f"PO{n}")], control=n), f"k{n}", X12_CONTENT_TYPE)
        for n in (1, 2, 3)
    ]
    try:
        where = [sink.send(d) for d in docs]
        assert sftp_peer.files() == [], "nothing is uploaded before the flush"
        sink.flush()
        sink.flush()  # nothing left to upload
    finally:
        sink.close()
    assert where == [f"{sftp_peer.path}/asn-1.edi"] * 2 + [f"{sftp_peer.path}/asn-3.edi"]
    assert sftp_peer.files() == ["asn-1.edi", "asn-3.edi"]
    assert (sftp_peer.path / "asn-1.edi").read_bytes() == docs[0].data + docs[1].data
    assert [i.isa[13] for i in parse((sftp_peer.path / "asn-1.edi").read_bytes())] == ["000000001", "000000002"]
    assert (sftp_peer.path / "asn-3.edi").read_bytes() == docs[2].data


@peers
def test_a_bundle_refused_by_the_server_fails_its_documents_and_leaves_no_file(sftp_peer: SftpPeer) -> None:
    sink = locked_sink(sftp_peer, interchanges_per_file=10)
    try:
        sink.send(Outbound("asn-1.edi", interchange([order("PO1")], control=1), "k1", X12_CONTENT_TYPE))
        ((key, error),) = sink.flush().items()
        assert key == "k1" and isinstance(error, PermanentError) and "permission denied" in str(error)
    finally:
        sink.close()
    assert list((sftp_peer.path / "locked").iterdir()) == []


# --- host keys ----------------------------------------------------------------------------------------------


@peers
def test_host_key_pinned_by_fingerprint_alone(sftp_peer: SftpPeer) -> None:
    sftp_peer.put("po.edi", b"x")
    config = sftp_source_config(
        sftp_peer, known_hosts=None, host_key_fingerprint=host_fingerprint(sftp_peer.known_hosts)
    )
    assert [d.name for d in read_all(SftpSource("acme", config))] == ["po.edi"]


@peers
def test_a_wrong_fingerprint_is_refused(sftp_peer: SftpPeer) -> None:
    wrong = "SHA256:" + base64.b64encode(hashlib.sha256(b"another server").digest()).decode().rstrip("=")
    config = sftp_source_config(sftp_peer, known_hosts=None, host_key_fingerprint=wrong)
    with pytest.raises(PermanentError) as caught, SftpSource("acme", config).receive():
        pass
    message = str(caught.value)
    assert f"127.0.0.1:{sftp_peer.port}" in message
    assert host_fingerprint(sftp_peer.known_hosts) in message  # the key it saw
    assert wrong in message


@peers
def test_a_fingerprint_is_checked_even_when_known_hosts_matches(sftp_peer: SftpPeer) -> None:
    wrong = "SHA256:" + base64.b64encode(hashlib.sha256(b"another server").digest()).decode().rstrip("=")
    config = sftp_source_config(sftp_peer, host_key_fingerprint=wrong)
    with pytest.raises(PermanentError, match="does not match host_key_fingerprint"), SftpSource("a", config).receive():
        pass


@peers
def test_a_changed_host_key_is_refused(sftp_peer: SftpPeer, tmp_path: Path) -> None:
    other = ed25519.Ed25519PrivateKey.generate().public_key()
    line = other.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{sftp_peer.port} {line}\n")
    config = sftp_source_config(sftp_peer, known_hosts=known_hosts)
    with pytest.raises(PermanentError) as caught, SftpSource("acme", config).receive():
        pass
    message = str(caught.value)
    assert f"127.0.0.1:{sftp_peer.port}" in message
    assert host_fingerprint(sftp_peer.known_hosts) in message
    assert host_fingerprint(known_hosts) in message


@peers
def test_a_host_missing_from_known_hosts_is_refused(sftp_peer: SftpPeer, tmp_path: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(sftp_peer.known_hosts.read_text().replace(f"]:{sftp_peer.port} ", "]:2 ", 1))
    config = sftp_source_config(sftp_peer, known_hosts=known_hosts)
    with (
        pytest.raises(PermanentError, match="known_hosts has no key for it") as caught,
        SftpSource("a", config).receive(),
    ):
        pass
    assert host_fingerprint(sftp_peer.known_hosts) in str(caught.value)


# --- credentials and keys -----------------------------------------------------------------------------------


def test_a_password_variable_that_is_not_set_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CROSSDOCK_TEST_NO_SUCH_PASSWORD", raising=False)
    config = sftp_sink_config(
        SftpPeer("127.0.0.1", 1, "u", Path("k"), Path("kh"), Path("/"), ".", "UNUSED"),
        private_key=None,
        password="${CROSSDOCK_TEST_NO_SUCH_PASSWORD}",
    )
    with pytest.raises(ConfigError, match="CROSSDOCK_TEST_NO_SUCH_PASSWORD is not set"):
        SftpSink("wh", config)


@peers
@pytest.mark.parametrize("variable", ["CROSSDOCK_SFTP_ECDSA_KEY", "CROSSDOCK_SFTP_RSA_KEY"])
def test_ecdsa_and_rsa_pem_keys_log_in(sftp_peer: SftpPeer, monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    path = _env_path(variable)
    monkeypatch.setenv("CROSSDOCK_TEST_OTHER_KEY", str(path))
    sftp_peer.put("po.edi", b"x")
    config = sftp_source_config(sftp_peer, private_key="${CROSSDOCK_TEST_OTHER_KEY}")
    assert [d.name for d in read_all(SftpSource("acme", config))] == ["po.edi"]


@peers
def test_key_text_in_the_variable_logs_in(sftp_peer: SftpPeer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDOCK_TEST_KEY_TEXT", sftp_peer.key.read_text())
    sftp_peer.put("po.edi", b"x")
    config = sftp_source_config(sftp_peer, private_key="${CROSSDOCK_TEST_KEY_TEXT}")
    assert [d.name for d in read_all(SftpSource("acme", config))] == ["po.edi"]


@peers
def test_password_login(sftp_peer: SftpPeer) -> None:
    if sftp_peer.password_user is None:
        pytest.skip("the SFTP peer has no password user (scripts/peers up was not run as root)")
    config = sftp_sink_config(
        sftp_peer, username=sftp_peer.password_user, private_key=None, password=f"${{{sftp_peer.password_env}}}"
    )
    sink = SftpSink("wh", config)
    try:
        sink.send(outbound("o.json", b"by password"))
    finally:
        sink.close()
    assert (sftp_peer.path / "o.json").read_bytes() == b"by password"


@peers
def test_permission_denied_is_permanent(sftp_peer: SftpPeer) -> None:
    sink = locked_sink(sftp_peer)
    try:
        with pytest.raises(PermanentError, match="permission denied"):
            sink.send(outbound("o.json", b"x"))
    finally:
        sink.close()


@peers
def test_a_wrong_password_is_permanent_and_not_shown(sftp_peer: SftpPeer, monkeypatch: pytest.MonkeyPatch) -> None:
    user = sftp_peer.password_user or sftp_peer.user
    monkeypatch.setenv("CROSSDOCK_TEST_WRONG_PASSWORD", "hunter2-not-it")
    config = sftp_sink_config(sftp_peer, username=user, private_key=None, password="${CROSSDOCK_TEST_WRONG_PASSWORD}")
    sink = SftpSink("wh", config)
    with pytest.raises(PermanentError, match="refused") as caught:
        sink.send(outbound("o.json", b"x"))
    assert "hunter2" not in str(caught.value)
    assert f"127.0.0.1:{sftp_peer.port}" in str(caught.value)


def test_nothing_answering_is_transient(unused_port: int, tmp_path: Path) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    text = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()
    peer = SftpPeer("127.0.0.1", unused_port, "u", tmp_path, tmp_path, tmp_path, ".", "K")
    config = sftp_sink_config(peer, known_hosts=None, host_key_fingerprint="SHA256:" + "A" * 43)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("K", text)
        sink = SftpSink("wh", config)
    with pytest.raises(TransientError, match=f"127.0.0.1:{unused_port}"):
        sink.send(outbound("o.json", b"x"))


def test_key_loading_errors_never_show_the_key(tmp_path: Path) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.BestAvailableEncryption(b"right"),
    ).decode()
    with pytest.raises(ConfigError, match="encrypted: set private_key_passphrase") as caught:
        load_private_key(encrypted, None, "${K}")
    assert encrypted.splitlines()[1] not in str(caught.value)
    with pytest.raises(ConfigError, match="wrong passphrase"):
        load_private_key(encrypted, "wrong", "${K}")
    assert isinstance(load_private_key(encrypted, "right", "${K}"), paramiko.Ed25519Key)
    garbage = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END OPENSSH PRIVATE KEY-----"
    with pytest.raises(ConfigError, match="not a valid key") as caught:
        load_private_key(garbage, None, "${K}")
    assert "c2VjcmV0" not in str(caught.value)
    with pytest.raises(ConfigError, match="cannot be read") as caught:
        load_private_key(str(tmp_path / "missing"), None, "${K}")
    assert "missing" not in str(caught.value)
    pasted = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()
    headless = pasted.split("\n", 1)[1]  # a secret pasted without its -----BEGIN line is no path either
    for value in (headless, headless.replace("\n", "")):
        with pytest.raises(ConfigError, match=r"neither a key \(no -----BEGIN line\) nor a readable") as caught:
            load_private_key(value, None, "${K}")
        assert "${K}" in str(caught.value)
        assert not any(line in str(caught.value) for line in headless.splitlines()[:-1] if line)
    # a key pasted into a CI secret with literal \n
    one_line = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()
    assert isinstance(load_private_key(one_line.replace("\n", "\\n"), None, "${K}"), paramiko.Ed25519Key)


# --- SHA-1 and ssh-rsa --------------------------------------------------------------------------------------


def test_sha1_and_ssh_rsa_are_disabled_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDOCK_TEST_PW", "x")
    base = SftpPeer("127.0.0.1", 22, "u", tmp_path, tmp_path, tmp_path, ".", "UNUSED")
    modern = Endpoint("a", sftp_sink_config(base, private_key=None, password="${CROSSDOCK_TEST_PW}"))
    legacy = Endpoint(
        "b", sftp_sink_config(base, private_key=None, password="${CROSSDOCK_TEST_PW}", legacy_algorithms=True)
    )
    assert modern.disabled_algorithms() is SECURE_DISABLED
    assert {"diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1", "diffie-hellman-group-exchange-sha1"} <= set(
        SECURE_DISABLED["kex"]
    )
    assert "ssh-rsa" in SECURE_DISABLED["keys"] and "ssh-rsa" in SECURE_DISABLED["pubkeys"]
    assert legacy.disabled_algorithms() == {}


@peers
def test_a_legacy_server_is_refused_by_default_with_the_way_out(sftp_legacy_peer: SftpPeer) -> None:
    sftp_legacy_peer.put("po.edi", b"x")
    source = SftpSource("oldretail", sftp_source_config(sftp_legacy_peer))
    with pytest.raises(PermanentError) as caught, source.receive():
        pass
    message = str(caught.value)
    assert "SHA-1" in message and "ssh-rsa" in message
    assert "legacy_algorithms: true" in message
    assert f"127.0.0.1:{sftp_legacy_peer.port}" in message


@peers
def test_a_legacy_server_is_read_with_legacy_algorithms(sftp_legacy_peer: SftpPeer) -> None:
    sftp_legacy_peer.put("po.edi", b"ISA*legacy~")
    source = SftpSource("oldretail", sftp_source_config(sftp_legacy_peer, legacy_algorithms=True))
    found = read_all(source, settle=True)
    assert [(d.name, d.data) for d in found] == [("po.edi", b"ISA*legacy~")]
    assert sftp_legacy_peer.files() == [f"archive/{today()}/po.edi"]
    # the second connection goes straight to ssh-rsa signatures, learnt on the first
    assert read_all(source) == []


@peers
def test_the_modern_server_accepts_an_rsa_key_with_sha2_signatures(
    sftp_peer: SftpPeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSDOCK_TEST_RSA", str(_env_path("CROSSDOCK_SFTP_RSA_KEY")))
    sink = SftpSink("wh", sftp_sink_config(sftp_peer, private_key="${CROSSDOCK_TEST_RSA}"))
    try:
        sink.send(outbound("o.json", b"x"))
        assert sink._session is not None
        transport = sink._session.client.get_transport()
        assert transport is not None
        assert transport._agreed_pubkey_algorithm in ("rsa-sha2-512", "rsa-sha2-256")  # type: ignore[attr-defined]
    finally:
        sink.close()


def _env_path(variable: str) -> Path:
    value = os.environ.get(variable)
    if not value:
        pytest.skip(f"no SFTP peer key: run scripts/peers up ({variable} unset)")
    return Path(value)


@pytest.fixture
def unused_port() -> int:
    return free_port()
