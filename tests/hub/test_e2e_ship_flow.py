"""The ship flow end to end on the real sshd: 850 from the buyer's server -> 940 on the 3PL's server -> 945
back -> 856 and 810 on the buyer's server, read back by crossdock and by pyx12's tokenizer -> the buyer's 997
reconciled, and a missing one overdue; and a buyer taking several interchanges a file. Runs on SQLite and on
PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from crossdock.core.acknowledgments.reconcile import mark_overdue
from crossdock.core.configuration.config import load_config
from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.core.storage.queries import Queries
from crossdock.mappings.x12.ack import acknowledge_file
from crossdock.mappings.x12.asn856 import shipment_from_856
from crossdock.mappings.x12.invoice810 import invoice_from_810
from tests.hub.edi import interchange, order, ship_advice
from tests.peers import SftpPeer, sftp_block
from tests.x12.written import read_back

pytestmark = pytest.mark.peers


def _accepted(data: bytes) -> Any:
    """Read back by crossdock's reader and validator and by pyx12's tokenizer (tests/x12/written.py)."""
    return read_back(data)


def _hub(tmp_path: Path, store_url: str, sftp_peer: SftpPeer, **buyer_sink: Any) -> Hub:
    """Northwind buys over its folders on the peer; Acme is the 3PL, over its own."""
    data = {
        "store": {"url": store_url},
        "company": {"isa_id": "CROSSDOCK"},
        "partners": {
            "northwind": {
                "isa_qualifier": "ZZ",
                "isa_id": "NORTHWIND",
                "reply_to": "northwind-in",
                "asn_profile": "SOPI",
                "gs1_prefix": "0614141",
                "invoice": "on_shipment",
                "ack_windows": {"856": 3600, "810": 0},
            },
            "acme3pl": {"isa_qualifier": "ZZ", "isa_id": "ACME3PL", "reply_to": "acme-in"},
        },
        "sources": {
            "northwind-out": sftp_block(sftp_peer, "northwind/out", min_age=0),
            "acme-out": sftp_block(sftp_peer, "acme/out", min_age=0),
        },
        "sinks": {
            "northwind-in": sftp_block(sftp_peer, "northwind/in", **buyer_sink),
            "acme-in": sftp_block(sftp_peer, "acme/in", format="x12-940", partner="acme3pl", depositor="CROSSDOCK"),
        },
        "routing": {"default": "acme-in"},
        "retry": {"max_attempts": 3, "initial": 0, "maximum": 0, "jitter": 0},
    }
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    return Hub(load_config(path))


def test_order_to_3pl_and_ship_notice_back_on_sshd(tmp_path: Path, store_url: str, sftp_peer: SftpPeer) -> None:
    hub = _hub(tmp_path, store_url, sftp_peer)
    try:
        sftp_peer.put("northwind/out/po.edi", interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=4)]))
        assert poll(hub, "northwind-out", "w").processed[0].orders_new == 1
        hub.dispatcher("w").drain()
        (w940,) = [n for n in sftp_peer.files("acme/in") if "-940-" in n]
        ts940 = _accepted((sftp_peer.path / "acme/in" / w940).read_bytes())
        assert ts940.texts[1].startswith("W05*N*PO-1")

        advice = ship_advice("PO-1", "SHIP-1", [("0001", 4, 4, "MUG-BLU"), ("0002", 4, 4, "KTL-STL")])
        sftp_peer.put("acme/out/945.edi", advice)
        assert poll(hub, "acme-out", "w").processed[0].shipments == 1
        hub.dispatcher("w").drain()
        inbound = sftp_peer.files("northwind/in")
        asn_name = next(n for n in inbound if "-856-" in n)
        inv_name = next(n for n in inbound if "-810-" in n)
        asn = (sftp_peer.path / "northwind/in" / asn_name).read_bytes()
        inv = (sftp_peer.path / "northwind/in" / inv_name).read_bytes()
        ts856 = _accepted(asn)
        hl = [t for t in ts856.texts if t.startswith("HL*")]
        assert [t.split("*")[3] for t in hl] == ["S", "O", "P", "I", "I"]
        assert next(t for t in ts856.texts if t.startswith("CTT*")) == "CTT*5*8"
        (shipped,) = shipment_from_856(ts856).orders
        assert len({p.sscc for p in shipped.packages}) == 1
        invoice = invoice_from_810(_accepted(inv))
        assert next(t for t in _accepted(inv).texts if t.startswith("TDS*")) == "TDS*10000"
        assert invoice.total_amount is not None

        sftp_peer.put("northwind/out/997.edi", acknowledge_file(asn).encode())
        assert poll(hub, "northwind-out", "w").processed[0].error is None
        assert mark_overdue(hub) == 1, "the 810's 997 never came: overdue"
        with hub.store.transaction() as conn:
            docs = {d["kind"]: d for d in Queries(hub.store).documents(conn, direction="out", partner="northwind")}
            order_row = Queries(hub.store).order(conn, "PO-1")
        assert docs["856"]["ack_state"] == "accepted"
        assert docs["810"]["ack_state"] == "overdue"
        assert order_row is not None and order_row["status"] == "invoiced"
        assert dt.datetime.fromisoformat(docs["810"]["ack_due_at"]) <= dt.datetime.now(dt.UTC)
    finally:
        hub.close()


def test_a_buyer_taking_several_interchanges_a_file_gets_one_upload_on_sshd(
    tmp_path: Path, store_url: str, sftp_peer: SftpPeer
) -> None:
    hub = _hub(tmp_path, store_url, sftp_peer, interchanges_per_file=50)
    try:
        sftp_peer.put("northwind/out/po.edi", interchange([order("PO-1", qty=4), order("PO-2", qty=4)]))
        poll(hub, "northwind-out", "w")
        hub.dispatcher("w").drain()
        sftp_peer.put("acme/out/945-1.edi", ship_advice("PO-1", "SHIP-1", [("0001", 4, 4, "MUG-BLU")], control=51))
        sftp_peer.put("acme/out/945-2.edi", ship_advice("PO-2", "SHIP-2", [("0001", 4, 4, "MUG-BLU")], control=52))
        assert sum(p.shipments for p in poll(hub, "acme-out", "w").processed) == 2
        hub.dispatcher("w").drain()

        queries = Queries(hub.store)
        with hub.store.transaction() as conn:
            sent = [
                queries.document(conn, d["id"])
                for d in reversed(queries.documents(conn, direction="out", partner="northwind"))
                if d["kind"] in ("856", "810")
            ]
            parts = [queries.data(conn, d["id"]) for d in sent if d is not None]
        names = [n for n in sftp_peer.files("northwind/in") if "-997-" not in n]
        assert len(names) == 1 and len(parts) == 4, names
        bundle = sftp_peer.path / "northwind/in" / names[0]
        assert bundle.read_bytes() == b"".join(p for p in parts if p is not None), "the interchanges as written"
        assert sorted(_accepted(p).texts[0][3:6] for p in parts if p is not None) == ["810", "810", "856", "856"]
        assert {d["deliveries"][0]["remote_ref"] for d in sent if d is not None} == {str(bundle)}

        sftp_peer.put("northwind/out/997.edi", acknowledge_file(bundle.read_bytes()).encode())
        assert poll(hub, "northwind-out", "w").processed[0].error is None
        with hub.store.transaction() as conn:
            states = [d["ack_state"] for d in queries.documents(conn, direction="out", partner="northwind")]
        assert states.count("accepted") == 4
    finally:
        hub.close()


def test_a_changed_order_reaches_the_3pl_as_cancel_and_reissue_and_its_856_ships_the_change_on_sshd(
    tmp_path: Path, store_url: str, sftp_peer: SftpPeer
) -> None:
    """850 -> 940 -> the buyer's replacement 850 (more of line 1) -> one file with a 940 cancel then the new
    940 -> the 3PL's 945 for the new quantities -> 856 and 810 that ship them."""
    hub = _hub(tmp_path, store_url, sftp_peer)
    try:
        sftp_peer.put("northwind/out/po.edi", interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=4)]))
        poll(hub, "northwind-out", "w")
        hub.dispatcher("w").drain()
        changed = order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=6, purpose="05")
        sftp_peer.put("northwind/out/po-2.edi", interchange([changed], control=2))
        assert poll(hub, "northwind-out", "w").processed[0].orders_changed == 1
        hub.dispatcher("w").drain()
        _first, second = sorted(n for n in sftp_peer.files("acme/in") if "-940-" in n)
        cancel, reissue = _sets((sftp_peer.path / "acme/in" / second).read_bytes())
        assert cancel[1].startswith("W05*F*PO-1") and reissue[1].startswith("W05*N*PO-1")
        assert next(t for t in cancel if t.startswith("W01*")).startswith("W01*4*EA")
        assert next(t for t in reissue if t.startswith("W01*")).startswith("W01*6*EA")

        advice = ship_advice("PO-1", "SHIP-1", [("0001", 6, 6, "MUG-BLU"), ("0002", 6, 6, "KTL-STL")])
        sftp_peer.put("acme/out/945.edi", advice)
        assert poll(hub, "acme-out", "w").processed[0].shipments == 1
        hub.dispatcher("w").drain()
        asn_name = next(n for n in sftp_peer.files("northwind/in") if "-856-" in n)
        (shipped,) = shipment_from_856(_accepted((sftp_peer.path / "northwind/in" / asn_name).read_bytes())).orders
        assert sorted((line.line_number, line.quantity) for p in shipped.packages for line in p.lines) == [
            ("0001", 6), ("0002", 6)
        ]  # fmt: skip
    finally:
        hub.close()


def test_a_cancel_before_shipment_reaches_the_3pl_as_a_940_cancel_and_nothing_goes_to_the_buyer_on_sshd(
    tmp_path: Path, store_url: str, sftp_peer: SftpPeer
) -> None:
    hub = _hub(tmp_path, store_url, sftp_peer)
    try:
        sftp_peer.put("northwind/out/po.edi", interchange([order("PO-1", qty=4)]))
        poll(hub, "northwind-out", "w")
        hub.dispatcher("w").drain()
        sftp_peer.put("northwind/out/po-2.edi", interchange([order("PO-1", qty=4, purpose="01")], control=2))
        poll(hub, "northwind-out", "w")
        hub.dispatcher("w").drain()
        (cancel_name,) = [n for n in sftp_peer.files("acme/in") if "-940-cancel-" in n]
        (cancel,) = _sets((sftp_peer.path / "acme/in" / cancel_name).read_bytes())
        assert cancel[1].startswith("W05*F*PO-1")
        assert not [n for n in sftp_peer.files("northwind/in") if "-856-" in n or "-810-" in n]
    finally:
        hub.close()


def _sets(data: bytes) -> list[list[str]]:
    """Each transaction set's segments as text, after crossdock's reader and validator accepted it."""
    from crossdock.mappings.x12.reader import parse
    from crossdock.mappings.x12.validator import status, validate

    (ic,) = parse(data)
    (group,) = ic.groups
    for ts in group.transactions:
        validate(ts)
        assert status(ts) == "accepted"
    return [list(ts.texts) for ts in group.transactions]
