"""SFTP source and sink: most EDI partners and VANs still exchange files this way, so it has to be safe and dull.

The source reads files once they are ready (``readiness.py``) and archives or deletes each only when the
pipeline settles it, after the store committed it, and only if it did not change since it was read; the sink
uploads under a temporary name and renames. Connections, host-key pinning and the SHA-1 policy are in ``ssh.py``.
"""

from __future__ import annotations

import io
import logging
import posixpath
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import date
from fnmatch import fnmatchcase
from functools import partial
from typing import TypeVar

import paramiko

from crossdock.connectors.bundles import Bundles
from crossdock.connectors.names import RoundNames
from crossdock.connectors.readiness import Looks, day_folder, expired, too_large
from crossdock.connectors.sftp_config import SftpSinkConfig, SftpSourceConfig
from crossdock.connectors.ssh import Endpoint, Session
from crossdock.core.errors import CrossdockError, PermanentError, TransientError
from crossdock.core.ports import Inbound, Outbound

log = logging.getLogger(__name__)

T = TypeVar("T")


def _check_name(name: str, where: str) -> None:
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise PermanentError(f"sftp {where}: {name!r} is not a plain file name")


class SftpSource:
    """Reads each ready file in ``remote_dir`` (see ``readiness``); ``settle`` archives it under
    ``archive/YYYY-MM-DD/`` or deletes it once it is stored, unless it changed since it was read."""

    def __init__(self, name: str, config: SftpSourceConfig) -> None:
        self.name = name
        self.config = config
        self._endpoint = Endpoint(name, config)
        self.looks: str | None = None
        self.refused: list[str] = []

    def receive(self) -> AbstractContextManager[Iterator[Inbound]]:
        return self._receive()

    @contextmanager
    def _receive(self) -> Iterator[Iterator[Inbound]]:
        session = self._endpoint.open()
        try:
            yield self._documents(session)
        finally:
            session.close()

    def _documents(self, session: Session) -> Iterator[Inbound]:
        config = self.config
        folder = session.folder(config.remote_dir)
        entries = session.call(f"listing {folder}", lambda: session.sftp.listdir_attr(folder))
        looks = Looks(config, self.looks, time.time())
        names = {attr.filename for attr in entries}
        for attr in sorted(entries, key=lambda a: a.filename):
            if attr.st_mode is None or not stat.S_ISREG(attr.st_mode) or not fnmatchcase(attr.filename, config.pattern):
                continue
            mtime = attr.st_mtime or 0
            size = attr.st_size or 0
            if not looks.ready(attr.filename, size, mtime, names):
                continue
            path = posixpath.join(folder, attr.filename)
            if size > config.max_file_size:
                session.call(f"moving {path} to rejected", partial(self._reject, session, path, size))
                continue
            data = session.call(f"reading {path}", partial(_read, session.sftp, path))
            if len(data) != size:
                log.warning("sftp %s: %s changed while it was read; it is read again later", self.name, path)
                continue
            if looks.unfinished(attr.filename, data):
                continue
            marker = looks.marker(attr.filename, names)
            item = Inbound(
                name=attr.filename,
                data=data,
                identity=f"sftp://{config.host}:{config.port}/{path.lstrip('/')}@{size}:{mtime}",
                settle=partial(self._settle, session, path, size, mtime, marker),
            )
            del data  # only the item holds the bytes, until they are stored (a large file is not held twice)
            yield item
        self.looks = looks.dump()

    def _reject(self, session: Session, path: str, size: int) -> None:
        """Move a file over ``max_file_size`` unread to ``rejected/`` beside it, and say why once."""
        target = _move_into(session.sftp, path, posixpath.join(posixpath.dirname(path), "rejected"), self.name)
        reason = too_large(f"sftp {self.name}: {path}", size, self.config.max_file_size, target)
        log.warning("%s", reason)
        self.refused.append(reason)

    def _settle(self, session: Session, path: str, size: int, mtime: int, marker: str | None) -> None:
        if not session.alive():
            raise TransientError(
                f"sftp {self.name} at {self._endpoint.where}: {path} settled after its connection closed"
            )
        session.call(f"settling {path}", lambda: self._archive_or_delete(session, path, size, mtime, marker))

    def _archive_or_delete(self, session: Session, path: str, size: int, mtime: int, marker: str | None) -> None:
        sftp = session.sftp
        try:
            now = sftp.stat(path)
        except FileNotFoundError:
            log.info("sftp %s: %s was already gone when settled", self.name, path)
            return
        if now.st_size != size or (now.st_mtime or 0) != mtime:
            log.warning("sftp %s: %s changed after it was read; left in place to be read again", self.name, path)
            return
        if self.config.after_read == "delete":
            sftp.remove(path)
        else:
            _move_into(sftp, path, posixpath.join(self._archive(session, path), day_folder()), self.name)
        if marker is not None:
            with suppress(FileNotFoundError):
                sftp.remove(posixpath.join(posixpath.dirname(path), marker))

    def _archive(self, session: Session, path: str) -> str:
        if self.config.archive_dir:
            return posixpath.normpath(posixpath.join(session.folder("."), self.config.archive_dir))
        return posixpath.join(posixpath.dirname(path), "archive")

    def prune_archive(self, today: date) -> list[str]:
        """Remove the dated archive folders older than ``archive_days``; files of the old flat archive stay."""
        session = self._endpoint.open()
        try:
            archive = self._archive(session, posixpath.join(session.folder(self.config.remote_dir), "-"))
            sftp = session.sftp
            if not _exists(sftp, archive):
                return []
            entries = session.call(f"listing {archive}", lambda: sftp.listdir_attr(archive))
            days = [a.filename for a in entries if a.st_mode is not None and stat.S_ISDIR(a.st_mode)]
            gone = [posixpath.join(archive, day) for day in expired(days, self.config.archive_days, today)]
            for folder in gone:
                session.call(f"pruning {folder}", partial(_remove_tree, sftp, folder))
            return gone
        finally:
            session.close()


def _move_into(sftp: paramiko.SFTPClient, path: str, folder: str, source: str) -> str:
    """Rename ``path`` into ``folder`` (made when missing) without replacing a file there: ``name-1.ext`` ..."""
    _makedirs(sftp, folder)
    base = posixpath.basename(path)
    stem, dot, ext = base.rpartition(".")
    if not stem:
        stem, dot, ext = base, "", ""
    for n in range(1000):
        target = posixpath.join(folder, base if n == 0 else f"{stem}-{n}{dot}{ext}")
        if _exists(sftp, target):
            continue
        try:
            sftp.rename(path, target)  # plain SFTP rename refuses to replace an existing file
            return target
        except OSError:
            if not _exists(sftp, target):
                raise
    raise PermanentError(f"sftp {source}: {folder} already holds 1000 files named {base}")


def _remove_tree(sftp: paramiko.SFTPClient, folder: str) -> None:
    for attr in sftp.listdir_attr(folder):
        path = posixpath.join(folder, attr.filename)
        if attr.st_mode is not None and stat.S_ISDIR(attr.st_mode):
            _remove_tree(sftp, path)
        else:
            sftp.remove(path)
    sftp.rmdir(folder)


class SftpSink:
    """Uploads each document under a temporary name and renames it into place, over one kept connection.

    With ``interchanges_per_file`` above 1, X12 documents are gathered and uploaded at ``flush``, one file per
    group of interchanges: a partner's server is then asked for one upload and one rename per file, not per
    document.
    """

    def __init__(self, name: str, config: SftpSinkConfig) -> None:
        self.name = name
        self.config = config
        self._endpoint = Endpoint(name, config)
        self._session: Session | None = None
        self._names = RoundNames()
        self._bundles = Bundles(config.interchanges_per_file, self._names)

    def send(self, document: Outbound) -> str:
        _check_name(document.name, self.name)
        if self._bundles.takes(document):
            folder = self._with_session(lambda session: session.folder(self.config.remote_dir))
            return posixpath.join(folder, self._bundles.add(document))
        name = self._names.claim(document.name, document.idempotency_key)
        return self._with_session(partial(self._upload, name, document.data))

    def at_flush(self, document: Outbound) -> bool:
        """Whether ``document`` is delivered at ``flush`` (gathered in a bundle) rather than uploaded by ``send``:
        the dispatcher records each upload's outcome right after it, a bundle's after the flush."""
        return self._bundles.takes(document)

    def flush(self) -> dict[str, CrossdockError]:
        """Upload the files gathered since the last flush, each under its temporary name and then renamed. A file
        that fails, fails its documents alone (their keys come back with the reason); once the connection is lost
        and cannot be made again, the files not yet uploaded fail with that reason."""
        bundles = self._bundles.take()
        self._names.clear()
        failed: dict[str, CrossdockError] = {}
        lost: CrossdockError | None = None
        for bundle in bundles:
            if lost is not None:
                failed |= dict.fromkeys(bundle.keys, lost)
                continue
            try:
                self._with_session(partial(self._upload, bundle.name, bundle.data))
            except CrossdockError as exc:
                failed |= dict.fromkeys(bundle.keys, exc)
                if self._session is None or not self._session.alive():
                    lost = exc
        return failed

    def _with_session(self, operation: Callable[[Session], T]) -> T:
        """Run ``operation`` on the kept connection; one that had dropped is opened again, once."""
        reused = self._session is not None and self._session.alive()
        if not reused:
            self._disconnect()
            self._session = self._endpoint.open()
        session = self._session
        assert session is not None
        try:
            return operation(session)
        except TransientError:
            if session.alive():
                raise
            self._disconnect()
            if not reused:
                raise
            log.info(
                "sftp %s: the kept connection to %s had dropped; connecting again", self.name, self._endpoint.where
            )
        self._session = self._endpoint.open()
        try:
            return operation(self._session)
        except TransientError:
            self._disconnect()
            raise

    def _upload(self, name: str, data: bytes, session: Session) -> str:
        """Upload a file under its temporary name, then rename it into place; returns the final path."""
        folder = session.folder(self.config.remote_dir)
        final = posixpath.join(folder, name)
        temp = final + self.config.temp_suffix
        sftp = session.sftp

        def upload() -> None:
            try:
                sftp.putfo(io.BytesIO(data), temp, file_size=len(data), confirm=True)
                _replace(session, temp, final)
            except BaseException:
                if session.alive():
                    with suppress(Exception):
                        sftp.remove(temp)
                raise

        session.call(f"uploading {final}", upload)
        return final

    def close(self) -> None:
        """Disconnect; files gathered but not flushed belong to a round that did not finish and are sent again."""
        self._bundles.take()
        self._disconnect()

    def _disconnect(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


def _read(sftp: paramiko.SFTPClient, path: str) -> bytes:
    buffer = io.BytesIO()
    sftp.getfo(path, buffer)
    return buffer.getvalue()


def _exists(sftp: paramiko.SFTPClient, path: str) -> bool:
    try:
        sftp.stat(path)
    except FileNotFoundError:
        return False
    return True


def _makedirs(sftp: paramiko.SFTPClient, folder: str) -> None:
    missing: list[str] = []
    while folder not in ("", "/") and not _exists(sftp, folder):
        missing.append(folder)
        folder = posixpath.dirname(folder)
    for path in reversed(missing):
        try:
            sftp.mkdir(path)
        except OSError:
            if not _exists(sftp, path):  # made meanwhile by another reader is fine
                raise


def _replace(session: Session, temp: str, final: str) -> None:
    """Rename ``temp`` over ``final`` atomically (posix-rename@openssh.com), else remove and rename."""
    try:
        session.sftp.posix_rename(temp, final)
        return
    except OSError as exc:
        if exc.errno is not None or not session.alive():
            raise
        log.debug("posix-rename failed (%s); removing and renaming instead", exc)
    with suppress(FileNotFoundError):
        session.sftp.remove(final)
    session.sftp.rename(temp, final)


def probe(name: str, config: SftpSourceConfig | SftpSinkConfig) -> str:
    """``check --connect``: log in with the host key checked against its pin and look at ``remote_dir``.

    Nothing is read, written, moved or deleted on the server."""
    endpoint = Endpoint(name, config)
    session = endpoint.open()
    try:
        folder = session.folder(config.remote_dir)
        attr = session.call(f"opening folder {folder}", lambda: session.sftp.stat(folder))
    finally:
        session.close()
    if attr.st_mode is not None and not stat.S_ISDIR(attr.st_mode):
        raise PermanentError(f"sftp {name} at {endpoint.where}: {folder} is not a folder")
    return f"logged in as {config.username!r} at {endpoint.where}, host key as pinned; folder {folder} is there"
