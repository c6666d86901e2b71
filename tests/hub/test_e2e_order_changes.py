"""An order's changes end to end, on the folder peer and on the real sshd: 850 -> 940 to the 3PL -> the buyer's 860
change -> a 940 cancel (W05 F) of what the 3PL holds and the new revision (W05 N) in one interchange -> the 3PL's
945 -> 856 and 810 to the buyer that carry the changed quantities and prices, with an 865 that accepts each
change; an 860 cancel before shipment -> the order cancelled, a 940 cancel to the 3PL, and no 856 or 810 even
when the 3PL ships it anyway; an 860 after shipment -> refused for the shipped line (865 IR) and a person
alerted, applied to the rest. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from crossdock.core.configuration.config import load_config
from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.mappings.x12.envelope import TransactionSet
from crossdock.mappings.x12.poca865 import change_ack_from_865
from crossdock.mappings.x12.reader import parse
from crossdock.mappings.x12.validator import status, validate
from tests.hub.edi import change, interchange, order, ship_advice
from tests.peers import SftpPeer, sftp_block
from tests.x12.written import read_back


@dataclass
class Peer:
    """Where the buyer and the 3PL keep their folders: local folders, or the sshd's."""

    root: Path
    sftp: SftpPeer | None = None

    def block(self, folder: str, **extra: Any) -> dict[str, Any]:
        if self.sftp is not None:
            return sftp_block(self.sftp, folder, **extra)
        (self.root / folder).mkdir(parents=True, exist_ok=True)
        extra.pop("min_age", None)
        source = {"min_age": 0} if folder.endswith("/out") else {}
        return {"type": "folder", "path": str(self.root / folder), **source, **extra}

    def put(self, name: str, data: bytes) -> None:
        if self.sftp is not None:
            self.sftp.put(name, data)
        else:
            (self.root / name).write_bytes(data)

    def files(self, folder: str, kind: str) -> list[bytes]:
        """The documents of ``kind`` (``-940-``, ``-856-`` ...) written to ``folder``, oldest name first."""
        base = self.root / folder
        return [p.read_bytes() for p in sorted(base.iterdir()) if p.is_file() and kind in p.name]


@pytest.fixture(params=["folder", pytest.param("sftp", marks=pytest.mark.peers)])
def peer(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Peer]:
    if request.param == "folder":
        yield Peer(tmp_path / "peer")
        return
    sftp: SftpPeer = request.getfixturevalue("sftp_peer")
    yield Peer(sftp.path, sftp)


def _hub(tmp_path: Path, store_url: str, peer: Peer) -> Hub:
    data = {
        "store": {"url": store_url},
        "company": {"isa_id": "CROSSDOCK"},
        "partners": {
            "northwind": {
                "isa_qualifier": "ZZ",
                "isa_id": "NORTHWIND",
                "reply_to": "northwind-in",
                "gs1_prefix": "0614141",
                "invoice": "on_shipment",
                "send_865": True,
            },
            "acme3pl": {"isa_qualifier": "ZZ", "isa_id": "ACME3PL", "reply_to": "acme-in"},
        },
        "sources": {
            "northwind-out": peer.block("northwind/out", min_age=0),
            "acme-out": peer.block("acme/out", min_age=0),
        },
        "sinks": {
            "northwind-in": peer.block("northwind/in"),
            "acme-in": peer.block("acme/in", format="x12-940", partner="acme3pl", depositor="CROSSDOCK"),
            "ops": {"type": "folder", "path": str(tmp_path / "ops")},
        },
        "alerts": {"sink": "ops"},
        "routing": {"default": "acme-in"},
        "retry": {"max_attempts": 3, "initial": 0, "maximum": 0, "jitter": 0},
    }
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    return Hub(load_config(path))


def _poll(hub: Hub, source: str) -> Any:
    report = poll(hub, source, "w")
    assert report.error is None and len(report.processed) == 1, report
    hub.dispatcher("w").drain()
    return report.processed[0]


def _segments(data: bytes | TransactionSet, tag: str) -> list[str]:
    ts = read_back(data) if isinstance(data, bytes) else data
    return [t for t in ts.texts if t.startswith(tag + "*")]


def _sets(data: bytes) -> list[TransactionSet]:
    """The sets of an interchange of several (a 940 cancel and its reissue), each valid."""
    (ic,) = parse(data)
    assert ic.errors == [] and all(g.errors == [] for g in ic.groups)
    sets = [ts for group in ic.groups for ts in group.transactions]
    for ts in sets:
        validate(ts)
        assert status(ts) == "accepted"
    return sets


def _lines(ts: TransactionSet) -> list[tuple[str, str]]:
    """(quantity, vendor item) of each W01."""
    return [(w.split("*")[1], w.split("*")[-1]) for w in _segments(ts, "W01")]


def _alerts(tmp_path: Path) -> str:
    folder = tmp_path / "ops"
    return "\n".join(p.read_text() for p in folder.iterdir()) if folder.exists() else ""


def test_a_change_reaches_the_3pl_and_the_ship_notice_and_invoice_carry_it(
    tmp_path: Path, store_url: str, peer: Peer
) -> None:
    hub = _hub(tmp_path, store_url, peer)
    try:
        peer.put("northwind/out/po.edi", interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=4)]))
        assert _poll(hub, "northwind-out").orders_new == 1
        (first,) = peer.files("acme/in", "-940-")
        assert [w.split("*")[1] for w in _segments(first, "W01")] == ["4", "4"]

        pocs = ["0001*QD*2**EA*12.50**VN*MUG-BLU", "0003*AI*3**EA*4.00**VN*CUP-RED"]
        peer.put("northwind/out/860.edi", change("PO-1", "04", pocs, sequence="1"))
        changed = _poll(hub, "northwind-out")
        assert (changed.orders_changed, changed.error) == (1, None)
        _, second = peer.files("acme/in", "-940-")
        cancel, reissue = _sets(second)
        assert _segments(cancel, "W05")[0].startswith("W05*F*PO-1"), "what the 3PL holds is cancelled first"
        assert _lines(cancel) == [("4", "MUG-BLU"), ("4", "KTL-STL")]
        assert _segments(reissue, "W05")[0].startswith("W05*N*PO-1")
        assert _lines(reissue) == [("2", "MUG-BLU"), ("4", "KTL-STL"), ("3", "CUP-RED")], "line 1 down, line 3 added"
        (answer,) = peer.files("northwind/in", "-865-")
        acked = change_ack_from_865(read_back(answer))
        assert (acked.ack_type, [a.status for a in acked.lines]) == ("AD", ["IA", "IA"])

        shipped = [("0001", 2, 2, "MUG-BLU"), ("0002", 4, 4, "KTL-STL"), ("0003", 3, 3, "CUP-RED")]
        peer.put("acme/out/945.edi", ship_advice("PO-1", "SHIP-1", shipped))
        assert _poll(hub, "acme-out").shipments == 1
        (asn,) = peer.files("northwind/in", "-856-")
        (invoice,) = peer.files("northwind/in", "-810-")
        assert [s.split("*")[2] for s in _segments(asn, "SN1")] == ["2", "4", "3"]
        assert [s.split("*")[2] for s in _segments(invoice, "IT1")] == ["2", "4", "3"]
        assert _segments(invoice, "TDS") == ["TDS*8700"], "2 x 12.50 + 4 x 12.50 + 3 x 4.00"
    finally:
        hub.close()


def test_a_cancel_before_shipment_and_a_change_after_it(tmp_path: Path, store_url: str, peer: Peer) -> None:
    hub = _hub(tmp_path, store_url, peer)
    try:
        peer.put(
            "northwind/out/po.edi", interchange([order("PO-2", qty=4), order("PO-3", skus=("MUG-BLU", "KTL-STL"))])
        )
        assert _poll(hub, "northwind-out").orders_new == 2
        assert len(peer.files("acme/in", "-940-")) == 2

        peer.put("northwind/out/cancel.edi", change("PO-2", "01", [], control=71))
        assert _poll(hub, "northwind-out").error is None
        (cancel,) = peer.files("acme/in", "-940-cancel-PO-2-")
        assert _segments(cancel, "W05")[0].startswith("W05*F*PO-2"), "the 3PL is told to cancel"
        assert "PO-2" not in _alerts(tmp_path), "nobody needs to stop it by hand"
        peer.put("acme/out/945-2.edi", ship_advice("PO-2", "SHIP-2", [("0001", 4, 4, "MUG-BLU")], control=52))
        late = _poll(hub, "acme-out")
        assert late.error is not None and "was cancelled, yet the warehouse shipped it" in late.error
        assert peer.files("northwind/in", "-856-") == [] and peer.files("northwind/in", "-810-") == []

        peer.put("acme/out/945-3.edi", ship_advice("PO-3", "SHIP-3", [("0001", 5, 5, "MUG-BLU")], control=53))
        assert _poll(hub, "acme-out").shipments == 1
        pocs = ["0001*QD*1**EA", "0002*QD*2**EA"]
        peer.put("northwind/out/860-3.edi", change("PO-3", "04", pocs, sequence="1", control=72))
        after = _poll(hub, "northwind-out")
        assert after.error is not None and "QD line 0001: shipped already" in after.error
        answers = [change_ack_from_865(read_back(data)) for data in peer.files("northwind/in", "-865-")]
        (to_po3,) = [a for a in answers if a.po_number == "PO-3"]
        assert (to_po3.ack_type, [a.status for a in to_po3.lines]) == ("AC", ["IR", "IA"])
        assert "a change to order PO-3 was not applied" in _alerts(tmp_path)
        _, newest = peer.files("acme/in", "-940-PO-3-")
        _, reissue = _sets(newest)
        assert _lines(reissue) == [("2", "KTL-STL")], "line 2 changed; line 1 shipped in full: not asked for again"
    finally:
        hub.close()
