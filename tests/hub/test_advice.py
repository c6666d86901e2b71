"""A buyer's 824 or 864 ties back to the document it is about: shown on it, one alert raised (issue 19, item 8)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.schema import documents
from crossdock.mappings.x12.ack import acknowledge_file
from tests.hub.edi import interchange as po_interchange
from tests.hub.edi import order
from tests.hub.test_pipeline import _alerts_hub, alert_texts, dispatch, drop
from tests.x12.test_advice824 import advice_824, interchange, text_864


def sent_855(hub: Hub) -> tuple[int, str, str]:
    """Our 855's document id, GS06 and ST02, after the PO that caused it."""
    drop(hub, "po.edi", po_interchange([order("PO-1")]))
    poll(hub, "drop", "me")
    dispatch(hub)
    with hub.store.transaction() as conn:
        row = conn.execute(
            select(documents.c.id, documents.c.group_control, documents.c.transaction_controls).where(
                documents.c.direction == "out", documents.c.kind == "855"
            )
        ).one()
    return int(row.id), str(row.group_control), f"{int(row.transaction_controls):04d}"  # ST02 as written


def events_of(hub: Hub, document_id: int) -> list[str]:
    with hub.store.transaction() as conn:
        shown = Queries(hub.store).document(conn, document_id)
    assert shown is not None
    return [f"{e['kind']} {e['message']}" for e in shown["events"]]


def test_an_824_by_control_numbers_shows_on_the_855_and_raises_one_alert(tmp_path: Path, store_url: str) -> None:
    hub = _alerts_hub(tmp_path, store_url)
    try:
        doc, gs, st = sent_855(hub)
        drop(hub, "824.edi", interchange("AG", advice_824(gs=gs, st=st, reference="SOMETHING-ELSE")))
        result = poll(hub, "drop", "me").processed[0]
        dispatch(hub)
        assert result.state == "processed" and result.error is None
        (shown,) = [e for e in events_of(hub, doc) if e.startswith("824 ")]
        assert "northwind: 824 rejected (855 SOMETHING-ELSE)" in shown
        assert "024 at BAK 2: PRICE DOES NOT MATCH CALL YOUR BUYER" in shown
        (alert,) = [t for t in alert_texts(tmp_path) if "824" in t.splitlines()[0]]
        assert alert.startswith("crossdock: northwind sent an 824 (accepted, rejected)")
        assert f"855 document {doc}: 824 rejected" in alert and "no document we sent: 824 accepted" in alert
    finally:
        hub.close()


def test_an_864_by_reference_shows_on_the_document_that_carries_it(tmp_path: Path, store_url: str) -> None:
    hub = _alerts_hub(tmp_path, store_url)
    try:
        doc, _, _ = sent_855(hub)  # its BAK03 is the PO number
        drop(hub, "864.edi", interchange("TX", text_864(reference="PO-1")))
        poll(hub, "drop", "me")
        dispatch(hub)
        (shown,) = [e for e in events_of(hub, doc) if e.startswith("864 ")]
        assert "864 a message (PO-1): INVOICE PRICE DIFFERS FROM PO; RESEND WITHIN 5 DAYS" in shown
        assert len([t for t in alert_texts(tmp_path) if "864" in t.splitlines()[0]]) == 1
    finally:
        hub.close()


def test_an_advice_that_names_nothing_we_sent_is_a_problem_of_its_document(tmp_path: Path, store_url: str) -> None:
    hub = _alerts_hub(tmp_path, store_url)
    try:
        drop(hub, "864.edi", interchange("TX", text_864(reference="NOT-OURS")))
        result = poll(hub, "drop", "me").processed[0]
        assert result.error is not None and "864 INVOICE ERRORS names no document sent to northwind" in result.error
    finally:
        hub.close()


def test_an_824_that_rejects_a_document_makes_it_rejected_in_status_and_keeps_the_alert(
    tmp_path: Path, store_url: str
) -> None:
    hub = _alerts_hub(tmp_path, store_url)
    try:
        doc, gs, st = sent_855(hub)
        drop(hub, "824.edi", interchange("AG", advice_824(gs=gs, st=st)))
        poll(hub, "drop", "me")
        dispatch(hub)
        with hub.store.transaction() as conn:
            shown = Queries(hub.store).document(conn, doc)
            problems = Queries(hub.store).problems(conn)
        assert shown is not None and shown["ack_state"] == "rejected"
        assert "824 rejected (855 PO-1): 024 at BAK 2" in shown["ack_detail"]
        assert [d["id"] for d in problems["unacknowledged_documents"]] == [doc]
        assert len([t for t in alert_texts(tmp_path) if "824" in t.splitlines()[0]]) == 1
    finally:
        hub.close()


def test_an_824_that_accepts_with_errors_never_makes_a_rejected_document_look_better(
    tmp_path: Path, store_url: str
) -> None:
    hub = _alerts_hub(tmp_path, store_url)
    try:
        doc, gs, st = sent_855(hub)
        drop(hub, "824a.edi", interchange("AG", advice_824(gs=gs, st=st)))
        poll(hub, "drop", "me")
        errors = [line.replace("OTI*TR*", "OTI*TE*").replace("ADV-1", "ADV-2") for line in advice_824(gs=gs, st=st)]
        drop(hub, "824b.edi", interchange("AG", errors, control=10))
        poll(hub, "drop", "me")
        with hub.store.transaction() as conn:
            shown = Queries(hub.store).document(conn, doc)
        assert shown is not None and shown["ack_state"] == "rejected"
        assert len([e for e in shown["events"] if e["kind"] == "824"]) == 2
    finally:
        hub.close()


def test_a_997_after_an_824_rejection_leaves_the_document_rejected(tmp_path: Path, store_url: str) -> None:
    """The 997 says the 855 parsed; the 824 says the buyer's application refused it: the refusal stands."""
    hub = _alerts_hub(tmp_path, store_url)
    try:
        doc, gs, st = sent_855(hub)
        drop(hub, "824.edi", interchange("AG", advice_824(gs=gs, st=st)))
        poll(hub, "drop", "me")
        with hub.store.transaction() as conn:
            ours = conn.execute(select(documents.c.data).where(documents.c.id == doc)).scalar_one()
        drop(hub, "997.edi", acknowledge_file(bytes(ours)).encode())
        poll(hub, "drop", "me")
        with hub.store.transaction() as conn:
            shown = Queries(hub.store).document(conn, doc)
        assert shown is not None and shown["ack_state"] == "rejected"
        assert any("997 accepted; still rejected by an application advice" in e["message"] for e in shown["events"])
    finally:
        hub.close()
