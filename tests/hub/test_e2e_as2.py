"""Two crossdock instances over AS2 on loopback: a partner's hub sends 850s signed and encrypted to ours, ours
answers each with a signed synchronous MDN, routes the orders and sends its 997 back the same way. Refused
messages (tampered, wrongly signed, wrongly encrypted, oversized) are answered as such and kept; a replayed one is
a duplicate, not a second order."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import select

from crossdock.cli import main
from crossdock.connectors.as2 import As2Sink
from crossdock.connectors.as2_config import As2SinkConfig
from crossdock.connectors.as2_mime import Entity, build, parse_mdn
from crossdock.core.acknowledgments.as2_receipts import MdnRecords
from crossdock.core.configuration.config import load_config
from crossdock.core.hub import Hub
from crossdock.core.outbox import Dispatcher
from crossdock.core.ports import Outbound
from crossdock.core.retry import RetryPolicy
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.schema import as2_mdns
from crossdock.server import make_server, serve_in_background
from tests.as2_keys import Party, make_party
from tests.hub.edi import interchange, order


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as2(me: Party, them: Party, my_id: str, their_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "as2",
        "as2_id": my_id,
        "partner_as2_id": their_id,
        "certificate": str(me.cert_path),
        "private_key": str(me.key_path),
        "partner_certificate": str(them.cert_path),
        **extra,
    }


@contextlib.contextmanager
def _instance(folder: Path, store_url: str, data: dict[str, Any], port: int) -> Iterator[Hub]:
    folder.mkdir(parents=True, exist_ok=True)
    data = {"store": {"url": store_url}, "retry": {"max_attempts": 3, "initial": 0, "maximum": 0, "jitter": 0}, **data}
    (folder / "crossdock.yaml").write_text(yaml.safe_dump(data))
    hub = Hub(load_config(folder / "crossdock.yaml"))
    server = make_server(hub, "127.0.0.1", port)
    serve_in_background(server)
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
        hub.close()


def _side(me: str, them: str, keys: dict[str, Party], own: str, other: str, tmp: Path, mdn: str) -> dict[str, Any]:
    """One instance's configuration: an AS2 source for the other, an AS2 sink to it, orders to a warehouse folder and
    alerts to a folder; with ``mdn: async``, each asks for its MDN at its own endpoint and answers at the other's,
    and compresses what it sends."""
    their_id, my_id = f"{them.upper()}-AS2", f"{me.upper()}-AS2"
    mine, theirs = keys[me], keys[them]
    source_extra: dict[str, Any] = {"max_bytes": 200_000, "partner_mdn_url": f"{other}/as2/{me}"}
    sink_extra: dict[str, Any] = {"url": f"{other}/as2/{me}"}
    if mdn == "async":  # and compressed (RFC 5402), one side before signing, the other after
        compression = "before-signing" if me == "crossdock" else "after-signing"
        sink_extra |= {"mdn": "async", "mdn_url": f"{own}/as2/{them}", "compression": compression}
    return {
        "company": {"isa_id": me.upper()},
        "partners": {them: {"isa_qualifier": "ZZ", "isa_id": them.upper(), "reply_to": them}},
        "sources": {them: _as2(mine, theirs, my_id, their_id, **source_extra)},
        "sinks": {
            them: _as2(mine, theirs, my_id, their_id, **sink_extra),
            "warehouse": {"type": "folder", "path": str(tmp / me / "warehouse")},
            "ops": {"type": "folder", "path": str(tmp / me / "alerts")},
        },
        "routing": {"default": "warehouse"},
        "alerts": {"sink": "ops"},
    }


@contextlib.contextmanager
def _pair(tmp_path: Path, store_url: str, mdn: str) -> Iterator[tuple[Hub, Hub, str, dict[str, Party]]]:
    """``ours`` (CROSSDOCK, on each engine) and ``theirs`` (NORTHWIND's hub, on SQLite), each with an AS2 source for
    the other and an AS2 sink to it; the URL of ours's endpoint for theirs."""
    keys = {name: make_party(tmp_path / "keys", name) for name in ("crossdock", "northwind", "stranger")}
    keys["ours"], keys["theirs"] = keys["crossdock"], keys["northwind"]
    ours_url, theirs_url = f"http://127.0.0.1:{_free_port()}", f"http://127.0.0.1:{_free_port()}"
    ours_cfg = _side("crossdock", "northwind", keys, ours_url, theirs_url, tmp_path, mdn)
    theirs_cfg = _side("northwind", "crossdock", keys, theirs_url, ours_url, tmp_path, mdn)
    with (
        _instance(tmp_path / "ours", store_url, ours_cfg, int(ours_url.rsplit(":", 1)[1])) as ours,
        _instance(
            tmp_path / "theirs", f"sqlite:///{tmp_path}/theirs.db", theirs_cfg, int(theirs_url.rsplit(":", 1)[1])
        ) as theirs,
    ):
        yield ours, theirs, f"{ours_url}/as2/northwind", keys


@pytest.fixture
def pair(tmp_path: Path, store_url: str) -> Iterator[tuple[Hub, Hub, str, dict[str, Party]]]:
    with _pair(tmp_path, store_url, "sync") as found:
        yield found


def _documents(hub: Hub, **kw: Any) -> list[dict[str, Any]]:
    with hub.store.transaction() as conn:
        return list(Queries(hub.store).documents(conn, **kw))


def _settled(hub: Hub) -> list[dict[str, Any]]:
    """The documents in, once none waits to be processed (the endpoint processes each after its MDN is answered)."""
    for _ in range(300):
        found = _documents(hub, direction="in")
        if found and all(d["state"] != "received" for d in found):
            return found
        time.sleep(0.1)
    raise AssertionError(f"still received after 30 s: {found}")


def test_850s_and_997s_cross_over_as2_both_ways(
    pair: tuple[Hub, Hub, str, dict[str, Party]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ours, theirs, _, _ = pair
    po = interchange([order("PO-1"), order("PO-2")], control=41)
    said = theirs.sink("crossdock").send(Outbound("po-41.edi", po, "theirs-850-41"))
    assert "processed MIC" in said
    (doc,) = _settled(ours)
    assert doc["state"] == "processed" and doc["endpoint"] == "northwind"
    with ours.store.transaction() as conn:
        assert Queries(ours.store).data(conn, doc["id"]) == po, "the partner's X12, byte for byte"

    sent = Dispatcher(ours.store, ours.sink, RetryPolicy(ours.config.retry), owner="w1").drain()
    assert sent.dead == 0 and sent.retried == 0 and sent.sent >= 3  # a 997 to northwind, two orders to the warehouse
    assert len(list((tmp_path / "crossdock" / "warehouse").iterdir())) == 2
    (ack,) = _settled(theirs)
    with theirs.store.transaction() as conn:
        data = Queries(theirs.store).data(conn, ack["id"])
    assert b"AK1*PO*41" in data and b"*NORTHWIND" in data

    assert main(["documents", "show", str(doc["id"]), "-c", str(tmp_path / "ours" / "crossdock.yaml")]) == 0
    shown = capsys.readouterr().out
    assert "as2-mdn" in shown and "signed MDN to <crossdock-" in shown and ": processed; MIC " in shown
    (acked,) = [d for d in _documents(ours, direction="out") if d["kind"] == "997"]
    assert main(["documents", "show", str(acked["id"]), "-c", str(tmp_path / "ours" / "crossdock.yaml")]) == 0
    assert "to northwind: sent (<crossdock-" in capsys.readouterr().out  # the 997's delivery, with its MDN

    again = theirs.sink("crossdock").send(Outbound("po-41.edi", po, "theirs-850-41"))  # the MDN was lost: sent again
    assert "duplicate-document" in again
    assert len(_documents(ours, direction="in")) == 1


def _swapped(data: bytes) -> bytes:
    """The same interchange from CROSSDOCK to NORTHWIND (the names are as long, so the ISA keeps its width)."""
    return data.replace(b"CROSSDOCK", b"\0").replace(b"NORTHWIND", b"CROSSDOCK").replace(b"\0", b"NORTHWIND")


def _receipts(hub: Hub) -> list[dict[str, Any]]:
    with hub.store.transaction() as conn:
        return [dict(r) for r in conn.execute(select(as2_mdns).order_by(as2_mdns.c.id)).mappings()]


@pytest.mark.parametrize("mdn", ["sync", "async"])
def test_both_send_850s_and_answer_997s_with_their_mdns_kept(
    tmp_path: Path, store_url: str, mdn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with _pair(tmp_path, store_url, mdn) as (ours, theirs, _, _):
        to_ours = interchange([order("PO-1")], control=41)
        to_theirs = _swapped(interchange([order("PO-7")], control=77))
        told = [
            theirs.sink("crossdock").send(Outbound("po-41.edi", to_ours, "northwind-850-41")),
            ours.sink("northwind").send(Outbound("po-77.edi", to_theirs, "crossdock-850-77")),
        ]
        expected = "awaiting an asynchronous MDN" if mdn == "async" else "processed MIC"
        assert all(expected in said for said in told), told
        for hub in (ours, theirs):
            assert [d["state"] for d in _settled(hub)] == ["processed"]
        for _ in range(2):  # the MDNs and the 997s (each asking its own MDN), then the 997s' MDNs
            for hub in (ours, theirs):
                sent = hub.dispatcher("w1").drain()
                assert sent.dead == 0 and sent.retried == 0, sent.errors
        for hub, partner, control in ((ours, b"*NORTHWIND", b"AK1*PO*77"), (theirs, b"*CROSSDOCK", b"AK1*PO*41")):
            ack = max(_settled(hub), key=lambda d: int(d["id"]))  # the partner's 997, after its 850
            with hub.store.transaction() as conn:
                data = Queries(hub.store).data(conn, ack["id"]) or b""
            assert control in data and partner in data
            found = _receipts(hub)
            out = [r for r in found if r["direction"] == "out"]
            assert len(out) == 2 and {r["state"] for r in out} == {"positive"}, out  # its 850 and its 997
            assert all(r["mdn"] and b"Original-Message-ID: " + r["message_id"].encode() in r["mdn"] for r in out)
            inbound = [r for r in found if r["direction"] == "in"]
            assert {r["state"] for r in inbound} == {"queued" if mdn == "async" else "answered"} and len(inbound) == 2
            assert not list((tmp_path / ("crossdock" if hub is ours else "northwind") / "alerts").glob("*"))
        (acked,) = [d for d in _documents(ours, direction="out") if d["kind"] == "997"]
        assert main(["documents", "show", str(acked["id"]), "-c", str(tmp_path / "ours" / "crossdock.yaml")]) == 0
        shown = capsys.readouterr().out
        assert "MDN received for <crossdock-" in shown and "(northwind): positive" in shown
        assert "| Content-Type: multipart/signed" in shown, "the MDN's bytes, beside the document"
        inbound_doc = min(_settled(ours), key=lambda d: int(d["id"]))
        assert main(["documents", "show", str(inbound_doc["id"]), "-c", str(tmp_path / "ours" / "crossdock.yaml")]) == 0
        shown = capsys.readouterr().out
        assert "MDN sent for <crossdock-" in shown
        if mdn == "async":  # the MDN went as its own document, through the outbox
            assert ": mdn as2-mdn-" in shown and "(sent)" in shown


def _post(url: str, entity: Entity, *, sender: str = "NORTHWIND-AS2", mid: str = "<t-1@northwind>") -> httpx.Response:
    headers = {
        "AS2-From": sender,
        "AS2-To": "CROSSDOCK-AS2",
        "Message-ID": mid,
        "Content-Type": entity.content_type,
        "Disposition-Notification-To": "x",
        "Disposition-Notification-Options": "signed-receipt-protocol=optional, pkcs7-signature; "
        "signed-receipt-micalg=optional, sha256",
    }
    return httpx.post(url, content=entity.body, headers=headers, timeout=30)


@pytest.mark.parametrize(
    ("case", "disposition"),
    [
        ("tampered", "decryption-failed"),
        ("wrongly signed", "authentication-failed"),
        ("wrongly encrypted", "decryption-failed"),
        ("unknown partner", "unknown-trading-partner"),
    ],
)
def test_a_refused_message_is_answered_its_mdn_and_kept(
    pair: tuple[Hub, Hub, str, dict[str, Party]], case: str, disposition: str
) -> None:
    ours, _, url, keys = pair
    signer = keys["stranger"] if case == "wrongly signed" else keys["theirs"]
    recipient = keys["stranger"] if case == "wrongly encrypted" else keys["ours"]
    po = interchange([order("PO-9")], control=9)
    entity, _ = build(
        po,
        "application/edi-x12",
        signer.keys,
        recipient.cert,
        sign_it=True,
        encrypt_it=True,
        digest="sha256",
        cipher="aes128",
    )
    if case == "tampered":
        entity = Entity(entity.content_type, entity.body[:-40])
    answer = _post(url, entity, sender="SOMEONE" if case == "unknown partner" else "NORTHWIND-AS2")
    assert answer.status_code == 200
    receipt = parse_mdn(Entity(answer.headers["content-type"], answer.content), keys["ours"].cert, need_signature=True)
    assert receipt.original_message_id == "<t-1@northwind>"
    assert receipt.disposition.endswith(f"processed/error: {disposition}")
    if case == "unknown partner":  # nobody's message: answered, logged, not stored
        assert _documents(ours, direction="in") == []
        return
    (doc,) = _documents(ours, direction="in")
    assert doc["state"] == "quarantined" and disposition in doc["error"]
    with ours.store.transaction() as conn:
        assert entity.body in Queries(ours.store).data(conn, doc["id"]), "the message as received is kept"


def test_an_oversized_message_is_refused_before_it_is_read(pair: tuple[Hub, Hub, str, dict[str, Party]]) -> None:
    ours, _, url, _ = pair
    answer = _post(url, Entity("application/pkcs7-mime; smime-type=enveloped-data", bytes(300_000)))
    assert answer.status_code == 413
    assert _documents(ours, direction="in") == []


@pytest.mark.parametrize(
    ("case", "disposition"), [("wrongly signed", "authentication-failed"), ("wrongly encrypted", "decryption-failed")]
)
def test_a_refused_message_gets_its_negative_mdn_asynchronously_and_one_alert(
    tmp_path: Path, store_url: str, case: str, disposition: str
) -> None:
    with _pair(tmp_path, store_url, "async") as (ours, theirs, _, keys):
        cfg = theirs.config.sinks["crossdock"]
        assert isinstance(cfg, As2SinkConfig)
        wrong = keys["stranger"]
        if case == "wrongly signed":
            cfg = cfg.model_copy(update={"certificate": str(wrong.cert_path), "private_key": str(wrong.key_path)})
        else:
            cfg = cfg.model_copy(update={"partner_certificate": str(wrong.cert_path)})
        sink = As2Sink("crossdock", cfg)
        sink.records = MdnRecords(theirs.store)
        said = sink.send(Outbound("po-9.edi", interchange([order("PO-9")], control=9), "northwind-850-9"))
        assert "awaiting an asynchronous MDN" in said
        sink.close()
        (kept,) = _documents(ours, direction="in")
        assert kept["state"] == "quarantined" and disposition in kept["error"]
        sent = ours.dispatcher("w1").drain()  # the negative MDN, to the partner's MDN URL
        assert sent.sent == 1 and sent.dead == 0, sent.errors
        (row,) = [r for r in _receipts(theirs) if r["direction"] == "out"]
        assert row["state"] == "negative" and row["disposition"].endswith(f"processed/error: {disposition}")
        theirs.dispatcher("w1").drain()  # its alert
        (alert,) = (tmp_path / "northwind" / "alerts").iterdir()
        assert "AS2 MDN from crossdock" in alert.read_text() and disposition in alert.read_text()
