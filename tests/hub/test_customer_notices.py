"""Buyer notices: an EDI drop-ship's buyer is mailed when the order is received, ships and is cancelled, once each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crossdock.core.configuration.yaml_text import ConfigProblems
from crossdock.core.hub import Hub
from crossdock.core.lifecycle.operator_orders import cancel_order
from crossdock.core.models import Contact
from crossdock.core.poller import poll
from crossdock.core.storage.schema import events
from tests.hub.conftest import base_config, write_config
from tests.hub.edi import interchange, order, ship_advice
from tests.peers import SmtpServer


def config(tmp_path: Path, store_url: str, smtp: SmtpServer, **notify: Any) -> dict[str, Any]:
    cfg = base_config(tmp_path, store_url)
    cfg["partners"]["northwind"].update({"send_855": False, "gs1_prefix": "0614141"})
    cfg["partners"]["acme3pl"] = {"isa_qualifier": "ZZ", "isa_id": "ACME3PL", "reply_to": "3pl-out"}
    cfg["sinks"]["3pl-out"] = {
        "type": "folder",
        "path": str(tmp_path / "3pl"),
        "format": "x12-940",
        "partner": "acme3pl",
        "depositor": "CROSSDOCK",
    }
    cfg["sinks"]["buyers"] = {
        "type": "smtp",
        "host": smtp.host,
        "port": smtp.port,
        "security": "none",
        "from_address": "Acme Tools <orders@acme.test>",
        "customers": True,
        "timeout": 5.0,
    }
    cfg["sources"]["drop"]["notify"] = {"sink": "buyers", "store_name": "Acme Tools", **notify}
    cfg["routing"] = {"default": "3pl-out"}
    return cfg


@pytest.fixture
def hub(tmp_path: Path, store_url: str, smtp_server: SmtpServer) -> Any:
    h = Hub(write_config(tmp_path, config(tmp_path, store_url, smtp_server)))
    yield h
    h.close()


def cycle(hub: Hub, name: str, data: bytes) -> None:
    (Path(hub.config.sources["drop"].path) / name).write_bytes(data)  # type: ignore[union-attr]
    poll(hub, "drop", "me")
    hub.dispatcher("test").drain()


def dropship(po: str, buyer: str = "Ann Buyer", address: str = "ann@example.test") -> bytes:
    placed = order(po, skus=("MUG-BLU", "KTL-STL"), qty=2)
    placed.contacts = [Contact(function="BD", name=buyer, email=address)]
    return interchange([placed])


def test_the_buyer_hears_of_the_order_its_shipment_and_a_cancelled_line_once_each(
    hub: Hub, smtp_server: SmtpServer
) -> None:
    cycle(hub, "po.edi", dropship("PO-7"))
    (received,) = smtp_server.messages
    assert received.rcpt_tos == ["ann@example.test"]
    mail = received.message
    assert mail["Subject"] == "Acme Tools order PO-7 received"
    text = mail.get_content()
    assert "Hello Ann Buyer" in text and "2 x MUG-BLU" in text and "TOWN" in text

    cycle(hub, "po-again.edi", dropship("PO-7"))  # the same order read again: no second mail
    assert len(smtp_server.messages) == 1

    cycle(hub, "945.edi", ship_advice("PO-7", "SHIP-1", [("0001", 2, 2, "MUG-BLU")], tracking="1Z999AA10123456784"))
    assert len(smtp_server.messages) == 2
    shipped = smtp_server.messages[1].message
    assert shipped["Subject"] == "Acme Tools order PO-7 has shipped"
    text = shipped.get_content()
    assert "https://www.ups.com/track?tracknum=1Z999AA10123456784" in text
    assert "2 x MUG-BLU" in text and "KTL-STL" not in text  # what this shipment holds, not the whole order

    cancel_order(hub, "PO-7", source=None, lines="2", reason="out_of_stock")
    hub.dispatcher("test").drain()
    cancelled = smtp_server.messages[2].message
    assert cancelled["Subject"] == "Acme Tools order PO-7: cancelled items"
    text = cancelled.get_content()
    assert "2 x KTL-STL" in text and "They are out of stock." in text
    assert len(smtp_server.messages) == 3


def test_what_the_buyer_wrote_cannot_add_headers_or_markup(
    tmp_path: Path, store_url: str, smtp_server: SmtpServer
) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "received.txt").write_text("Subject: Order for ${buyer_name}\n\nDear ${buyer_name}\n")
    (folder / "received.html").write_text("<p>Dear ${buyer_name}</p>")
    cfg = config(tmp_path, store_url, smtp_server, templates=str(folder), events=["received"])
    hub = Hub(write_config(tmp_path, cfg))
    try:
        cycle(hub, "po.edi", dropship("PO-8", buyer="Eve\r\nBcc: all@victim.test <script src=x"))
    finally:
        hub.close()
    (mail,) = smtp_server.messages
    assert mail.rcpt_tos == ["ann@example.test"]
    parsed = mail.message
    assert parsed["Bcc"] is None and "\n" not in parsed["Subject"]
    html = next(p for p in parsed.walk() if p.get_content_type() == "text/html").get_content()
    assert "<script" not in html and "&lt;script src=x" in html


def test_an_order_with_no_usable_address_is_not_mailed_and_says_so(hub: Hub, smtp_server: SmtpServer) -> None:
    cycle(hub, "po.edi", dropship("PO-9", address="ann@example.test, boss@example.test"))
    assert smtp_server.messages == []
    with hub.store.transaction() as conn:
        said = [row.message for row in conn.execute(select(events.c.message))]
    assert "order PO-9: no buyer e-mail address to tell of received" in said


def test_a_notice_sink_must_exist_and_mail_customers(tmp_path: Path, store_url: str, smtp_server: SmtpServer) -> None:
    cfg = config(tmp_path, store_url, smtp_server)
    cfg["sinks"]["buyers"].pop("customers")
    cfg["sinks"]["buyers"]["to"] = ["ops@acme.test"]
    with pytest.raises(ConfigProblems, match="not an smtp sink with customers: true"):
        write_config(tmp_path, cfg)
    cfg["sources"]["drop"]["notify"]["sink"] = "nowhere"
    with pytest.raises(ConfigProblems, match="no sink named 'nowhere'"):
        write_config(tmp_path, cfg)


def test_a_template_naming_an_unknown_value_stops_the_start_with_file_and_line(
    tmp_path: Path, store_url: str, smtp_server: SmtpServer
) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "shipped.txt").write_text("Subject: shipped\n\nHello\nYour ${parcel} left\n")
    cfg = config(tmp_path, store_url, smtp_server, templates=str(folder), events=["shipped"])
    with pytest.raises(ConfigProblems, match=r"shipped.txt: the text names unknown value\(s\) parcel \(line 2\)"):
        write_config(tmp_path, cfg)


def test_an_smtp_sink_needs_recipients_unless_it_mails_customers(
    tmp_path: Path, store_url: str, smtp_server: SmtpServer
) -> None:
    cfg = config(tmp_path, store_url, smtp_server)
    cfg["sinks"]["buyers"]["customers"] = False
    with pytest.raises(ConfigProblems, match="customers: true for buyer notices"):
        write_config(tmp_path, cfg)


def test_a_missing_template_folder_does_not_stop_the_order(
    tmp_path: Path, store_url: str, smtp_server: SmtpServer
) -> None:
    """``check`` names the missing folder; ``run`` starts anyway, and each order goes on without its mail."""
    folder = tmp_path / "templates"
    hub = Hub(write_config(tmp_path, config(tmp_path, store_url, smtp_server, templates=str(folder))))
    try:
        cycle(hub, "po.edi", dropship("PO-10"))
        with hub.store.transaction() as conn:
            said = [row.message for row in conn.execute(select(events.c.message))]
        assert any(m.startswith("order PO-10: no received mail: notify templates: cannot read") for m in said)
        assert any((tmp_path / "3pl").iterdir())  # the order went on to the 3PL
    finally:
        hub.close()
    assert smtp_server.messages == []
