"""A local folder as a source (files read once ready, archived by day) and as a sink (atomic writes)."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import shutil
import socket
import stat
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from crossdock.connectors.bundles import Bundles
from crossdock.connectors.folder_config import FolderSinkConfig, FolderSourceConfig
from crossdock.connectors.names import RoundNames
from crossdock.connectors.readiness import Looks, day_folder, expired, too_large
from crossdock.core.errors import CrossdockError, PermanentError, TransientError
from crossdock.core.ports import Inbound, Outbound
from crossdock.core.storage.workers import is_dead_local

log = logging.getLogger(__name__)


def _free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name.1``, ``name.2`` ... when an archived file of that name is already there."""
    target = folder / name
    n = 0
    while target.exists():
        n += 1
        target = folder / f"{name}.{n}"
    return target


class FolderSource:
    """Reads each ready file (see ``readiness``); ``settle`` archives it under ``archive/YYYY-MM-DD/`` or deletes
    it, unless it changed since it was read: then it stays, to be read again whole on a later poll."""

    def __init__(self, name: str, config: FolderSourceConfig) -> None:
        self.name = name
        self.config = config
        self.archive = config.archive_dir or config.path / "archive"
        self.looks: str | None = None
        self.refused: list[str] = []
        self._day: str | None = None  # the archive folder made last: made once a day, not once a file

    def _settle(self, path: Path, read: os.stat_result, marker: Path | None) -> None:
        try:
            now = path.stat() if self.config.follow_symlinks else path.lstat()
        except FileNotFoundError:
            return
        if (now.st_size, now.st_mtime_ns) != (read.st_size, read.st_mtime_ns):
            log.warning("source %s: %s changed after it was read; left in place to be read again", self.name, path)
            return
        if self.config.after_read == "delete":
            path.unlink(missing_ok=True)
        else:
            day = day_folder()
            folder = self.archive / day
            if day != self._day:
                folder.mkdir(parents=True, exist_ok=True)
                self._day = day
            try:
                os.replace(path, _free_name(folder, path.name))
            except FileNotFoundError:  # the archive folder was removed meanwhile
                folder.mkdir(parents=True, exist_ok=True)
                os.replace(path, _free_name(folder, path.name))
        if marker is not None:
            marker.unlink(missing_ok=True)

    @contextmanager
    def receive(self) -> Iterator[Iterator[Inbound]]:
        if not self.config.path.is_dir():
            raise TransientError(f"source {self.name}: folder {self.config.path} does not exist")
        yield self._files()

    def _files(self) -> Iterator[Inbound]:
        config = self.config
        looks = Looks(config, self.looks, time.time())
        paths = sorted(config.path.glob(config.pattern))
        names = {p.name for p in config.path.iterdir()} if config.ready == "marker" else set()
        for path in paths:
            try:
                st = path.stat() if config.follow_symlinks else path.lstat()
            except FileNotFoundError:
                continue
            if stat.S_ISLNK(st.st_mode):
                self._refuse_link(path)
                continue
            if st.st_nlink > 1 and stat.S_ISREG(st.st_mode) and not config.read_hard_links:
                self._refuse_hard_link(path, st.st_nlink)
                continue
            if not stat.S_ISREG(st.st_mode) or not looks.ready(path.name, st.st_size, st.st_mtime_ns / 1e9, names):
                continue
            if st.st_size > config.max_file_size:
                self._reject(path, st.st_size)
                continue
            try:
                data, after = _read(path, st.st_size, follow=config.follow_symlinks)
            except FileNotFoundError:
                continue
            except OSError as exc:
                if exc.errno == errno.ELOOP:  # made a link since it was looked at
                    self._refuse_link(path)
                    continue
                raise TransientError(f"source {self.name}: cannot read {path}: {exc.strerror}") from exc
            if after.st_nlink > 1 and not config.read_hard_links:  # linked since it was looked at
                del data
                self._refuse_hard_link(path, after.st_nlink)
                continue
            if (after.st_size, after.st_mtime_ns) != (st.st_size, st.st_mtime_ns) or len(data) != st.st_size:
                log.warning("source %s: %s changed while it was read; it is read again later", self.name, path)
                continue
            if looks.unfinished(path.name, data):
                continue
            found = looks.marker(path.name, names)
            item = Inbound(
                name=path.name,
                data=data,
                identity=f"file://{path}@{st.st_size}:{st.st_mtime_ns}",
                settle=partial(self._settle, path, st, path.with_name(found) if found else None),
            )
            del data  # only the item holds the bytes, until they are stored (a large file is not held twice)
            yield item
        self.looks = looks.dump()

    def _reject(self, path: Path, size: int) -> None:
        """Move a file over ``max_file_size`` unread to ``rejected/`` beside it, and say why once."""
        target = self._move_aside(path)
        reason = too_large(f"source {self.name}: {path}", size, self.config.max_file_size, str(target))
        log.warning("%s", reason)
        self.refused.append(reason)

    def _refuse_link(self, path: Path) -> None:
        """Move a symbolic link (the link, not what it points at) unread to ``rejected/``, and say why once: whoever
        may drop files here could otherwise have crossdock store any file it can read."""
        try:
            pointed = os.readlink(path)
        except OSError:
            pointed = "?"
        target = self._move_aside(path)
        reason = (
            f"source {self.name}: {path} is a symbolic link (to {pointed}): not read, moved to {target} "
            "(set follow_symlinks: true to read links)"
        )
        log.warning("%s", reason)
        self.refused.append(reason)

    def _refuse_hard_link(self, path: Path, links: int) -> None:
        """Move a file with more than one name (a hard link) unread to ``rejected/``, and say why once: its other
        name may be any file crossdock can read, outside this folder, just as a symbolic link's target."""
        target = self._move_aside(path)
        reason = (
            f"source {self.name}: {path} has {links} names (a hard link, perhaps to a file outside the folder): "
            f"not read, moved to {target} (set read_hard_links: true to read such files)"
        )
        log.warning("%s", reason)
        self.refused.append(reason)

    def _move_aside(self, path: Path) -> Path:
        folder = self.config.path / "rejected"
        try:
            folder.mkdir(exist_ok=True)
            target = _free_name(folder, path.name)
            os.replace(path, target)
        except OSError as exc:
            raise TransientError(f"source {self.name}: cannot move {path} to {folder}: {exc.strerror}") from exc
        return target


def _read(path: Path, size: int, *, follow: bool) -> tuple[bytes, os.stat_result]:
    """The file's bytes (``size`` when looked at) and its state once read, by bare system calls: each call is a turn
    at the interpreter lock beside the dispatcher. Without ``follow`` a link swapped in is not opened (ELOOP)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW))
    try:
        pieces = [os.read(fd, size + 1)]  # exactly size bytes: the whole file, read in one call
        got = len(pieces[0])
        while got != size and (piece := os.read(fd, max(size + 1 - got, 1 << 20))):  # it changed, or a read stopped
            pieces, got = [*pieces, piece], got + len(piece)  # (2 GB at most a call): on to the end
        return pieces[0] if len(pieces) == 1 else b"".join(pieces), os.fstat(fd)
    finally:
        os.close(fd)


def prune_archive(name: str, config: FolderSourceConfig, today: date) -> list[str]:
    """Remove the dated archive folders older than ``archive_days``; files of the old flat archive stay."""
    archive = config.archive_dir or config.path / "archive"
    if not archive.is_dir():
        return []
    gone = expired([p.name for p in archive.iterdir() if p.is_dir()], config.archive_days, today)
    for day in gone:
        try:
            shutil.rmtree(archive / day)
        except OSError as exc:
            raise TransientError(f"source {name}: cannot prune {archive / day}: {exc.strerror}") from exc
    return [str(archive / day) for day in gone]


def _sync(paths: list[str], folder: str) -> None:
    """Make the data of ``paths`` durable: one syncfs for the folder's file system where Linux has it."""
    syncfs = getattr(_libc(), "syncfs", None)
    if syncfs is not None:
        fd = os.open(folder, os.O_RDONLY)
        try:
            if syncfs(fd) != 0:
                raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        finally:
            os.close(fd)
        return
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write(path: str, pieces: Iterable[bytes], folder: str) -> None:
    """Write a file from its pieces by bare system calls, making its folder only when it is found missing."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o666)
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)
        fd = os.open(path, flags, 0o666)
    try:
        for piece in pieces:
            view = memoryview(piece)
            while view:
                view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _libc() -> Any:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _sweep(folder: str) -> None:
    """Remove the temporary files a killed writer on this host left behind (``.name~host~pid.part``): they were
    never renamed into place, so no delivery counts them as sent, and the retry writes the file again."""
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for entry in entries:
        if not (entry.startswith(".") and entry.endswith(".part")):
            continue
        parts = entry[: -len(".part")].rsplit("~", 2)
        if len(parts) == 3 and is_dead_local(f"{parts[1]}:{parts[2]}"):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, entry))
                log.info("sink folder %s: removed %s, left by a writer that no longer runs", folder, entry)


class FolderSink:
    """Writes under a hidden temporary name; ``flush`` makes a batch durable at once, then renames it into place.

    The dispatcher calls ``flush`` before it records any send as done, so a reader of the folder only ever
    sees complete files, and one file-system sync per batch replaces an fsync per file (measured: about
    0.9 ms per file with fsync each, a tenth of that batched). With ``interchanges_per_file`` above 1, X12
    documents are gathered and written at ``flush`` instead, several interchanges a file. Each file holds one
    delivery's document (``names``): one whose name another delivery holds this round, or that a file with other
    bytes already holds in the folder, is written under a name keyed by its delivery. A file that cannot be
    written or renamed fails alone: ``flush`` returns its documents' keys, and the rest of the round is done.
    """

    streams = True  # a large document is written piece by piece as the store gives it (Outbound.pieces)

    def __init__(self, name: str, config: FolderSinkConfig) -> None:
        self.name = name
        self.config = config
        self._folder = os.fspath(config.path)
        self._suffix = f"~{socket.gethostname()}~{os.getpid()}.part"
        self._swept = False
        self._staged: list[tuple[str, str, list[str]]] = []  # temporary path, final path, the documents' keys
        self._names = RoundNames()
        self._bundles = Bundles(config.interchanges_per_file, self._names)

    def send(self, document: Outbound) -> str:
        if "/" in document.name or document.name.startswith("."):
            raise PermanentError(f"sink {self.name}: refusing file name {document.name!r}")
        folder = self._folder
        if not self._swept:
            self._swept = True
            _sweep(folder)
        if self._bundles.takes(document):
            return os.path.join(folder, self._bundles.add(document))
        name = self._names.claim(document.name, document.idempotency_key, partial(self._other_file, document))
        target = os.path.join(folder, name)
        temp = os.path.join(folder, f".{name}{self._suffix}")
        try:
            _write(temp, document.pieces(), folder)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise TransientError(f"sink {self.name}: cannot write {target}: {exc.strerror}") from exc
        self._staged.append((temp, target, [document.idempotency_key]))
        return target

    def _other_file(self, document: Outbound, name: str) -> bool:
        """Whether the folder already holds ``name`` with other bytes than ``document``'s: another delivery's file
        of an earlier round, not picked up yet (the same bytes are this delivery's own earlier attempt). A large
        document is compared piece by piece as the store gives it, never held whole."""
        path = os.path.join(self._folder, name)
        try:
            if document.stream is None and os.stat(path).st_size != len(document.data):
                return True
            with open(path, "rb") as fh:
                for piece in document.pieces():
                    if fh.read(len(piece)) != piece:
                        return True
                return fh.read(1) != b""
        except FileNotFoundError:
            return False
        except OSError:  # a folder, or unreadable: not ours to replace
            return True

    def flush(self) -> dict[str, CrossdockError]:
        """Sync every file sent since the last flush, then rename each into place. What fails for one file fails
        that file's documents alone: their keys come back with the reason. A sync that fails fails them all."""
        staged, self._staged = self._staged, []
        bundles = self._bundles.take()
        self._names.clear()
        failed: dict[str, CrossdockError] = {}
        folder = self._folder
        for bundle in bundles:
            temp, target = os.path.join(folder, f".{bundle.name}{self._suffix}"), os.path.join(folder, bundle.name)
            try:
                _write(temp, (bundle.data,), folder)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                failed |= dict.fromkeys(bundle.keys, self._failure(f"cannot write {target}", exc))
                continue
            staged.append((temp, target, bundle.keys))
        if not staged:
            return failed
        try:
            _sync([temp for temp, _, _ in staged], folder)
        except OSError as exc:
            for temp, _, _ in staged:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
            raise self._failure(f"cannot write into {folder}", exc) from exc
        for temp, target, keys in staged:
            try:
                os.replace(temp, target)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                failed |= dict.fromkeys(keys, self._failure(f"cannot write {target}", exc))
        try:
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise self._failure(f"cannot write into {folder}", exc) from exc
        return failed

    def _failure(self, what: str, exc: OSError) -> TransientError:
        return TransientError(f"sink {self.name}: {what}: {exc.strerror or exc}")

    def close(self) -> None:
        self.flush()


def probe(name: str, config: FolderSourceConfig | FolderSinkConfig) -> str:
    """``check --connect``: a source's folder can be read and emptied; a sink's can be written, or made."""
    path = config.path
    if isinstance(config, FolderSourceConfig):
        if not path.is_dir():
            raise PermanentError(f"source {name}: folder {path} does not exist")
        if not os.access(path, os.R_OK | os.X_OK):
            raise PermanentError(f"source {name}: folder {path} cannot be read")
        if not os.access(path, os.W_OK):
            raise PermanentError(f"source {name}: files read in {path} cannot be archived or deleted (no write access)")
        return f"folder {path} can be read"
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise PermanentError(f"sink {name}: {existing} is not a folder, so {path} cannot be made")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PermanentError(f"sink {name}: folder {existing} cannot be written")
    if existing == path:
        return f"folder {path} can be written"
    return f"folder {path} does not exist yet; the first write makes it in {existing}"
