"""IMAP source: partners who cannot do SFTP or AS2 mail their EDI and CSV files as attachments.

Mail is read with ``BODY.PEEK[]`` so nothing on the server changes until the pipeline has stored what it read:
only then does ``settle`` flag the message (``processed_flag``) or move it (``processed_folder``), and only
once every document taken from it is settled. A crash in between leaves the mail unread and unflagged, to be
read again. Mail from a sender outside ``allowed_senders`` (the one mailbox of its From field, vouched for by
the receiving server's DKIM or DMARC result where the source requires it: see ``mailauth``), or with no
matching attachment, is handed over whole as a quarantined document and moved to ``quarantine_folder``, so a
person can see what came.
"""

from __future__ import annotations

import email
import email.policy
import logging
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from email.message import EmailMessage
from fnmatch import fnmatchcase
from functools import partial
from typing import Any, TypeVar

from imapclient import IMAPClient  # type: ignore[import-untyped]
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError  # type: ignore[import-untyped]

from crossdock.connectors.imap_config import ImapSourceConfig
from crossdock.connectors.mailauth import UnreadableSender, authenticated, from_address, sender_allowed
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import ConfigError, CrossdockError, PermanentError, TransientError
from crossdock.core.ports import Inbound

log = logging.getLogger(__name__)

T = TypeVar("T")

# SEARCH keys for "not flagged with" a system flag; any other flag is a keyword (UNKEYWORD)
_UNSET_SYSTEM_FLAG = {"\\seen": "UNSEEN", "\\flagged": "UNFLAGGED", "\\answered": "UNANSWERED", "\\draft": "UNDRAFT"}
# response codes (RFC 5530) that say "try again later" rather than "this cannot work"
_TRANSIENT_CODES = ("[UNAVAILABLE]", "[INUSE]", "[LIMIT]", "[SERVERBUG]", "[OVERQUOTA]")


def attachments(message: EmailMessage, patterns: list[str]) -> list[tuple[int, str, bytes]]:
    """``(index, file name, bytes)`` of each attachment whose name matches a glob, case-insensitively.

    ``index`` counts every named part of the message in order, so it stays the same for the same mail.
    """
    globs = [p.lower() for p in patterns]
    found: list[tuple[int, str, bytes]] = []
    index = -1
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if not filename:
            continue
        index += 1
        name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
        if not name or not any(fnmatchcase(name.lower(), g) for g in globs):
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            found.append((index, name, payload))
    return found


class _Message:
    """One mail's documents: ``done`` runs once, when the last of them is settled."""

    def __init__(self, count: int, done: Callable[[], None]) -> None:
        self.left = set(range(count))
        self.done = done
        self.finished = False

    def settle(self, index: int) -> None:
        if self.finished:
            return
        left = self.left - {index}
        if not left:
            self.done()  # if this fails, the next settle tries again
            self.finished = True
        self.left = left


class ImapSource:
    """Reads a mailbox folder; each matching attachment is one document."""

    def __init__(self, name: str, config: ImapSourceConfig) -> None:
        self.name = name
        self.config = config
        self.where = f"{config.host}:{config.port}"
        try:
            password = resolve_secret(config.password)
        except ConfigError as exc:
            raise ConfigError(f"imap {name}: {exc}") from None
        assert password is not None
        self._password = password
        self.refused: list[str] = []

    def receive(self) -> AbstractContextManager[Iterator[Inbound]]:
        return self._receive()

    @contextmanager
    def _receive(self) -> Iterator[Iterator[Inbound]]:
        client = self._connect()
        try:
            yield self._documents(client)
        finally:
            with suppress(Exception):
                client.logout()
            with suppress(Exception):
                client.shutdown()

    # --- connection -----------------------------------------------------------------------------------------

    def _connect(self) -> Any:
        config = self.config
        try:
            client = IMAPClient(
                config.host,
                port=config.port,
                ssl=config.security == "ssl",
                ssl_context=ssl.create_default_context() if config.security == "ssl" else None,
                timeout=config.timeout,
            )
            if config.security == "starttls":
                client.starttls(ssl.create_default_context())
        except Exception as exc:
            raise self._failure(exc, "connecting") from None
        try:
            client.login(config.username, self._password)
        except LoginError:
            with suppress(Exception):
                client.shutdown()
            raise PermanentError(
                f"imap {self.name}: login as {config.username!r} on {self.where} refused (password not accepted)"
            ) from None
        except Exception as exc:
            with suppress(Exception):
                client.shutdown()
            raise self._failure(exc, "logging in") from None
        return client

    def probe(self) -> str:
        """``check --connect``: log in and look for the folder; no mail is read, flagged or moved."""
        client = self._connect()
        folder = self.config.folder
        try:
            found = self._call(f"looking for folder {folder!r}", lambda: client.folder_exists(folder))
        finally:
            with suppress(Exception):
                client.logout()
            with suppress(Exception):
                client.shutdown()
        if not found:
            raise PermanentError(f"imap {self.name}: there is no folder {folder!r} on {self.where}")
        return f"logged in as {self.config.username!r} at {self.where}; folder {folder!r} is there"

    def _call(self, doing: str, operation: Callable[[], T]) -> T:
        try:
            return operation()
        except CrossdockError:
            raise
        except Exception as exc:
            raise self._failure(exc, doing) from exc

    def _failure(self, exc: BaseException, doing: str) -> CrossdockError:
        head = f"imap {self.name}: {doing} on {self.where}"
        if isinstance(exc, CrossdockError):
            return exc
        if isinstance(exc, ssl.SSLCertVerificationError):
            return PermanentError(f"{head}: the server's TLS certificate is not trusted ({exc.verify_message})")
        if isinstance(exc, TimeoutError):
            return TransientError(f"{head}: timed out after {self.config.timeout:g} s")
        if isinstance(exc, IMAPClientAbortError | OSError | EOFError | socket.gaierror):
            return TransientError(f"{head}: {exc}")
        if isinstance(exc, IMAPClientError):
            text = str(exc)
            if any(code in text.upper() for code in _TRANSIENT_CODES):
                return TransientError(f"{head}: {text}")
            return PermanentError(f"{head}: {text}")
        return TransientError(f"{head}: {type(exc).__name__}: {exc}")

    # --- reading --------------------------------------------------------------------------------------------

    def _documents(self, client: Any) -> Iterator[Inbound]:
        config = self.config
        folder = config.folder
        info = self._call(f"opening folder {folder!r}", lambda: client.select_folder(folder))
        uidvalidity = int(info[b"UIDVALIDITY"])
        if config.processed_folder is None:
            self._check_keyword(info)
            criteria = ["NOT", "DELETED", *_unflagged(config.processed_flag)]
        else:
            criteria = ["NOT", "DELETED"]
        uids: list[int] = sorted(self._call(f"searching {folder!r}", lambda: client.search(criteria)))
        sizes = (
            self._call(f"sizing messages in {folder!r}", partial(client.fetch, uids, ["RFC822.SIZE"])) if uids else {}
        )
        for uid in uids:
            size = int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))
            if size > _mail_bound(config.max_file_size):  # its attachment cannot be under the bound: not fetched
                self._refuse(client, uid, f"mail {uid} in {folder!r} is {size} bytes", size)
                continue
            response = self._call(f"reading message {uid} in {folder!r}", partial(client.fetch, [uid], ["BODY.PEEK[]"]))
            raw = response.get(uid, {}).get(b"BODY[]")
            if not isinstance(raw, bytes):
                continue  # expunged meanwhile
            yield from self._message(client, uidvalidity, uid, raw)

    def _message(self, client: Any, uidvalidity: int, uid: int, raw: bytes) -> Iterator[Inbound]:
        config = self.config
        base = f"imap://{config.host}/{config.folder}/{uidvalidity}/{uid}"
        reason = None
        sender = ""
        found: list[tuple[int, str, bytes]] = []
        try:
            message = email.message_from_bytes(raw, _class=EmailMessage, policy=email.policy.default)
            sender = from_address(message)
            reason = self._refused_sender(message, sender)
            if reason is None:
                found = attachments(message, config.attachments)
                if not found:
                    reason = "no EDI or CSV attachment"
        except UnreadableSender as exc:
            reason = str(exc)
        except Exception as exc:  # CPython's header parser raises on some malformed headers: the mail is kept
            reason = f"a header of the mail cannot be read ({type(exc).__name__}: {exc})"
            found = []
        large = [(name, len(data)) for _, name, data in found if len(data) > config.max_file_size]
        if large:
            name, size = large[0]
            self._refuse(client, uid, f"attachment {name} of mail {uid} in {config.folder!r}", size)
            return
        if reason is not None:
            whole = _Message(1, lambda: self._move(client, uid, config.quarantine_folder))
            yield Inbound(
                name=f"mail-{uidvalidity}-{uid}.eml",
                data=raw,
                identity=base,
                sender=sender or None,
                quarantine=reason,
                settle=lambda: self._call(f"quarantining message {uid}", lambda: whole.settle(0)),
            )
            return
        message_state = _Message(len(found), lambda: self._processed(client, uid))
        for position, (index, name, data) in enumerate(found):
            yield Inbound(
                name=name,
                data=data,
                identity=f"{base}/{index}",
                sender=sender,
                settle=_settler(self, message_state, position, uid),
            )

    def _refused_sender(self, message: EmailMessage, sender: str) -> str | None:
        """Why mail from ``sender`` is not read: not an allowed sender, or not vouched for by the receiving
        server's DKIM or DMARC check where the source requires it."""
        config = self.config
        if not sender_allowed(sender, config.allowed_senders or []):
            return f"mail from unknown sender {sender}"
        if config.authserv_id is None:
            return None
        return authenticated(message, sender, config.authserv_id, dkim=config.require_dkim, dmarc=config.require_dmarc)

    def _check_keyword(self, info: dict[bytes, Any]) -> None:
        flag = self.config.processed_flag
        if flag.startswith("\\"):
            return
        kept = [bytes(f).lower() for f in info.get(b"PERMANENTFLAGS", ())]
        if b"\\*" not in kept and flag.lower().encode() not in kept:
            raise PermanentError(
                f"imap {self.name}: {self.where} does not keep the keyword {flag} on messages in "
                f"{self.config.folder!r}; set processed_folder so read mail is moved instead"
            )

    def _refuse(self, client: Any, uid: int, what: str, size: int) -> None:
        """Move a mail whose attachment is over ``max_file_size`` to ``quarantine_folder``, stored nowhere, and say
        why once: the same bound as a folder's or an SFTP server's files."""
        folder = self.config.quarantine_folder
        self._call(f"quarantining message {uid}", lambda: self._move(client, uid, folder))
        reason = (
            f"imap {self.name}: {what} is {size} bytes, more than max_file_size {self.config.max_file_size} bytes: "
            f"not read, moved to {folder!r} (raise max_file_size and move it back to read it)"
        )
        log.warning("%s", reason)
        self.refused.append(reason)

    # --- settling -------------------------------------------------------------------------------------------

    def _processed(self, client: Any, uid: int) -> None:
        if self.config.processed_folder is not None:
            self._move(client, uid, self.config.processed_folder)
        else:
            client.add_flags([uid], [self.config.processed_flag])

    def _move(self, client: Any, uid: int, folder: str) -> None:
        if not client.folder_exists(folder):
            try:
                client.create_folder(folder)
            except IMAPClientError:
                if not client.folder_exists(folder):
                    raise
        if client.has_capability("MOVE"):
            client.move([uid], folder)
            return
        client.copy([uid], folder)
        client.add_flags([uid], ["\\Deleted"])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge([uid])


def _mail_bound(limit: int) -> int:
    """The largest mail that can carry an attachment of ``limit`` bytes: base64 grows it by a third, plus lines
    and headers."""
    return limit * 4 // 3 + limit // 38 + 1_000_000


def _settler(source: ImapSource, message: _Message, position: int, uid: int) -> Callable[[], None]:
    return lambda: source._call(f"settling message {uid}", lambda: message.settle(position))


def _unflagged(flag: str) -> list[str]:
    system = _UNSET_SYSTEM_FLAG.get(flag.lower())
    return [system] if system is not None else ["UNKEYWORD", flag]


def probe(name: str, config: ImapSourceConfig) -> str:
    """``check --connect`` for an IMAP source (see ``ImapSource.probe``)."""
    return ImapSource(name, config).probe()
