"""The inbound flow on a folder source, on both engines: store first, decode, ack, upsert, route, enqueue."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crossdock.core.hub import Hub
from crossdock.core.pipeline import ingest, process, process_pending, replay
from crossdock.core.poller import poll
from crossdock.core.ports import Inbound
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.schema import deliveries, documents, orders
from crossdock.mappings.x12.reader import parse
from tests.hub.conftest import base_config, write_config
from tests.hub.edi import interchange, order


def drop(hub: Hub, name: str, data: bytes) -> Path:
    path = Path(hub.config.sources["drop"].path) / name  # type: ignore[union-attr]
    path.write_bytes(data)
    return path


def dispatch(hub: Hub) -> None:
    hub.dispatcher("test").drain()


def count(hub: Hub, table, *where) -> int:  # type: ignore[no-untyped-def]
    with hub.store.transaction() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def partner_files(tmp_path: Path) -> dict[str, bytes]:
    folder = tmp_path / "partner-inbox"
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.edi"))} if folder.exists() else {}


def test_an_850_becomes_routed_orders_with_997_and_855_back(hub: Hub, tmp_path: Path) -> None:
    path = drop(hub, "po.edi", interchange([order("PO-1"), order("PO-2", state="TX")]))
    report = poll(hub, "drop", "me")
    assert report.received == 1 and report.processed[0].state == "processed"
    assert not path.exists() and [p.name for p in (path.parent / "archive").rglob("po.edi")] == ["po.edi"]
    dispatch(hub)
    west = json.loads((tmp_path / "west" / "northwind-PO-1-r1.json").read_text())
    assert west["po_number"] == "PO-1" and west["lines"][0]["product_ids"] == {"VN": "MUG-BLU"}
    assert (tmp_path / "east" / "northwind-PO-2-r1.json").exists()
    files = partner_files(tmp_path)
    assert sorted(n.split("-")[1] for n in files) == ["855", "855", "997"]
    isa13 = sorted(int(parse(data)[0].control) for data in files.values())
    assert isa13 == [1, 2, 3]
    ack = next(data for name, data in files.items() if "-997-" in name).decode()
    assert "AK1*PO*1~" in ack and ack.count("AK5*A~") == 2 and "*ZZ*NORTHWIND" in ack
    with hub.store.transaction() as conn:
        assert {r["status"] for r in Queries(hub.store).orders(conn)} == {"delivered"}


def test_the_same_bytes_twice_are_kept_as_a_duplicate_and_change_nothing(hub: Hub, tmp_path: Path) -> None:
    data = interchange([order("PO-1")])
    drop(hub, "a.edi", data)
    poll(hub, "drop", "me")
    drop(hub, "a-again.edi", data)
    report = poll(hub, "drop", "me")
    assert report.received == 1 and report.processed == []
    assert not (tmp_path / "drop" / "a-again.edi").exists(), "a duplicate is still archived"
    with hub.store.transaction() as conn:
        docs = sorted(Queries(hub.store).documents(conn, direction="in"), key=lambda d: d["id"])
        problems = Queries(hub.store).problems(conn)
        shown = problems["duplicate_documents"]
    assert [d["state"] for d in docs] == ["processed", "duplicate"]
    assert [d["id"] for d in shown] == [docs[1]["id"]]
    assert problems["failed_documents"] == [], "a duplicate is listed apart from the failures"
    assert f"the same bytes as document {docs[0]['id']} (a.edi)" in shown[0]["error"]
    assert count(hub, orders) == 1
    assert count(hub, deliveries) == 3  # one order delivery, one 997, one 855
    assert replay(hub, docs[1]["id"]).orders_unchanged == 1, "replaying the duplicate doubles nothing"
    assert count(hub, orders) == 1 and count(hub, deliveries, deliveries.c.purpose == "order") == 1


def test_a_resent_order_in_a_new_interchange_is_not_a_second_order(hub: Hub) -> None:
    drop(hub, "a.edi", interchange([order("PO-1")], control=1))
    drop(hub, "b.edi", interchange([order("PO-1")], control=2))
    report = poll(hub, "drop", "me")
    assert [p.orders_new for p in report.processed] == [1, 0]
    assert report.processed[1].orders_unchanged == 1
    assert count(hub, orders) == 1
    assert count(hub, deliveries, deliveries.c.purpose == "order") == 1
    assert count(hub, deliveries, deliveries.c.purpose == "997") == 2, "each interchange is acknowledged"


def test_an_order_stored_before_the_model_grew_a_field_is_not_taken_for_a_changed_one(hub: Hub) -> None:
    drop(hub, "a.edi", interchange([order("PO-1")], control=1))
    poll(hub, "drop", "me")
    with hub.store.transaction() as conn:  # as an older crossdock stored it: without the later fields
        stored = json.loads(conn.execute(select(orders.c.data)).scalar_one())
        older = {k: v for k, v in stored.items() if k not in ("taxes", "discounts", "shipping_lines", "updated_at")}
        conn.execute(orders.update().values(data=json.dumps(older)))
    drop(hub, "b.edi", interchange([order("PO-1")], control=2))
    (report,) = poll(hub, "drop", "me").processed
    assert (report.orders_unchanged, report.orders_changed) == (1, 0)
    assert count(hub, deliveries, deliveries.c.purpose == "order") == 1, "not sent again as a new revision"


def test_a_reused_interchange_number_is_flagged(hub: Hub) -> None:
    drop(hub, "a.edi", interchange([order("PO-1")], control=7))
    drop(hub, "b.edi", interchange([order("PO-2")], control=7))
    poll(hub, "drop", "me")
    with hub.store.transaction() as conn:
        docs = sorted(Queries(hub.store).documents(conn, direction="in"), key=lambda d: d["id"])
        second = Queries(hub.store).document(conn, docs[1]["id"])
    assert [d["flags"] for d in docs] == [None, "duplicate-interchange"]
    assert second is not None and any(
        f"already received in document {docs[0]['id']}" in e["message"] for e in second["events"]
    )
    assert count(hub, orders) == 2


def test_a_replacement_updates_the_order_and_supersedes_its_unsent_delivery(hub: Hub, tmp_path: Path) -> None:
    drop(hub, "a.edi", interchange([order("PO-1", qty=5)], control=1))
    poll(hub, "drop", "me")
    drop(hub, "b.edi", interchange([order("PO-1", qty=9, purpose="05")], control=2))
    poll(hub, "drop", "me")
    assert count(hub, orders) == 1
    with hub.store.transaction() as conn:
        shown = Queries(hub.store).order(conn, "PO-1")
    assert shown is not None and shown["revision"] == 2 and shown["data"]["lines"][0]["quantity"] == "9"
    states = sorted(d["state"] for d in shown["deliveries"] if d["purpose"] == "order")
    assert states == ["cancelled", "pending"]
    dispatch(hub)
    assert sorted(p.name for p in (tmp_path / "west").iterdir()) == ["northwind-PO-1-r2.json"]


def test_a_cancel_stops_unsent_deliveries(hub: Hub, tmp_path: Path) -> None:
    drop(hub, "a.edi", interchange([order("PO-1")], control=1))
    poll(hub, "drop", "me")
    drop(hub, "b.edi", interchange([order("PO-1", purpose="01")], control=2))
    poll(hub, "drop", "me")
    dispatch(hub)
    with hub.store.transaction() as conn:
        shown = Queries(hub.store).order(conn, "PO-1")
    assert shown is not None and shown["status"] == "cancelled"
    assert not (tmp_path / "west").exists() or not list((tmp_path / "west").iterdir())


def test_unknown_partner_is_kept_failed_and_replayable(tmp_path: Path, store_url: str) -> None:
    data = interchange([order("PO-9")], sender="ACMEWIDGETS")
    cfg = base_config(tmp_path, store_url)
    hub = Hub(write_config(tmp_path, cfg))
    try:
        drop(hub, "acme.edi", data)
        report = poll(hub, "drop", "me")
        result = report.processed[0]
        assert result.state == "failed"
        assert result.error is not None and "ZZ/ACMEWIDGETS" in result.error and "unknown partner" in result.error
        with hub.store.transaction() as conn:
            assert Queries(hub.store).data(conn, result.document_id) == data
            assert Queries(hub.store).problems(conn)["failed_documents"][0]["id"] == result.document_id
        assert count(hub, orders) == 0
    finally:
        hub.close()
    cfg["partners"]["acme"] = {"isa_qualifier": "ZZ", "isa_id": "ACMEWIDGETS"}
    hub = Hub(write_config(tmp_path, cfg))
    try:
        again = replay(hub, result.document_id)
        assert again.state == "processed" and again.orders_new == 1
        assert replay(hub, result.document_id).orders_unchanged == 1, "a second replay doubles nothing"
        assert count(hub, orders) == 1
    finally:
        hub.close()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"%PDF-1.7 not an order", "PDF"),
        (b"UNA:+.? 'UNB+UNOC:3+SENDER", "EDIFACT"),
    ],
)
def test_bad_files_fail_with_their_reason_and_stay_stored(hub: Hub, data: bytes, reason: str) -> None:
    drop(hub, "bad.edi", data)
    result = poll(hub, "drop", "me").processed[0]
    assert result.state == "failed" and result.error is not None and reason in result.error
    assert "bad.edi" in result.error
    with hub.store.transaction() as conn:
        assert Queries(hub.store).data(conn, result.document_id) == data


def test_a_file_that_trips_a_bug_fails_alone_and_the_poll_goes_on(
    hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crossdock.mappings.x12 import po850

    real = po850.order_from_850

    def buggy(ts, partner=None):  # type: ignore[no-untyped-def]
        if "BEG*00*SA*PO-BAD" in ts.body:
            raise ZeroDivisionError("division by zero")
        return real(ts, partner)

    monkeypatch.setattr(po850, "order_from_850", buggy)
    bad = interchange([order("PO-BAD")])
    drop(hub, "a-bad.edi", bad)
    drop(hub, "b-good.edi", interchange([order("PO-1")], control=8))
    report = poll(hub, "drop", "me")
    failed, done = report.processed
    assert failed.state == "failed" and failed.error is not None
    assert "a-bad.edi" in failed.error and "ZeroDivisionError" in failed.error and "crossdock bug" in failed.error
    assert done.state == "processed" and done.orders_new == 1, "the next file is not held up"
    with hub.store.transaction() as conn:
        assert Queries(hub.store).data(conn, failed.document_id) == bad
    assert poll(hub, "drop", "me").error is None

    monkeypatch.setattr(po850, "order_from_850", real)
    assert replay(hub, failed.document_id).orders_new == 1, "once fixed, a replay takes it"


def test_a_bug_while_recording_rolls_the_document_back_and_fails_it(
    hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crossdock.core.x12_document as pipeline

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyError("routing")

    monkeypatch.setattr(pipeline, "upsert_orders", broken)
    drop(hub, "po.edi", interchange([order("PO-1")]))
    (result,) = poll(hub, "drop", "me").processed
    assert result.state == "failed" and result.error is not None and "KeyError" in result.error
    assert count(hub, orders) == 0 and count(hub, deliveries) == 0, "no order, and no 997 queued for it"


def test_a_file_whose_name_is_not_utf8_is_stored_and_processed(hub: Hub) -> None:
    folder = os.fsencode(hub.config.sources["drop"].path)  # type: ignore[union-attr]
    with open(os.path.join(folder, b"po-M\xe4rz.edi"), "wb") as file:
        file.write(interchange([order("PO-1")]))
    report = poll(hub, "drop", "me")
    (result,) = report.processed
    assert report.error is None and result.state == "processed" and result.orders_new == 1
    with hub.store.transaction() as conn:
        (doc,) = Queries(hub.store).documents(conn, direction="in")
    assert doc["remote_name"] == "po-M\\xe4rz.edi"


def test_a_rejected_set_gets_a_997_with_the_place_and_no_order(hub: Hub, tmp_path: Path) -> None:
    good = interchange([order("PO-1")])
    bad = good.replace(b"BEG*00*SA*PO-1**20261120~", b"BEG*00*SA~")
    drop(hub, "bad.edi", bad)
    result = poll(hub, "drop", "me").processed[0]
    assert result.state == "rejected" and result.error is not None and "850 0001 rejected" in result.error
    assert count(hub, orders) == 0
    dispatch(hub)
    ack = next(iter(partner_files(tmp_path).values())).decode()
    assert "AK5*R" in ack and "AK3*BEG*2" in ack


def test_a_997_from_the_partner_is_not_acknowledged(hub: Hub) -> None:
    inbound = interchange([order("PO-1")])
    from crossdock.mappings.x12.ack import acknowledge_file

    their_997 = acknowledge_file(inbound).replace(
        "*CROSSDOCK      *ZZ*NORTHWIND      *", "*NORTHWIND      *ZZ*CROSSDOCK      *"
    )
    their_997 = their_997.replace("GS*FA*CROSSDOCK*NORTHWIND", "GS*FA*NORTHWIND*CROSSDOCK")
    drop(hub, "fa.edi", their_997.encode())
    result = poll(hub, "drop", "me").processed[0]
    assert result.acks == 0
    assert count(hub, deliveries) == 0


def test_a_test_partner_only_ever_receives_test_interchanges(tmp_path: Path, store_url: str) -> None:
    cfg = base_config(tmp_path, store_url)
    cfg["partners"]["northwind"]["mode"] = "test"
    hub = Hub(write_config(tmp_path, cfg))
    try:
        drop(hub, "a.edi", interchange([order("PO-1")], usage="P"))
        poll(hub, "drop", "me")
        dispatch(hub)
    finally:
        hub.close()
    usages = {parse(data)[0].usage for data in partner_files(tmp_path).values()}
    assert usages == {"T"}


def test_a_production_partner_never_receives_a_test_flag(hub: Hub, tmp_path: Path) -> None:
    drop(hub, "a.edi", interchange([order("PO-1")], usage="T"))
    poll(hub, "drop", "me")
    dispatch(hub)
    assert {parse(data)[0].usage for data in partner_files(tmp_path).values()} == {"P"}


def test_without_a_reply_sink_the_ack_is_kept_unsent_and_shown(tmp_path: Path, store_url: str) -> None:
    cfg = base_config(tmp_path, store_url)
    del cfg["partners"]["northwind"]["reply_to"]
    hub = Hub(write_config(tmp_path, cfg))
    try:
        drop(hub, "a.edi", interchange([order("PO-1")]))
        poll(hub, "drop", "me")
        with hub.store.transaction() as conn:
            unsent = Queries(hub.store).problems(conn)["unsent_documents"]
        assert {d["kind"] for d in unsent} == {"997", "855"}
        assert "no reply_to sink" in unsent[0]["error"]
    finally:
        hub.close()


def test_an_order_no_rule_takes_is_held(tmp_path: Path, store_url: str) -> None:
    cfg = base_config(tmp_path, store_url)
    cfg["routing"] = {"rules": [{"match": {"state": ["CA"]}, "to": "west"}]}
    hub = Hub(write_config(tmp_path, cfg))
    try:
        drop(hub, "a.edi", interchange([order("PO-1", state="NY")]))
        poll(hub, "drop", "me")
        with hub.store.transaction() as conn:
            assert Queries(hub.store).orders(conn)[0]["status"] == "held"
        assert count(hub, deliveries, deliveries.c.purpose == "order") == 0
    finally:
        hub.close()


def test_split_lines_go_to_their_destinations(tmp_path: Path, store_url: str) -> None:
    cfg = base_config(tmp_path, store_url)
    cfg["routing"]["rules"].insert(0, {"match": {"sku": ["KTL-*"]}, "to": "east", "split": True})
    hub = Hub(write_config(tmp_path, cfg))
    try:
        drop(hub, "a.edi", interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL", "MUG-RED"))]))
        poll(hub, "drop", "me")
        dispatch(hub)
    finally:
        hub.close()
    east = json.loads(next((tmp_path / "east").iterdir()).read_text())
    west = json.loads(next((tmp_path / "west").iterdir()).read_text())
    assert [line["line_number"] for line in east["lines"]] == ["0002"]
    assert [line["line_number"] for line in west["lines"]] == ["0001", "0003"]


def test_a_file_on_another_partners_source_is_refused(tmp_path: Path, store_url: str) -> None:
    cfg = base_config(tmp_path, store_url)
    cfg["partners"]["acme"] = {"isa_qualifier": "ZZ", "isa_id": "ACMEWIDGETS"}
    cfg["sources"]["drop"]["partner"] = "acme"
    hub = Hub(write_config(tmp_path, cfg))
    try:
        drop(hub, "a.edi", interchange([order("PO-1")]))
        result = poll(hub, "drop", "me").processed[0]
        assert result.state == "failed" and result.error is not None and "belongs to 'acme'" in result.error
    finally:
        hub.close()


def test_a_crash_after_storing_is_finished_on_restart(hub: Hub) -> None:
    got = ingest(hub, "drop", Inbound(name="a.edi", data=interchange([order("PO-1")]), identity="x"))
    assert got.new and got.state == "received"
    assert count(hub, orders) == 0
    done = process_pending(hub)
    assert [p.state for p in done] == ["processed"] and count(hub, orders) == 1
    assert process_pending(hub) == []
    assert process(hub, got.document_id).state == "processed"
    assert count(hub, deliveries) == 3, "processing a processed document again queues nothing"


def test_a_crash_before_settling_reads_the_file_again_harmlessly(hub: Hub) -> None:
    path = drop(hub, "a.edi", interchange([order("PO-1")]))
    with hub.source("drop").receive() as items:
        (item,) = list(items)
        first = ingest(hub, "drop", item)  # stored and committed; the crash comes before settle()
    process(hub, first.document_id)
    assert path.exists()
    report = poll(hub, "drop", "me")
    assert report.already == 1 and report.received == 0
    assert not path.exists()
    assert count(hub, orders) == 1 and count(hub, documents, documents.c.direction == "in") == 1


def test_a_source_lease_of_a_dead_local_process_is_taken_over(hub: Hub) -> None:
    import socket
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()
    with hub.store.transaction() as conn:
        hub.store.acquire_lease(conn, "source:drop", f"{socket.gethostname()}:{gone.pid}:dead", 600)
    drop(hub, "a.edi", interchange([order("PO-1")]))
    report = poll(hub, "drop", "me")
    assert report.skipped is None and report.received == 1


def test_a_source_lease_of_a_live_worker_is_respected(hub: Hub) -> None:
    with hub.store.transaction() as conn:
        hub.store.acquire_lease(conn, "source:drop", "elsewhere:1:other", 600)
    drop(hub, "a.edi", interchange([order("PO-1")]))
    report = poll(hub, "drop", "me")
    assert report.skipped == "worker elsewhere:1:other holds this source's lease" and report.received == 0


def test_a_failing_source_is_shown_in_status_until_a_poll_succeeds(hub: Hub, tmp_path: Path) -> None:
    drop_dir = tmp_path / "drop"
    drop_dir.rename(tmp_path / "moved")
    report = poll(hub, "drop", "me")
    assert report.error is not None and "does not exist" in report.error
    with hub.store.transaction() as conn:
        (failing,) = Queries(hub.store).problems(conn)["failing_sources"]
    assert failing["source"] == "drop" and "does not exist" in failing["error"]
    (tmp_path / "moved").rename(drop_dir)
    assert poll(hub, "drop", "me").error is None
    with hub.store.transaction() as conn:
        assert Queries(hub.store).problems(conn)["failing_sources"] == []


def test_a_file_that_cannot_be_archived_is_processed_once_and_archived_later(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crossdock.connectors import folder
    from crossdock.core.errors import TransientError

    path = drop(hub, "a.edi", interchange([order("PO-1")]))
    real = folder.FolderSource._settle

    def refuse(self: folder.FolderSource, *args: object) -> None:
        raise TransientError("archive folder is read-only")

    monkeypatch.setattr(folder.FolderSource, "_settle", refuse)
    first = poll(hub, "drop", "me")
    assert first.error is None and first.processed[0].state == "processed" and path.exists()
    monkeypatch.setattr(folder.FolderSource, "_settle", real)
    again = poll(hub, "drop", "me")
    assert again.already == 1 and not path.exists()
    assert count(hub, orders) == 1 and count(hub, deliveries) == 3


def _alerts_hub(tmp_path: Path, store_url: str) -> Hub:
    cfg = base_config(tmp_path, store_url)
    cfg["sinks"]["people"] = {"type": "folder", "path": str(tmp_path / "alerts")}
    cfg["alerts"] = {"sink": "people"}
    return Hub(write_config(tmp_path, cfg))


def alert_texts(tmp_path: Path) -> list[str]:
    folder = tmp_path / "alerts"
    return [p.read_text() for p in sorted(folder.iterdir())] if folder.exists() else []


def test_a_failed_document_raises_one_alert(tmp_path: Path, store_url: str) -> None:
    hub = _alerts_hub(tmp_path, store_url)
    try:
        drop(hub, "junk.edi", b"hello")
        result = poll(hub, "drop", "me").processed[0]
        replay(hub, result.document_id)  # fails again: the same cause, no second alert
        dispatch(hub)
    finally:
        hub.close()
    (text,) = alert_texts(tmp_path)
    assert text.startswith(f"crossdock: document {result.document_id} failed")
    assert "junk.edi" in text and f"crossdock replay {result.document_id}" in text


def test_a_dead_letter_raises_an_alert(tmp_path: Path, store_url: str) -> None:
    hub = _alerts_hub(tmp_path, store_url)
    try:
        (tmp_path / "west").write_text("a file where the warehouse folder should be")
        drop(hub, "a.edi", interchange([order("PO-1")]))
        poll(hub, "drop", "me")
        dispatch(hub)
    finally:
        hub.close()
    (text,) = alert_texts(tmp_path)
    assert text.startswith("crossdock: order to west dead-lettered") and "crossdock retry" in text


def test_a_failing_source_raises_one_alert_per_streak(tmp_path: Path, store_url: str) -> None:
    hub = _alerts_hub(tmp_path, store_url)
    try:
        (tmp_path / "drop").rename(tmp_path / "moved")
        poll(hub, "drop", "me")
        poll(hub, "drop", "me")
        dispatch(hub)
        assert len(alert_texts(tmp_path)) == 1
        (tmp_path / "moved").rename(tmp_path / "drop")
        poll(hub, "drop", "me")
        (tmp_path / "drop").rename(tmp_path / "moved")
        poll(hub, "drop", "me")
        dispatch(hub)
    finally:
        hub.close()
    texts = alert_texts(tmp_path)
    assert len(texts) == 2 and all(t.startswith("crossdock: source drop fails") for t in texts)


def test_a_hold_window_delays_deliveries_but_not_acknowledgments(tmp_path: Path, store_url: str) -> None:
    cfg = base_config(tmp_path, store_url)
    cfg["routing"]["hold"] = "1h"
    hub = Hub(write_config(tmp_path, cfg))
    try:
        drop(hub, "a.edi", interchange([order("PO-1")]))
        poll(hub, "drop", "me")
        report = hub.dispatcher("test").drain()
        assert report.sent == 2, "the 997 and the 855 leave at once"
        assert not (tmp_path / "west").exists(), "the order waits out its hold window"
        with hub.store.transaction() as conn:
            (pending,) = [d for d in Queries(hub.store).order(conn, "PO-1")["deliveries"] if d["state"] == "pending"]  # type: ignore[index]
        assert pending["purpose"] == "order"
    finally:
        hub.close()


def test_two_workers_processing_one_document_record_it_once(hub: Hub) -> None:
    import threading

    got = ingest(hub, "drop", Inbound(name="a.edi", data=interchange([order("PO-1"), order("PO-2")]), identity="x"))
    results = []
    threads = [threading.Thread(target=lambda: results.append(process(hub, got.document_id))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.state for r in results] == ["processed"] * 4
    assert sum(r.orders_new for r in results) == 2
    assert count(hub, documents, documents.c.direction == "out") == 5  # one 997, two 855s, two orders
    with hub.store.transaction() as conn:
        assert hub.store.next_numbers(conn, "northwind", "isa") == 4, "ISA13 1-3 used, none skipped"


@pytest.mark.parametrize(("ack", "expected"), [("999", "ST*999*"), ("none", None)])
def test_the_partner_chooses_its_acknowledgment(tmp_path: Path, store_url: str, ack: str, expected: str | None) -> None:
    cfg = base_config(tmp_path, store_url)
    cfg["partners"]["northwind"]["ack"] = ack
    cfg["partners"]["northwind"]["send_855"] = False
    hub = Hub(write_config(tmp_path, cfg))
    try:
        drop(hub, "a.edi", interchange([order("PO-1")]))
        poll(hub, "drop", "me")
        dispatch(hub)
    finally:
        hub.close()
    acks = list(partner_files(tmp_path).values())
    if expected is None:
        assert acks == []
    else:
        (data,) = acks
        assert expected in data.decode() and "IK5*A" in data.decode()


def test_the_855_is_written_in_the_partners_delimiters_version_and_ids(tmp_path: Path, store_url: str) -> None:
    cfg = base_config(tmp_path, store_url)
    cfg["partners"]["northwind"].update(
        version="005010",
        gs_id="NWGS",
        us={"isa_qualifier": "01", "isa_id": "123456789", "gs_id": "CDGS"},
        delimiters={"element": "|", "segment": "\n", "component": ":", "repetition": "^", "newline": False},
    )
    hub = Hub(write_config(tmp_path, cfg))
    try:
        drop(hub, "a.edi", interchange([order("PO-1")]))
        poll(hub, "drop", "me")
        dispatch(hub)
    finally:
        hub.close()
    data = next(d for name, d in partner_files(tmp_path).items() if "-855-" in name)
    lines = data.decode().split("\n")
    assert lines[0].startswith("ISA|00|") and "|01|123456789      |ZZ|NORTHWIND      |" in lines[0]
    assert lines[0].split("|")[11:13] == ["^", "00501"]
    assert lines[1].startswith("GS|PR|CDGS|NWGS|") and lines[1].endswith("|X|005010")
    assert lines[3].startswith("BAK|00|AD|PO-1|20261120")
    (ic,) = parse(data)
    assert [ts.code for g in ic.groups for ts in g.transactions] == ["855"]


def test_an_order_reaches_a_web_hook_in_the_declared_shape(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json as jsonlib

    import httpx
    import respx

    monkeypatch.setenv("WMS_TOKEN", "Bearer t")
    cfg = base_config(tmp_path, store_url)
    cfg["sinks"]["wms"] = {
        "type": "http",
        "url": "https://wms.example.test/orders",
        "auth": "${WMS_TOKEN}",
        "format": "mapped",
        "fields": {"reference": "po_number", "ship.city": "ship_to.address.city", "partner": "partner"},
        "line_fields": {"sku": "product_ids.VN", "qty": "quantity"},
        "lines_key": "items",
    }
    cfg["routing"] = {"default": "wms"}
    hub = Hub(write_config(tmp_path, cfg))
    try:
        with respx.mock(assert_all_called=True) as mock:
            route = mock.post("https://wms.example.test/orders").mock(
                side_effect=[httpx.Response(503, headers={"Retry-After": "0"}), httpx.Response(201)]
            )
            drop(hub, "a.edi", interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=3)]))
            poll(hub, "drop", "me")
            dispatch(hub)
        first, second = route.calls
        assert first.request.headers["Idempotency-Key"] == second.request.headers["Idempotency-Key"]
        assert jsonlib.loads(second.request.content) == {
            "reference": "PO-1",
            "ship": {"city": "TOWN"},
            "partner": "northwind",
            "items": [{"sku": "MUG-BLU", "qty": "3"}, {"sku": "KTL-STL", "qty": "3"}],
        }
        with hub.store.transaction() as conn:
            assert Queries(hub.store).orders(conn)[0]["status"] == "delivered"
    finally:
        hub.close()
