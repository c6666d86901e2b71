"""The console's document page shows an AS2 message's MDN beside it: its state, disposition, MIC and bytes,
escaped (a partner chose them)."""

from __future__ import annotations

from sqlalchemy import select

from crossdock.core.acknowledgments.as2_receipts import put
from crossdock.core.hub import Hub
from crossdock.core.storage.schema import documents
from tests.console.conftest import HOSTILE, Client, sign_in


def test_a_document_page_shows_its_mdn(hub: Hub, client: Client) -> None:
    with hub.store.transaction() as conn:
        inbound = conn.execute(select(documents.c.id).where(documents.c.remote_name == "po1.edi")).scalar_one()
        mdn = f"Content-Type: multipart/report\r\n\r\nDisposition: automatic-action/MDN-sent-automatically; {HOSTILE}"
        put(
            conn,
            "in",
            "northwind",
            "<m-1@northwind>",
            document_id=inbound,
            state="answered",
            mic="abc=, sha-256",
            disposition="processed",
            mdn=mdn.encode(),
        )
    sign_in(client, "victor")
    page = client.get(f"/console/documents/{inbound}").text
    assert 'id="mdn-1"' in page and "MDN sent for &lt;m-1@northwind&gt; (northwind)" in page
    assert "<b>answered</b>" in page and "MIC abc=, sha-256" in page
    assert "MDN-sent-automatically; &lt;script src=//x" in page and HOSTILE not in page
    other = client.get(f"/console/documents/{inbound + 1}").text
    assert 'id="mdn-1"' not in other, "no panel where there is no MDN"
