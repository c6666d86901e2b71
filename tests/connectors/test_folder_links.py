"""A folder source reads files, not what links point at: whoever may drop files in the folder could otherwise have
crossdock store any file it can read (its configuration's secrets, a key, the store)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crossdock.connectors.folder import FolderSource
from crossdock.connectors.folder_config import FolderSourceConfig


def source(path: Path, **extra: object) -> FolderSource:
    block = {"type": "folder", "path": path, "ready": "renamed", **extra}
    return FolderSource("in", FolderSourceConfig.model_validate(block))


def read(folder: FolderSource) -> dict[str, bytes]:
    with folder.receive() as items:
        return {item.name: item.data for item in items}


def test_a_symbolic_link_is_moved_to_rejected_unread_and_the_other_files_are_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.key"
    secret.write_bytes(b"-----BEGIN OPENSSH PRIVATE KEY-----")
    drop = tmp_path / "in"
    drop.mkdir()
    (drop / "po.edi").write_bytes(b"ISA*")
    (drop / "steal.edi").symlink_to(secret)
    (drop / "dangling.edi").symlink_to(tmp_path / "nowhere")
    folder = source(drop)

    assert read(folder) == {"po.edi": b"ISA*"}

    assert sorted(folder.refused) == [
        f"source in: {drop / name} is a symbolic link (to {target}): not read, moved to {drop / 'rejected' / name} "
        "(set follow_symlinks: true to read links)"
        for name, target in (("dangling.edi", tmp_path / "nowhere"), ("steal.edi", secret))
    ]
    assert os.readlink(drop / "rejected" / "steal.edi") == str(secret), "the link moved, not its target"
    assert secret.read_bytes().startswith(b"-----BEGIN"), "the target is untouched"
    assert read(source(drop)) == {"po.edi": b"ISA*"}, "refused once: nothing is said again"


def test_follow_symlinks_reads_the_target(tmp_path: Path) -> None:
    shared = tmp_path / "van" / "po.edi"
    shared.parent.mkdir()
    shared.write_bytes(b"ISA*1")
    drop = tmp_path / "in"
    drop.mkdir()
    (drop / "po.edi").symlink_to(shared)
    folder = source(drop, follow_symlinks=True)

    assert read(folder) == {"po.edi": b"ISA*1"}
    assert folder.refused == []


def test_a_file_swapped_for_a_link_after_it_was_looked_at_is_not_read_through_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secret.key"
    secret.write_bytes(b"secret")
    drop = tmp_path / "in"
    drop.mkdir()
    victim = drop / "po.edi"
    victim.write_bytes(b"ISA*")
    real_lstat = Path.lstat
    swaps = []

    def swapped(path: Path) -> os.stat_result:
        """The file as it was looked at; right after, someone puts a link in its place."""
        found = real_lstat(path)
        if path == victim and not swaps:
            swaps.append(path)
            path.unlink()
            path.symlink_to(secret)
        return found

    monkeypatch.setattr(Path, "lstat", swapped)
    folder = source(drop)

    assert read(folder) == {}
    (reason,) = folder.refused
    assert "po.edi is a symbolic link" in reason


def test_a_hard_link_is_moved_to_rejected_unread_unless_read_hard_links(tmp_path: Path) -> None:
    secret = tmp_path / "secret.key"
    secret.write_bytes(b"-----BEGIN OPENSSH PRIVATE KEY-----")
    drop = tmp_path / "in"
    drop.mkdir()
    (drop / "po.edi").write_bytes(b"ISA*")
    os.link(secret, drop / "steal.edi")
    folder = source(drop)

    assert read(folder) == {"po.edi": b"ISA*"}

    assert folder.refused == [
        f"source in: {drop / 'steal.edi'} has 2 names (a hard link, perhaps to a file outside the folder): not read, "
        f"moved to {drop / 'rejected' / 'steal.edi'} (set read_hard_links: true to read such files)"
    ]
    assert os.path.samefile(drop / "rejected" / "steal.edi", secret), "the link moved aside, the file untouched"
    assert secret.read_bytes().startswith(b"-----BEGIN")

    os.link(secret, drop / "shared.edi")
    assert read(source(drop, read_hard_links=True)) == {"po.edi": b"ISA*", "shared.edi": secret.read_bytes()}
