"""The two faces of a connector, owned by core: a Source hands documents in, a Sink takes documents out.

A source never deletes, moves or flags anything on the remote side by itself. It yields each document as
an ``Inbound`` whose ``settle`` callback the pipeline calls only after the raw bytes are committed to the
store (Redpanda Connect's ack function): a crash before the commit leaves the file on the partner's server to
be read again, and the store's deduplication makes that second read harmless.

A sink sends one ``Outbound`` and returns the remote name it wrote. It raises ``TransientError`` for what a
later attempt may fix and ``PermanentError`` for what it cannot; the outbox decides what happens next. The
same ``Outbound`` may be sent twice after a crash, so a sink makes that harmless: files are written under a
name derived from the document (the second write replaces the first), and HTTP sinks pass
``idempotency_key`` on. A sink may also have ``flush()``: the dispatcher calls it before recording any send
as done, so a sink can make a whole batch durable at once; when ``flush`` raises, the batch's sends to that
sink count as failed and are retried. A ``flush`` that could make some documents durable and not others
returns the others' idempotency keys, each with its error: only those fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


def _nothing() -> None:
    return None


@dataclass(slots=True)
class Inbound:
    """One document a source found: its bytes, where it came from, and what to do once it is stored.

    ``identity`` is stable for the same remote object (path with size and mtime, mailbox UID with the
    attachment's index) so a re-read is recognised even when the bytes changed name. ``settle`` archives,
    deletes or flags the remote object, and must be called inside the ``receive()`` block, while the
    connection is open; ``quarantine`` names why the source refuses it (for example mail
    from an unknown sender): the pipeline keeps the bytes, marks them quarantined and does not process them.
    ``checkpoint`` is a polling API's high-water mark once this document and every one before it is stored:
    the poller saves it in the transaction that records the document, and hands it back as the source's
    ``since`` on the next poll. Once stored (``pipeline.ingest_many``) ``data`` is emptied: the store holds the
    bytes from then on, and processing reads them from there. ``imported`` is called by a poll only once the
    document is processed without error (now, or by an earlier poll): what a channel must hear only of an order
    crossdock took (Walmart's acknowledgement), never of one that failed to import.
    """

    name: str
    data: bytes
    identity: str
    sender: str | None = None
    quarantine: str | None = None
    settle: Callable[[], None] = field(default=_nothing, repr=False)
    checkpoint: str | None = None
    imported: Callable[[], None] = field(default=_nothing, repr=False)
    kind: str = ""  # what the document is when its source knows ("return"); empty: its flow tells by its bytes

    def __post_init__(self) -> None:
        self.name, self.identity = printable(self.name), printable(self.identity)


def printable(text: str) -> str:
    """A name as text the store can hold: bytes that were not UTF-8 (kept by the OS's surrogate escapes) are
    written ``\\xe4``, one for one, so two such names never become the same identity."""
    if text.isascii():
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that no OS call made (from JSON, say)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


X12_CONTENT_TYPE = "application/edi-x12"  # RFC 1767


@dataclass(frozen=True, slots=True)
class Outbound:
    """One document to send: a file name the sink may use, the bytes, and the delivery's stable key.

    A large document (a large order's JSON) comes to a sink that says ``streams = True`` with no ``data`` but a
    ``stream`` of its bytes read from the store piece by piece: such a sink writes ``pieces()``. Every other sink
    gets the bytes whole in ``data``.
    """

    name: str
    data: bytes
    idempotency_key: str
    content_type: str = "application/octet-stream"
    subject: str | None = None
    stream: Callable[[], Iterator[bytes]] | None = field(default=None, repr=False, compare=False)
    purpose: str = ""  # the delivery's purpose: a sink that takes more than one kind of document tells them apart

    def pieces(self) -> Iterator[bytes]:
        """The bytes to send, in pieces: the stream's, or ``data`` as one piece."""
        return self.stream() if self.stream is not None else iter((self.data,))


@runtime_checkable
class Source(Protocol):
    name: str

    def receive(self) -> AbstractContextManager[Iterator[Inbound]]:
        """Open the connection and yield every document that is ready; the connection closes on exit."""
        ...


@runtime_checkable
class Sink(Protocol):
    name: str

    def send(self, document: Outbound) -> str:
        """Deliver one document and return where it went (remote path, message id, URL)."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Syncing(Protocol):
    """A source that reads an API by a high-water mark: the poller sets ``since`` to the last saved checkpoint
    (None on the first poll) before ``receive``. A read that went further but found nothing to store (every
    order in it skipped) sets ``reached``, and the poller saves that as the checkpoint once the read ends."""

    since: str | None
    reached: str | None


@runtime_checkable
class Watching(Protocol):
    """A file source that remembers between polls what it saw of files not yet ready: the poller sets ``looks``
    to the text saved by the last poll before ``receive`` and saves it again after."""

    looks: str | None


@runtime_checkable
class Refusing(Protocol):
    """A source that would not read some files (larger than ``max_file_size``) and moved them aside:
    ``refused`` says why for each, and the poller logs it as an event and raises one alert for it."""

    refused: list[str]


@runtime_checkable
class Channel(Syncing, Protocol):
    """A sales channel's source. Beside the poll it reads one order by its id, and it judges the channel's
    webhooks: a webhook is only a hint, verified here and then answered by reading the order again.

    A channel whose webhook subscription is confirmed by a GET (a challenge) also has
    ``webhook_challenge(query) -> dict | None``: the JSON to answer with, None when the query is not one.
    """

    def order(self, order_id: str) -> Inbound:
        """The order as the channel's API gives it now, as one document (``checkpoint`` unset)."""
        ...

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Whether the raw body is signed by the channel (header names lower-cased), compared in constant time."""
        ...

    def webhook_order_id(self, body: bytes, headers: Mapping[str, str]) -> str | None:
        """The order a verified webhook is about; None when it is about something else (a ping, a product)."""
        ...
