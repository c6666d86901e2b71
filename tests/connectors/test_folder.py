"""The folder connector: files older than min_age in, settled only when asked; atomic writes out."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from crossdock.connectors.base import X12_CONTENT_TYPE as X12
from crossdock.connectors.base import Outbound, printable
from crossdock.connectors.folder import FolderSink, FolderSource
from crossdock.core.connector_config import FolderSinkConfig, FolderSourceConfig
from crossdock.core.errors import PermanentError, TransientError
from crossdock.mappings.x12.reader import parse
from tests.hub.edi import interchange, order


def source(path: Path, **extra: object) -> FolderSource:
    return FolderSource("in", FolderSourceConfig.model_validate({"type": "folder", "path": path, **extra}))


def test_young_files_are_skipped_and_unsettled_files_stay(tmp_path: Path) -> None:
    old = tmp_path / "old.edi"
    old.write_bytes(b"ISA")
    os.utime(old, (time.time() - 60, time.time() - 60))
    (tmp_path / "new.edi").write_bytes(b"ISA")
    with source(tmp_path, min_age=30).receive() as items:
        got = list(items)
    assert [i.name for i in got] == ["old.edi"] and got[0].data == b"ISA"
    assert old.exists(), "nothing moves before settle"


def test_settle_archives_without_overwriting_an_earlier_file(tmp_path: Path) -> None:
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "a.edi").write_bytes(b"earlier")
    (tmp_path / "a.edi").write_bytes(b"later")
    with source(tmp_path, min_age=0).receive() as items:
        for item in items:
            item.settle()
    assert (tmp_path / "archive" / "a.edi").read_bytes() == b"earlier"
    assert (tmp_path / "archive" / "a.edi.1").read_bytes() == b"later"
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
    assert sorted(os.listdir(os.path.join(folder, b"archive"))) == [b"M\xc4rz.edi", b"M\xe4rz.edi"]


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
    sink.send(Outbound(name="a.json", data=b'{"v":2}', idempotency_key="k"))
    sink.close()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.json"], "no temporary file is left"
    assert (tmp_path / "out" / "a.json").read_bytes() == b'{"v":2}'


def test_a_failed_flush_is_transient_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    sink = FolderSink("out", FolderSinkConfig(type="folder", path=out))
    sink.send(Outbound(name="a.json", data=b"{}", idempotency_key="k"))
    (out / "a.json").mkdir()  # the final name is taken by a folder: the rename fails
    (out / "a.json" / "x").write_text("")
    with pytest.raises(TransientError, match="cannot write into"):
        sink.flush()
    assert sorted(p.name for p in out.iterdir()) == ["a.json"]


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


def test_a_bundle_that_cannot_be_written_fails_the_flush_and_leaves_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    sink = FolderSink("out", FolderSinkConfig(type="folder", path=blocker / "sub", interchanges_per_file=5))
    sink.send(x12(1))
    with pytest.raises(TransientError, match=r"cannot write into .*file/sub"):
        sink.flush()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
    sink.flush()  # the failed round's documents are gone from the sink: the dispatcher sends them again


def test_the_number_of_interchanges_per_file_is_checked() -> None:
    with pytest.raises(ValidationError, match="interchanges_per_file"):
        FolderSinkConfig.model_validate({"type": "folder", "path": "/x", "interchanges_per_file": 0})
