"""End to end on the real sshd: 850s on the partner's server become stored, routed orders delivered to a
warehouse folder, with 997s and 855s uploaded back to the partner with correct, unique control numbers.
Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paramiko
import pytest
import yaml

from crossdock.connectors.ssh import fingerprint
from crossdock.core.configuration.config import load_config
from crossdock.core.hub import Hub
from crossdock.core.outbox import Dispatcher
from crossdock.core.poller import poll
from crossdock.core.retry import RetryPolicy
from crossdock.core.storage.queries import Queries
from crossdock.mappings.x12.reader import parse
from tests.faultproxy import FaultProxy
from tests.hub.edi import interchange, order
from tests.peers import SftpPeer, sftp_block

pytestmark = pytest.mark.peers


def _hub(
    tmp_path: Path,
    store_url: str,
    peer: SftpPeer,
    source: dict[str, Any] | None = None,
    sink: dict[str, Any] | None = None,
) -> Hub:
    data = {
        "store": {"url": store_url},
        "company": {"isa_id": "CROSSDOCK"},
        "partners": {
            "northwind": {"isa_qualifier": "ZZ", "isa_id": "NORTHWIND", "send_855": True, "reply_to": "northwind-sftp"}
        },
        "sources": {"northwind-sftp": {**sftp_block(peer, "out", min_age=0, pattern="*.edi"), **(source or {})}},
        "sinks": {
            "northwind-sftp": {**sftp_block(peer, "in"), **(sink or {})},
            "warehouse": {"type": "folder", "path": str(tmp_path / "warehouse")},
        },
        "routing": {"default": "warehouse"},
        "retry": {"max_attempts": 3, "initial": 0, "maximum": 0, "jitter": 0},
    }
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    return Hub(load_config(path))


def _pinned(peer: SftpPeer) -> str:
    """The server key's fingerprint: through the proxy, known_hosts (which names the real port) cannot pin it."""
    keys = paramiko.HostKeys(str(peer.known_hosts)).lookup(f"[{peer.host}]:{peer.port}")
    assert keys is not None
    return fingerprint(next(iter(keys.values())))


def test_850s_on_sshd_become_orders_delivered_and_answered(tmp_path: Path, store_url: str, sftp_peer: SftpPeer) -> None:
    sftp_peer.put("out/po-1.edi", interchange([order("PO-1"), order("PO-2")], control=101))
    sftp_peer.put("out/po-2.edi", interchange([order("PO-3")], control=102))
    sftp_peer.put("out/po-1-again.edi", interchange([order("PO-1"), order("PO-2")], control=101))
    sftp_peer.put("out/notes.txt", b"not an order file")
    hub = _hub(tmp_path, store_url, sftp_peer)
    try:
        report = poll(hub, "northwind-sftp", "w1")
        assert (
            report.error is None and report.received == 3 and [p.state for p in report.processed] == ["processed"] * 2
        )
        sent = Dispatcher(hub.store, hub.sink, RetryPolicy(hub.config.retry), owner="w1").drain()
        assert sent.dead == 0 and sent.retried == 0
        with hub.store.transaction() as conn:
            stored = Queries(hub.store).orders(conn)
    finally:
        hub.close()

    assert sorted(o["po_number"] for o in stored) == ["PO-1", "PO-2", "PO-3"]
    assert {o["status"] for o in stored} == {"delivered"}
    delivered = sorted((tmp_path / "warehouse").iterdir())
    assert [json.loads(p.read_text())["po_number"] for p in delivered] == ["PO-1", "PO-2", "PO-3"]

    day = datetime.now(UTC).strftime("%Y-%m-%d")
    archived = [f"archive/{day}/{name}" for name in ("po-1-again.edi", "po-1.edi", "po-2.edi")]
    assert sftp_peer.files("out") == [*archived, "notes.txt"]
    answers = sftp_peer.files("in")
    assert not [name for name in answers if name.endswith(".part")]
    assert sorted(name.split("-")[1] for name in answers) == ["855", "855", "855", "997", "997"]
    interchanges = [parse((sftp_peer.path / "in" / name).read_bytes())[0] for name in answers]
    assert sorted(int(ic.control) for ic in interchanges) == [1, 2, 3, 4, 5], "unique, gap-free ISA13"
    for ic in interchanges:
        assert (ic.sender_id, ic.receiver_id) == ("CROSSDOCK", "NORTHWIND")
    acks = [ic for ic in interchanges if ic.groups[0].functional_id == "FA"]
    assert sorted(ic.groups[0].transactions[0].texts[1] for ic in acks) == ["AK1*PO*101", "AK1*PO*102"]


def test_a_connection_dropped_mid_transfer_loses_nothing(
    tmp_path: Path, store_url: str, sftp_peer: SftpPeer, cutting_proxy: FaultProxy
) -> None:
    data = interchange([order(f"PO-{i}") for i in range(40)], control=7)
    sftp_peer.put("out/big.edi", data)
    via_proxy = {"port": cutting_proxy.port, "known_hosts": None, "host_key_fingerprint": _pinned(sftp_peer)}
    hub = _hub(tmp_path, store_url, sftp_peer, source=via_proxy)
    try:
        cutting_proxy.cut_after = 12_000  # through the handshake and login, into the download
        report = poll(hub, "northwind-sftp", "w1")
        assert cutting_proxy.cuts >= 1
        assert report.error is not None and report.received == 0
        with hub.store.transaction() as conn:
            problems = Queries(hub.store).problems(conn)
            assert Queries(hub.store).documents(conn) == [], "nothing half-read was stored"
        assert "northwind-sftp" in [s["source"] for s in problems["failing_sources"]]
        assert sftp_peer.files("out") == ["big.edi"], "the partner's file stays until it is stored"

        cutting_proxy.cut_after = None
        again = poll(hub, "northwind-sftp", "w1")
        assert again.error is None and again.received == 1 and again.processed[0].orders_new == 40
        with hub.store.transaction() as conn:
            (doc,) = Queries(hub.store).documents(conn, direction="in")
            assert Queries(hub.store).data(conn, doc["id"]) == data, "the raw bytes, exactly"
            assert Queries(hub.store).problems(conn)["failing_sources"] == []
        assert sftp_peer.files("out") == [f"archive/{datetime.now(UTC):%Y-%m-%d}/big.edi"]
    finally:
        hub.close()


def test_an_upload_cut_off_is_retried_and_never_leaves_a_partial_file(
    tmp_path: Path, store_url: str, sftp_peer: SftpPeer, cutting_proxy: FaultProxy
) -> None:
    sftp_peer.put("out/po.edi", interchange([order(f"PO-{i}") for i in range(40)]))  # a 997 and 40 855s to upload
    via_proxy = {"port": cutting_proxy.port, "known_hosts": None, "host_key_fingerprint": _pinned(sftp_peer)}
    hub = _hub(tmp_path, store_url, sftp_peer, sink=via_proxy)
    try:
        poll(hub, "northwind-sftp", "w1")
        cutting_proxy.cut_after = 12_000  # every connection is cut past its handshake and login, mid-upload
        first = Dispatcher(hub.store, hub.sink, RetryPolicy(hub.config.retry), owner="w1").run_once()
        assert cutting_proxy.cuts >= 1
        for name in sftp_peer.files("in"):
            if not name.endswith(".part"):
                assert parse((sftp_peer.path / "in" / name).read_bytes()), f"{name} is complete"
        cutting_proxy.cut_after = None
        rest = Dispatcher(hub.store, hub.sink, RetryPolicy(hub.config.retry), owner="w1").drain()
        assert first.sent + rest.sent == 81 and first.dead + rest.dead == 0
        finals = sftp_peer.files("in")
        assert sorted(n.split("-")[1] for n in finals) == ["855"] * 40 + ["997"], "no .part file is left behind"
        for name in finals:
            assert parse((sftp_peer.path / "in" / name).read_bytes())
    finally:
        hub.close()


def test_a_partner_server_that_refuses_the_upload_dead_letters_with_the_reason(
    tmp_path: Path, store_url: str, sftp_peer: SftpPeer
) -> None:
    sftp_peer.put("out/po.edi", interchange([order("PO-1")]))
    hub = _hub(tmp_path, store_url, sftp_peer, sink={"remote_dir": f"{sftp_peer.remote_dir}/no-such-folder"})
    try:
        poll(hub, "northwind-sftp", "w1")
        report = hub.dispatcher("w1").drain()
        assert report.dead == 2 and report.sent == 1, "the 997 and the 855 are refused; the order is delivered"
        with hub.store.transaction() as conn:
            dead = Queries(hub.store).problems(conn)["dead_deliveries"]
        assert {d["purpose"] for d in dead} == {"997", "855"}
        assert all("no-such-folder" in d["last_error"] and d["attempts"] == 1 for d in dead)
        assert Dispatcher(hub.store, hub.sink, RetryPolicy(hub.config.retry), owner="w1").drain().claimed == 0
    finally:
        hub.close()
