"""A partner's upload that stalls half-way is never read half-way nor archived while incomplete (issue 16, 4.1),
on a folder on disk and on the real sshd; a file over max_file_size is refused with one alert; dated archive
folders are pruned. Polled through the poller, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from crossdock.connectors import folder
from crossdock.connectors.archives import prune_archives
from crossdock.connectors.folder_config import FolderSourceConfig
from crossdock.connectors.readiness import STALL_LOOKS, Looks, lacks_trailer
from crossdock.core.configuration.config import load_config
from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.store import events
from tests.hub.conftest import base_config, write_config
from tests.hub.edi import interchange, order
from tests.peers import SftpPeer, sftp_block

DATA = interchange([order("PO-1"), order("PO-2"), order("PO-3")], control=31)


def po_numbers(hub: Hub) -> list[str]:
    with hub.store.transaction() as conn:
        return sorted(o["po_number"] for o in Queries(hub.store).orders(conn))


def stalled_writer(
    path: Path, pause: float | threading.Event, data: bytes = DATA
) -> tuple[threading.Thread, threading.Event]:
    """A partner writing the first half of ``data`` (a 3-PO interchange), pausing ``pause`` seconds (or until
    the event is set), then the rest."""
    half = threading.Event()

    def write() -> None:
        with path.open("wb") as fh:
            fh.write(data[: len(data) // 2])
            fh.flush()
            half.set()
            if isinstance(pause, threading.Event):
                pause.wait(120)
            else:
                time.sleep(pause)
            fh.write(data[len(data) // 2 :])

    writer = threading.Thread(target=write, name="partner-upload")
    writer.start()
    half.wait(5)
    return writer, half


def poll_through_a_stall(hub: Hub, source: str, path: Path, archive: Path, min_age: float) -> None:
    """Polls every eighth of ``min_age`` through a pause of three times ``min_age``, then until the three POs are
    in. Looks ``min_age`` apart see the half file unchanged (the old code read and archived it then): only its
    missing IEA trailer says it is not whole."""
    writer, _ = stalled_writer(path, pause=min_age * 3)
    try:
        while writer.is_alive():
            report = poll(hub, source, "w1")
            assert report.error is None and report.received == 0, "nothing is read while the upload is stalled"
            assert not archive.exists() or not any(archive.rglob("*.edi")), "nothing archived while incomplete"
            time.sleep(min_age / 8)
    finally:
        writer.join()
    deadline = time.monotonic() + min_age * 6 + 10
    while po_numbers(hub) != ["PO-1", "PO-2", "PO-3"] and time.monotonic() < deadline:
        assert poll(hub, source, "w1").error is None
        time.sleep(0.2)
    assert po_numbers(hub) == ["PO-1", "PO-2", "PO-3"]
    (archived,) = archive.rglob("po.edi")
    assert archived.read_bytes() == DATA and not path.exists()
    with hub.store.transaction() as conn:
        docs = Queries(hub.store).documents(conn, direction="in")
        assert [Queries(hub.store).data(conn, d["id"]) for d in docs] == [DATA], "only the whole file was stored"


def test_a_stalled_upload_in_a_folder_is_read_only_once_whole(tmp_path: Path, store_url: str) -> None:
    cfg = base_config(tmp_path, store_url)
    cfg["sources"]["drop"]["min_age"] = 1.0
    hub = Hub(write_config(tmp_path, cfg))
    try:
        drop = tmp_path / "drop"
        poll_through_a_stall(hub, "drop", drop / "po.edi", drop / "archive", 1.0)
    finally:
        hub.close()


@pytest.mark.peers
def test_a_stalled_upload_on_sshd_is_read_only_once_whole(tmp_path: Path, store_url: str, sftp_peer: SftpPeer) -> None:
    data: dict[str, Any] = {
        "store": {"url": store_url},
        "company": {"isa_id": "CROSSDOCK"},
        "partners": {"northwind": {"isa_qualifier": "ZZ", "isa_id": "NORTHWIND"}},
        "sources": {"northwind-sftp": sftp_block(sftp_peer, "out", min_age=1, pattern="*.edi")},
        "sinks": {"warehouse": {"type": "folder", "path": str(tmp_path / "warehouse")}},
        "routing": {"default": "warehouse"},
    }
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    hub = Hub(load_config(path))
    try:
        out = sftp_peer.path / "out"
        poll_through_a_stall(hub, "northwind-sftp", out / "po.edi", out / "archive", 1.0)
    finally:
        hub.close()


def test_an_interchange_lacks_its_trailer_until_its_iea_is_written() -> None:
    two = DATA + interchange([order("PO-4")], control=32)
    assert (
        not lacks_trailer(DATA) and not lacks_trailer(b"\xef\xbb\xbf\r\n" + DATA + b"\r\n") and not lacks_trailer(two)
    )
    assert lacks_trailer(DATA[: len(DATA) // 2]) and lacks_trailer(two[: len(DATA) + 200]) and lacks_trailer(b"ISA*00*")
    assert lacks_trailer(DATA[: DATA.rindex(b"IEA")]), "every segment but the IEA"
    assert not lacks_trailer(b'{"po_number": "PO-1"}') and not lacks_trailer(b"")


def test_a_file_without_its_trailer_waits_ten_times_min_age_then_is_read_as_it_is(tmp_path: Path) -> None:
    config = FolderSourceConfig.model_validate({"type": "folder", "path": tmp_path, "min_age": 1})
    half = DATA[: len(DATA) // 2]
    kept = Looks(config, None, 100.0)
    assert not kept.ready("po.edi", len(half), 99.0, set())  # the first look
    for now in (101.0, 100.0 + STALL_LOOKS - 0.5):
        looks = Looks(config, kept.dump(), now)
        assert looks.ready("po.edi", len(half), 99.0, set()), "stable by its looks"
        assert looks.unfinished("po.edi", half), "but its end is not written"
        assert not looks.unfinished("po.edi", DATA)
        kept = looks
    late = Looks(config, kept.dump(), 100.0 + STALL_LOOKS)
    assert late.ready("po.edi", len(half), 99.0, set()) and not late.unfinished("po.edi", half), "truncated for good"


def test_a_file_changed_between_read_and_archive_stays_and_is_read_again(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = Path(hub.config.sources["drop"].path) / "po.edi"  # type: ignore[union-attr]
    path.write_bytes(interchange([order("PO-1")], control=40))
    real: Callable[..., None] = folder.FolderSource._settle

    def grows_first(self: folder.FolderSource, *args: Any) -> None:
        monkeypatch.setattr(folder.FolderSource, "_settle", real)  # once
        path.write_bytes(DATA)  # the partner replaced the file between the read and the archive
        real(self, *args)

    monkeypatch.setattr(folder.FolderSource, "_settle", grows_first)
    first = poll(hub, "drop", "w1")
    assert first.received == 1 and path.read_bytes() == DATA, "not archived: it changed after it was read"
    assert any("changed after it was read; left in place" in r.getMessage() for r in caplog.records)
    again = poll(hub, "drop", "w1")
    assert again.received == 1 and not path.exists()
    assert po_numbers(hub) == ["PO-1", "PO-2", "PO-3"]


def test_a_file_over_max_file_size_is_refused_with_one_alert_and_the_others_are_read(
    tmp_path: Path, store_url: str
) -> None:
    cfg = base_config(tmp_path, store_url)
    cfg["sources"]["drop"]["max_file_size"] = "1KB"
    cfg["sinks"]["people"] = {"type": "folder", "path": str(tmp_path / "alerts")}
    cfg["alerts"] = {"sink": "people"}
    hub = Hub(write_config(tmp_path, cfg))
    try:
        big = interchange([order(f"PO-{i}") for i in range(10, 30)], control=50)
        assert len(big) > 1000
        (tmp_path / "drop" / "big.edi").write_bytes(big)
        (tmp_path / "drop" / "small.edi").write_bytes(interchange([order("PO-1")], control=51))
        report = poll(hub, "drop", "w1")
        assert report.error is None and report.received == 1 and po_numbers(hub) == ["PO-1"]
        assert (tmp_path / "drop" / "rejected" / "big.edi").read_bytes() == big, "kept, never lost"
        assert poll(hub, "drop", "w1").received == 0
        hub.dispatcher("test").drain()
        with hub.store.transaction() as conn:
            said = conn.execute(select(events.c.message).where(events.c.kind == "refused")).scalars().all()
        assert len(said) == 1 and f"is {len(big)} bytes, more than max_file_size 1000 bytes" in said[0]
        (alert,) = [p.read_text() for p in (tmp_path / "alerts").iterdir()]
        assert "drop refused a file" in alert and "big.edi" in alert
    finally:
        hub.close()


def test_housekeeping_prunes_each_file_sources_dated_archive(tmp_path: Path, store_url: str) -> None:
    cfg = base_config(tmp_path, store_url)
    cfg["sources"]["drop"]["archive_days"] = 10
    config = write_config(tmp_path, cfg)
    archive = tmp_path / "drop" / "archive"
    for day in ("2026-05-01", "2026-05-20"):
        (archive / day).mkdir(parents=True)
    (archive / "po.edi").write_bytes(b"flat, from before")
    assert prune_archives(config.sources, date(2026, 5, 25)) == [str(archive / "2026-05-01")]
    assert sorted(p.name for p in archive.iterdir()) == ["2026-05-20", "po.edi"]


def test_a_refused_file_is_recorded_even_when_the_poll_fails_after_it(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop = Path(hub.config.sources["drop"].path)  # type: ignore[union-attr]
    object.__setattr__(hub.config.sources["drop"], "max_file_size", 1000)
    (drop / "a-big.edi").write_bytes(b"x" * 2000)
    (drop / "b.edi").write_bytes(interchange([order("PO-1")], control=60))
    real = os.open

    def unreadable(path: Any, flags: int, *args: Any) -> int:
        if Path(path).name == "b.edi":
            raise OSError(5, "Input/output error")
        return real(path, flags, *args)

    monkeypatch.setattr(os, "open", unreadable)
    report = poll(hub, "drop", "w1")
    assert report.error is not None and "cannot read" in report.error and "b.edi" in report.error
    with hub.store.transaction() as conn:
        said = conn.execute(select(events.c.message).where(events.c.kind == "refused")).scalars().all()
    assert len(said) == 1 and "a-big.edi is 2000 bytes, more than max_file_size 1000 bytes" in said[0]
    assert (drop / "rejected" / "a-big.edi").exists() and (drop / "b.edi").exists()
