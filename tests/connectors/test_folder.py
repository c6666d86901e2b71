"""The folder connector: files older than min_age in, settled only when asked; atomic writes out."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from crossdock.connectors.base import Outbound
from crossdock.connectors.folder import FolderSink, FolderSource
from crossdock.core.connector_config import FolderSinkConfig, FolderSourceConfig
from crossdock.core.errors import PermanentError, TransientError


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
