"""End to end on Dovecot: an 850 mailed as an attachment becomes an order; mail from a stranger is kept,
quarantined and shown, never processed. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from crossdock.core.configuration.config import load_config
from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.schema import documents, events
from tests.hub.conftest import base_config
from tests.hub.edi import interchange, order
from tests.peers import ImapPeer, imap_source_config

pytestmark = pytest.mark.peers


def mail(sender: str, attachment: bytes | None, name: str = "po.edi") -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "orders@crossdock.test"
    message["Subject"] = "purchase order"
    message.set_content("see attached")
    if attachment is not None:
        message.add_attachment(attachment, maintype="application", subtype="edi-x12", filename=name)
    return message


def test_mailed_850s_become_orders_and_strangers_are_quarantined(
    tmp_path: Path, store_url: str, imap_peer: ImapPeer
) -> None:
    imap_peer.append(mail("edi@northwind.test", interchange([order("PO-1")], control=1)))
    imap_peer.append(mail("someone@elsewhere.test", interchange([order("PO-666")], control=2)))
    imap_peer.append(mail("edi@northwind.test", None))
    data = base_config(tmp_path, store_url)
    source = imap_source_config(
        imap_peer, allowed_senders=["@northwind.test"], processed_folder=f"{imap_peer.folder}/Done"
    )
    data["sources"] = {"mailbox": source.model_dump(mode="json", exclude_defaults=True) | {"type": "imap"}}
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    hub = Hub(load_config(path))
    try:
        report = poll(hub, "mailbox", "w1")
        assert report.error is None and report.received == 3
        assert [p.orders_new for p in report.processed] == [1]
        with hub.store.transaction() as conn:
            q = Queries(hub.store)
            assert [o["po_number"] for o in q.orders(conn)] == ["PO-1"]
            quarantined = q.problems(conn)["failed_documents"]
        reasons = sorted(d["error"] for d in quarantined)
        assert reasons == ["mail from unknown sender someone@elsewhere.test", "no EDI or CSV attachment"]
        assert {d["state"] for d in quarantined} == {"quarantined"}
        again = poll(hub, "mailbox", "w1")
        assert again.received == 0 and again.already == 0, "everything read was moved away after the commit"
    finally:
        hub.close()
    assert imap_peer.messages() == {}
    assert len(imap_peer.messages(f"{imap_peer.folder}/Done")) == 1
    assert len(imap_peer.messages(f"{imap_peer.folder}/Quarantine")) == 2


def test_a_mail_with_a_long_sender_and_attachment_name_does_not_block_the_mailbox(
    tmp_path: Path, store_url: str, imap_peer: ImapPeer
) -> None:
    """A 300-character From and a 2,000-character attachment name made PostgreSQL refuse the document, and every
    poll stopped at that mail (issue 17): they are cut to their columns, the whole sender kept in the error text."""
    sender = "b" * 285 + "@northwind.test"
    long_name = "p" * 1996 + ".edi"
    imap_peer.append(mail(sender, interchange([order("PO-LONG")], control=1), name=long_name))
    imap_peer.append(mail("edi@northwind.test", interchange([order("PO-NEXT")], control=2)))
    data = base_config(tmp_path, store_url)
    source = imap_source_config(imap_peer, allowed_senders=["@northwind.test"])
    data["sources"] = {"mailbox": source.model_dump(mode="json", exclude_defaults=True) | {"type": "imap"}}
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    hub = Hub(load_config(path))
    try:
        report = poll(hub, "mailbox", "w1")
        assert report.error is None and report.received == 2
        with hub.store.transaction() as conn:
            assert sorted(o["po_number"] for o in Queries(hub.store).orders(conn)) == ["PO-LONG", "PO-NEXT"]
            rows = conn.execute(documents.select().where(documents.c.direction == "in").order_by(documents.c.id)).all()
            said = conn.execute(select(events.c.message).where(events.c.document_id == rows[0].id)).scalars().all()
        first = rows[0]
        assert len(first.sender) <= 256 and "more characters cut]" in first.sender
        assert len(first.remote_name) <= 1024 and "more characters cut]" in first.remote_name
        assert first.sender.startswith("bbbb") and first.remote_name.startswith("pppp")
        assert any(sender in m and long_name in m for m in said), "the whole values are kept in the event"
        assert rows[1].sender == "edi@northwind.test"
    finally:
        hub.close()
