"""The folder connector: files older than min_age in, settled only when asked; atomic writes out."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from crossdock.connectors.folder import FolderSink, FolderSource, prune_archive
from crossdock.connectors.folder_config import FolderSinkConfig, FolderSourceConfig
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.ports import X12_CONTENT_TYPE as X12
from crossdock.core.ports import Outbound, printable
from crossdock.mappings.x12.reader import parse
from tests.hub.edi import interchange, order


def source(path: Path, **extra: object) -> FolderSource:
    return FolderSource("in", FolderSourceConfig.model_validate({"type": "folder", "path": path, **extra}))


def looked_at(source: FolderSource, seconds_ago: float, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A poll ``seconds_ago``: what it read; its looks are kept on the source, as the poller keeps them."""
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - seconds_ago)
    try:
        with source.receive() as items:
            return [i.name for i in items]
    finally:
        monkeypatch.setattr(time, "time", real)


def test_a_file_is_read_only_when_two_looks_min_age_apart_saw_it_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "old.edi"
    whole = interchange([order("PO-1")])
    old.write_bytes(whole)
    os.utime(old, (time.time() - 60, time.time() - 60))
    (tmp_path / "new.edi").write_bytes(whole)
    first = source(tmp_path, min_age=30)
    assert looked_at(first, 40, monkeypatch) == [], "the first look only remembers"
    second = source(tmp_path, min_age=30)
    second.looks = first.looks
    with second.receive() as items:
        got = list(items)
    assert [i.name for i in got] == ["old.edi"] and got[0].data == whole
    assert old.exists(), "nothing moves before settle"


def test_a_file_that_grew_between_two_looks_waits_for_two_more(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "po.edi"
    whole = interchange([order("PO-1")])
    path.write_bytes(whole[:150])
    os.utime(path, (time.time() - 60, time.time() - 60))  # the writer paused longer than min_age
    first = source(tmp_path, min_age=30)
    assert looked_at(first, 100, monkeypatch) == []
    with path.open("ab") as fh:
        fh.write(whole[150:])
    os.utime(path, (time.time() - 45, time.time() - 45))
    second = source(tmp_path, min_age=30)
    second.looks = first.looks
    assert looked_at(second, 40, monkeypatch) == [], "size and mtime changed: the look starts again"
    third = source(tmp_path, min_age=30)
    third.looks = second.looks
    with third.receive() as items:
        assert [i.data for i in items] == [whole]


def test_a_marker_convention_reads_a_file_only_beside_its_marker_and_settles_both(tmp_path: Path) -> None:
    (tmp_path / "a.edi").write_bytes(b"ISA*a")
    (tmp_path / "b.edi").write_bytes(b"ISA*b")
    (tmp_path / "b.edi.ok").write_bytes(b"")
    with source(tmp_path, ready="marker", min_age=3600).receive() as items:
        got = list(items)
        for item in got:
            item.settle()
    assert [i.name for i in got] == ["b.edi"], "no marker, not read; the marker itself is never a document"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["a.edi"]
    assert [p.name for p in (tmp_path / "archive").rglob("*") if p.is_file()] == ["b.edi"]


def test_a_rename_convention_reads_at_once_and_never_a_temporary_name(tmp_path: Path) -> None:
    (tmp_path / "a.edi").write_bytes(b"ISA*a")
    (tmp_path / "b.edi.part").write_bytes(b"ISA*b")
    (tmp_path / "c.tmp").write_bytes(b"ISA*c")
    with source(tmp_path, ready="renamed", min_age=3600).receive() as items:
        assert [i.name for i in items] == ["a.edi"]


def test_a_file_changed_after_it_was_read_is_not_archived_and_is_read_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "po.edi"
    path.write_bytes(b"ISA*half")
    with source(tmp_path, min_age=0).receive() as items:
        (item,) = list(items)
        with path.open("ab") as fh:
            fh.write(b"~and the rest")
        item.settle()
    assert path.read_bytes() == b"ISA*half~and the rest" and not (tmp_path / "archive").exists()
    assert [r.getMessage() for r in caplog.records if "changed after it was read" in r.getMessage()] == [
        f"source in: {path} changed after it was read; left in place to be read again"
    ]
    with source(tmp_path, min_age=0).receive() as items:
        (again,) = list(items)
        assert again.data == b"ISA*half~and the rest" and again.identity != item.identity
        again.settle()
    assert not path.exists()


def test_a_file_that_grows_while_it_is_read_is_not_handed_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Between the look (its size) and the read, more bytes arrive: the read takes them all, sees the change and
    leaves the file for a later poll instead of storing a part of it."""
    path = tmp_path / "po.edi"
    path.write_bytes(b"ISA*half")
    real_open = os.open

    def open_then_grow(target: object, flags: int, *args: object) -> int:
        fd = real_open(target, flags, *args)  # type: ignore[arg-type]
        if str(target) == str(path):
            with path.open("ab") as fh:
                fh.write(b"~and the rest" * 10_000)
        return fd

    monkeypatch.setattr(os, "open", open_then_grow)
    with source(tmp_path, min_age=0).receive() as items:
        assert list(items) == []
    monkeypatch.undo()
    assert path.stat().st_size == len(b"ISA*half") + 130_000
    with source(tmp_path, min_age=0).receive() as items:
        (item,) = list(items)
    assert item.data == b"ISA*half" + b"~and the rest" * 10_000


def test_the_sink_writes_every_piece_whole_with_the_usual_mode(tmp_path: Path) -> None:
    """Bare writes: every byte of a large document's pieces lands, and the file gets 0666 less the umask, as a
    file opened by Python would."""
    pieces = [bytes([n]) * 300_000 for n in range(1, 5)]
    sink = FolderSink("out", FolderSinkConfig(type="folder", path=tmp_path / "out"))
    sink.send(Outbound(name="big.json", data=b"", idempotency_key="k", stream=lambda: iter(pieces)))
    sink.close()
    written = tmp_path / "out" / "big.json"
    assert written.read_bytes() == b"".join(pieces)
    umask = os.umask(0)
    os.umask(umask)
    assert written.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_file_over_max_file_size_is_moved_to_rejected_unread_and_the_others_are_read(tmp_path: Path) -> None:
    (tmp_path / "a.edi").write_bytes(b"x" * 2000)
    (tmp_path / "b.edi").write_bytes(b"ISA*small")
    src = source(tmp_path, min_age=0, max_file_size="1KB")
    with src.receive() as items:
        assert [i.name for i in items] == ["b.edi"]
    assert (tmp_path / "rejected" / "a.edi").read_bytes() == b"x" * 2000
    (reason,) = src.refused
    assert f"{tmp_path / 'a.edi'} is 2000 bytes, more than max_file_size 1000 bytes" in reason
    assert str(tmp_path / "rejected" / "a.edi") in reason


def test_max_file_size_takes_units_and_defaults_to_100_mb(tmp_path: Path) -> None:
    assert source(tmp_path).config.max_file_size == 100_000_000
    assert source(tmp_path, max_file_size="25MB").config.max_file_size == 25_000_000
    assert source(tmp_path, max_file_size="2 MiB").config.max_file_size == 2 * 1024 * 1024
    assert source(tmp_path, max_file_size=512).config.max_file_size == 512
    for bad in ("lots", "-1", 0, True):
        with pytest.raises(ValidationError, match="max_file_size"):
            source(tmp_path, max_file_size=bad)


def test_settle_archives_into_a_folder_of_the_days_utc_date(tmp_path: Path) -> None:
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "flat-old.edi").write_bytes(b"from before dated folders")
    (tmp_path / "a.edi").write_bytes(b"x")
    with source(tmp_path, min_age=0).receive() as items:
        for item in items:
            item.settle()
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert (tmp_path / "archive" / today / "a.edi").read_bytes() == b"x"
    assert (tmp_path / "archive" / "flat-old.edi").exists()


def test_pruning_removes_only_dated_folders_older_than_archive_days(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    for day in ("2026-01-01", "2026-03-01", "2026-03-02", "2026-04-09"):
        (archive / day).mkdir(parents=True)
        (archive / day / "po.edi").write_bytes(b"x")
    (archive / "flat.edi").write_bytes(b"kept")
    (archive / "notes").mkdir()
    config = source(tmp_path, archive_days=30).config
    removed = prune_archive("in", config, date(2026, 4, 1))
    assert removed == [str(archive / "2026-01-01"), str(archive / "2026-03-01")]
    assert sorted(p.name for p in archive.iterdir()) == ["2026-03-02", "2026-04-09", "flat.edi", "notes"]
    assert prune_archive("in", config, date(2026, 4, 1)) == []


def test_settle_archives_without_overwriting_an_earlier_file(tmp_path: Path) -> None:
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    (tmp_path / "archive" / today).mkdir(parents=True)
    (tmp_path / "archive" / today / "a.edi").write_bytes(b"earlier")
    (tmp_path / "a.edi").write_bytes(b"later")
    with source(tmp_path, min_age=0).receive() as items:
        for item in items:
            item.settle()
    assert (tmp_path / "archive" / today / "a.edi").read_bytes() == b"earlier"
    assert (tmp_path / "archive" / today / "a.edi.1").read_bytes() == b"later"
    assert not (tmp_path / "a.edi").exists()


def test_settle_can_delete(tmp_path: Path) -> None:
    (tmp_path / "a.edi").write_bytes(b"x")
    with source(tmp_path, min_age=0, after_read="delete").receive() as items:
        for item in items:
            item.settle()
    assert list(tmp_path.iterdir()) == []


def test_the_identity_changes_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "a.edi"
    path.write_bytes(b"one")
    with source(tmp_path, min_age=0).receive() as items:
        first = next(items).identity
    path.write_bytes(b"three")
    with source(tmp_path, min_age=0).receive() as items:
        assert next(items).identity != first


def test_names_that_are_not_utf8_become_text_one_for_one_and_the_real_file_is_archived(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path)
    for raw in (b"M\xe4rz.edi", b"M\xc4rz.edi"):  # Latin-1 a and A umlaut: two files, two documents
        with open(os.path.join(folder, raw), "wb") as file:
            file.write(raw)
    with source(tmp_path, min_age=0).receive() as items:
        got = list(items)
        for item in got:
            item.settle()
    assert sorted(i.name for i in got) == ["M\\xc4rz.edi", "M\\xe4rz.edi"]
    assert len({i.identity for i in got}) == 2 and all(i.identity.isascii() for i in got)
    today = datetime.now(UTC).strftime("%Y-%m-%d").encode()
    assert sorted(os.listdir(os.path.join(folder, b"archive", today))) == [b"M\xc4rz.edi", b"M\xe4rz.edi"]


def test_printable_keeps_utf8_and_escapes_only_what_is_not() -> None:
    assert printable("Bestellung März.edi") == "Bestellung März.edi"
    assert printable(os.fsdecode(b"M\xe4rz.edi")) == "M\\xe4rz.edi"
    assert printable("lone \ud800") == "lone \\ud800"


def test_a_missing_folder_is_transient(tmp_path: Path) -> None:
    with pytest.raises(TransientError, match="does not exist"), source(tmp_path / "nope").receive():
        pass


def test_the_sink_shows_files_only_once_flushed_and_a_resend_replaces(tmp_path: Path) -> None:
    sink = FolderSink("out", FolderSinkConfig(type="folder", path=tmp_path / "out"))
    where = sink.send(Outbound(name="a.json", data=b"{}", idempotency_key="k"))
    assert where == str(tmp_path / "out" / "a.json")
    assert not (tmp_path / "out" / "a.json").exists(), "a reader never sees a file before it is durable"
    sink.flush()
    sink.send(Outbound(name="a.json", data=b"{}", idempotency_key="k"))
    sink.close()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.json"], "no temporary file is left"
    assert (tmp_path / "out" / "a.json").read_bytes() == b"{}"


def test_the_sink_removes_temporary_files_a_killed_writer_on_this_host_left(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = socket.gethostname()
    dead = out / f".po-1.json~{host}~{gone.pid}.part"
    alive = out / f".po-2.json~{host}~{os.getppid()}.part"  # a writer that still runs: its file is its own
    elsewhere = out / f".po-3.json~other-host~{gone.pid}.part"  # a shared folder: another host's writer
    for path in (dead, alive, elsewhere):
        path.write_bytes(b"{")
    sink = FolderSink("out", FolderSinkConfig(type="folder", path=out))
    sink.send(Outbound(name="a.json", data=b"{}", idempotency_key="k"))
    sink.close()
    assert sorted(p.name for p in out.iterdir()) == sorted([alive.name, elsewhere.name, "a.json"])


def test_a_failed_rename_fails_its_document_alone_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    sink = FolderSink("out", FolderSinkConfig(type="folder", path=out))
    sink.send(Outbound(name="a.json", data=b"{}", idempotency_key="k"))
    sink.send(Outbound(name="b.json", data=b"[]", idempotency_key="other"))
    (out / "a.json").mkdir()  # the final name is taken by a folder: the rename fails
    (out / "a.json" / "x").write_text("")
    failed = sink.flush()
    assert list(failed) == ["k"] and isinstance(failed["k"], TransientError)
    assert f"cannot write {out / 'a.json'}" in str(failed["k"])
    assert sorted(p.name for p in out.iterdir()) == ["a.json", "b.json"], "the other file is in place"


def test_the_sink_refuses_a_name_that_leaves_its_folder(tmp_path: Path) -> None:
    sink = FolderSink("out", FolderSinkConfig(type="folder", path=tmp_path))
    with pytest.raises(PermanentError, match="refusing file name"):
        sink.send(Outbound(name="../etc/passwd", data=b"", idempotency_key="k"))


def test_an_unwritable_folder_is_transient_and_leaves_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    sink = FolderSink("out", FolderSinkConfig(type="folder", path=blocker / "sub"))
    with pytest.raises(TransientError, match="cannot write"):
        sink.send(Outbound(name="a.json", data=b"{}", idempotency_key="k"))


def test_the_sink_makes_its_folder_again_when_it_is_removed(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "out"
    sink = FolderSink("out", FolderSinkConfig(type="folder", path=out))
    sink.send(Outbound(name="a.json", data=b"{}", idempotency_key="a"))
    sink.flush()
    shutil.rmtree(tmp_path / "deep")
    sink.send(Outbound(name="b.json", data=b"[]", idempotency_key="b"))
    sink.flush()
    assert sorted(p.name for p in out.iterdir()) == ["b.json"]
    assert (out / "b.json").read_bytes() == b"[]"


def x12(control: int) -> Outbound:
    return Outbound(f"po-{control}.edi", interchange([order(f"PO{control}")], control=control), f"k{control}", X12)


def test_interchanges_go_into_files_of_the_configured_size_at_flush(tmp_path: Path) -> None:
    out = tmp_path / "out"
    sink = FolderSink("out", FolderSinkConfig(type="folder", path=out, interchanges_per_file=2))
    where = [sink.send(x12(n)) for n in (1, 2, 3)]
    other = sink.send(Outbound("order.json", b"{}", "kj"))
    assert where == [str(out / "po-1.edi"), str(out / "po-1.edi"), str(out / "po-3.edi")]
    assert other == str(out / "order.json")
    assert not (out / "po-1.edi").exists(), "a bundle is written only at flush"
    sink.flush()
    assert sorted(p.name for p in out.iterdir()) == ["order.json", "po-1.edi", "po-3.edi"]
    assert (out / "po-1.edi").read_bytes() == x12(1).data + x12(2).data
    controls = [i.isa[13] for i in parse((out / "po-1.edi").read_bytes())]
    assert controls == ["000000001", "000000002"], "each interchange keeps its own control number"
    assert all(not i.errors for i in parse((out / "po-1.edi").read_bytes()))
    assert (out / "po-3.edi").read_bytes() == x12(3).data
    assert (out / "order.json").read_bytes() == b"{}", "a document that is not X12 keeps its own file"


def test_one_interchange_per_file_is_the_default(tmp_path: Path) -> None:
    sink = FolderSink("out", FolderSinkConfig(type="folder", path=tmp_path))
    assert [sink.send(x12(n)) for n in (1, 2)] == [str(tmp_path / "po-1.edi"), str(tmp_path / "po-2.edi")]
    sink.flush()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["po-1.edi", "po-2.edi"]


def test_a_bundle_that_cannot_be_written_fails_its_documents_and_leaves_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    sink = FolderSink("out", FolderSinkConfig(type="folder", path=blocker / "sub", interchanges_per_file=5))
    sink.send(x12(1))
    sink.send(x12(2))
    failed = sink.flush()
    assert list(failed) == ["k1", "k2"], "a bundle's documents share its outcome"
    assert all(
        isinstance(e, TransientError) and "cannot write" in str(e) and "file/sub" in str(e) for e in failed.values()
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
    assert sink.flush() == {}, "the failed round's documents are gone from the sink: the dispatcher sends them again"


def test_the_number_of_interchanges_per_file_is_checked() -> None:
    with pytest.raises(ValidationError, match="interchanges_per_file"):
        FolderSinkConfig.model_validate({"type": "folder", "path": "/x", "interchanges_per_file": 0})


def test_readiness_keys_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="ready"):
        source(tmp_path, ready="whenever")
    with pytest.raises(ValidationError, match="archive_days"):
        source(tmp_path, archive_days=0)
    with pytest.raises(ValidationError, match="markers"):
        source(tmp_path, ready="marker", markers=[])
