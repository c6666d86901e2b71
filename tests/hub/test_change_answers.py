"""An 865 received from a partner: tied to its order and the change it answers, its verdict recorded on the order,
and one alert when it refuses a change; an 865 for a PO crossdock does not have is the document's problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.core.storage.schema import events, orders
from tests.hub.conftest import base_config, write_config
from tests.hub.edi import change, interchange, order


@pytest.fixture
def hub(tmp_path: Path, store_url: str) -> Any:
    data = base_config(tmp_path, store_url)
    data["sinks"]["ops"] = {"type": "folder", "path": str(tmp_path / "ops")}
    data["alerts"] = {"sink": "ops"}
    h = Hub(write_config(tmp_path, data))
    yield h
    h.close()


def answer_865(po: str, verdict: str, lines: list[tuple[str, str]], *, sequence: str = "1", control: int = 80) -> bytes:
    """The partner's 865: BCA02 ``verdict``, BCA05 ``sequence``, each (POC elements after the tag, ACK01)."""
    body = [f"BCA*00*{verdict}*{po}**{sequence}*20261120****20261121*20261121"]
    for poc, ack in lines:
        body += [f"POC*{poc}", f"ACK*{ack}"]
    segments = ["ST*865*0001", *body, f"CTT*{len(lines)}"]
    segments.append(f"SE*{len(segments) + 1}*0001")
    isa = (
        f"ISA*00*          *00*          *ZZ*NORTHWIND      *ZZ*CROSSDOCK      *261121*1000*U*00401*{control:09d}*0*P*>"
    )
    text = [isa, f"GS*CA*NORTHWIND*CROSSDOCK*20261121*1000*{control}*X*004010", *segments, f"GE*1*{control}"]
    text.append(f"IEA*1*{control:09d}")
    return ("~\n".join(text) + "~\n").encode()


def _receive(hub: Hub, data: bytes, name: str) -> Any:
    (Path(hub.config.sources["drop"].path) / name).write_bytes(data)  # type: ignore[union-attr]
    report = poll(hub, "drop", "me")
    assert report.error is None and len(report.processed) == 1, report
    return report.processed[0]


def _said(hub: Hub) -> list[str]:
    with hub.store.transaction() as conn:
        (order_id,) = conn.execute(select(orders.c.id)).scalars()
        query = select(events.c.message).where(events.c.kind == "865", events.c.order_id == order_id)
        return list(conn.execute(query).scalars())


def _alerts(tmp_path: Path) -> list[str]:
    folder = tmp_path / "ops"
    return [p.read_text() for p in sorted(folder.iterdir())] if folder.exists() else []


def test_a_refused_change_is_recorded_on_the_order_and_alerted_once(hub: Hub, tmp_path: Path) -> None:
    _receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]), "po.edi")
    _receive(hub, change("PO-1", "04", ["0001*QD*3**EA", "0002*QI*8**EA"], sequence="1"), "860.edi")
    got = _receive(hub, answer_865("PO-1", "AC", [("0001*QD*3**EA", "IR"), ("0002*QI*8**EA", "IA")]), "865.edi")
    assert (got.state, got.error) == ("processed", None)
    (said,) = _said(hub)
    assert said == (
        "865 from northwind: change 1 (the last applied) of order PO-1 accepted with changes: "
        "line 0001 QD refused; line 0002 QI accepted"
    )
    hub.dispatcher("test").drain()
    (alert,) = [a for a in _alerts(tmp_path) if "865" in a]
    assert "northwind refused a change of order PO-1" in alert and "- line 0001 QD refused" in alert
    assert "0002" not in alert.split("Refused:")[1], "only the refused lines are listed"
    assert "`crossdock orders cancel PO-1 --lines LINE:QTY`" in alert, "the alert says what a person can do"


def test_an_accepted_change_is_recorded_without_an_alert(hub: Hub, tmp_path: Path) -> None:
    _receive(hub, interchange([order("PO-1", qty=5)]), "po.edi")
    _receive(hub, answer_865("PO-1", "AD", [("0001*QD*3**EA", "IA")], sequence="4"), "865.edi")
    assert _said(hub) == [
        "865 from northwind: change 4 (crossdock applied no 860 with a sequence to it) of order PO-1 accepted: "
        "line 0001 QD accepted"
    ]
    hub.dispatcher("test").drain()
    assert [a for a in _alerts(tmp_path) if "865" in a] == []


def test_an_answer_for_a_po_crossdock_does_not_have_is_the_documents_problem(hub: Hub) -> None:
    got = _receive(hub, answer_865("PO-404", "RJ", [("0001*DI***EA", "IR")]), "865.edi")
    assert got.error is not None and "865 for PO PO-404: no such order from northwind" in got.error
