"""What the sales channels' connectors share: the source's and the sink's skeletons around the channel's API
client, the order document, the checkpoint carried by a read's last document, and the cache that keeps access
tokens.

Each channel keeps in its own module what is its own: the API client (auth, pacing, answers), how orders are
listed and what a webhook means.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Generator, Hashable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import httpx

from crossdock.connectors.http import AnswerLimit
from crossdock.core.errors import PermanentError
from crossdock.core.fulfilment.models import Fulfilment
from crossdock.core.lifecycle.cancellations import CANCELLATION, Cancellation
from crossdock.core.models_base import Model
from crossdock.core.ports import Inbound, Outbound, Syncing
from crossdock.core.returns.models import REFUND, REFUND_CHECK, Refund, RefundCheck
from crossdock.core.stock.models import STOCK, STOCK_CHECK, FeedCheck, StockPush


class Client(Protocol):
    """A channel's API client: whatever it holds open is released by ``close``."""

    def close(self) -> None: ...


class Windowed(Protocol):
    """The settings every channel's source has: how far back the first poll reads, how much a later one overlaps,
    and how large one answer of its API and one order may be (``ChannelSourceBase``)."""

    @property
    def first_sync(self) -> float: ...

    @property
    def overlap(self) -> float: ...

    @property
    def max_answer(self) -> int: ...

    @property
    def max_order(self) -> int: ...


ConfigT = TypeVar("ConfigT", bound=Windowed)
ClientT = TypeVar("ClientT", bound=Client)
V = TypeVar("V")
ModelT = TypeVar("ModelT", bound=Model)


class ChannelSource(Generic[ConfigT, ClientT]):
    """A channel's source: a new API client for each poll and each order read, always closed again (unless the
    source keeps one: ``keep_client``).

    A subclass says how its client is made (``_connect``) and how a poll reads orders (``_read``, or ``_orders``
    where the checkpoint is not the read's last word); the channel's ``order``, ``verify_webhook`` and
    ``webhook_order_id`` stay its own.
    """

    def __init__(self, name: str, config: ConfigT, transport: httpx.BaseTransport | None = None) -> None:
        self.name = name
        self.config = config
        self.since: str | None = None
        self.reached: str | None = None
        self._given = transport
        self._kept: ClientT | None = None
        self._keeping = threading.Lock()

    @property
    def _transport(self) -> httpx.BaseTransport:
        """The transport for a new API client: its own (a client closes its transport), marking ``max_answer``."""
        return AnswerLimit(self.config.max_answer, self._given)

    @contextmanager
    def receive(self) -> Iterator[Iterator[Inbound]]:
        with self._connected() as api:
            yield (self.bounded(item) for item in self._orders(api))

    def bounded(self, item: Inbound) -> Inbound:
        """An order (from a poll, or read for a webhook) whose JSON is over ``max_order`` bytes is kept
        quarantined, not processed, naming it."""
        limit = self.config.max_order
        if len(item.data) > limit and item.quarantine is None:
            item.quarantine = (
                f"{item.name} is {len(item.data)} bytes, more than the {limit} bytes one order may be (max_order): "
                "kept, not processed"
            )
        return item

    def keep_client(self) -> None:
        """From now until ``close``, every call goes through one API client: a webhook server's source reads an
        order per webhook, and a client made for each (its TLS context alone takes 20 ms) was most of a webhook's
        cost. Safe from several threads at once: httpx's client is, and each channel's tokens and rate buckets
        are locked."""
        with self._keeping:
            if self._kept is None:
                self._kept = self._connect()

    def close(self) -> None:
        """Release the client ``keep_client`` opened, if any."""
        with self._keeping:
            kept, self._kept = self._kept, None
        if kept is not None:
            kept.close()

    @contextmanager
    def _connected(self) -> Iterator[ClientT]:
        if self._kept is not None:
            yield self._kept
            return
        api = self._connect()
        try:
            yield api
        finally:
            api.close()

    def _connect(self) -> ClientT:
        raise NotImplementedError

    def _orders(self, api: ClientT) -> Iterator[Inbound]:
        """A poll's documents: every order ``_read`` finds, the last one carrying the checkpoint it returns (or,
        when it found none to store, ``reached``)."""
        return checkpointed(self._read(api), self)

    def _read(self, api: ClientT) -> Generator[Inbound, None, str | None]:
        raise NotImplementedError

    def _window_start(self, since: dt.datetime | None, now: dt.datetime) -> dt.datetime:
        """Where a poll's window opens: the checkpoint less the overlap (a change saved late is not missed), or
        ``first_sync`` back on the first poll."""
        if since is not None:
            return since - dt.timedelta(seconds=self.config.overlap)
        return now - dt.timedelta(seconds=self.config.first_sync)


class ChannelSink(Generic[ConfigT, ClientT]):
    """A channel's sink: one API client for its whole life, and a document that must be a Fulfilment or a
    Cancellation naming the channel's order (what is not cannot be fixed by sending again: permanent).

    ``send`` tells them apart by the delivery's purpose: a subclass writes ``_fulfil``, ``_cancel``,
    ``_stock`` (a StockPush), ``_stock_check`` (a FeedCheck: a stock feed's report read back), ``_refund``
    (a Refund) and ``_refund_check`` (a RefundCheck: a refund feed's report read back).
    """

    channel: ClassVar[str]

    def __init__(self, name: str, config: ConfigT, transport: httpx.BaseTransport | None = None) -> None:
        self.name = name
        self.config = config
        self._api = self._connect(AnswerLimit(config.max_answer, transport))

    def _connect(self, transport: httpx.BaseTransport | None) -> ClientT:
        raise NotImplementedError

    def send(self, document: Outbound) -> str:
        if document.purpose == CANCELLATION:
            return self._cancel(self._cancellation(document))
        if document.purpose == STOCK:
            return self._stock(self._parsed(StockPush, document))
        if document.purpose == STOCK_CHECK:
            return self._stock_check(self._parsed(FeedCheck, document))
        if document.purpose == REFUND:
            return self._refund(self._parsed(Refund, document))
        if document.purpose == REFUND_CHECK:
            return self._refund_check(self._parsed(RefundCheck, document))
        return self._fulfil(self._fulfilment(document))

    def _fulfil(self, fulfilment: Fulfilment) -> str:
        raise NotImplementedError

    def _cancel(self, cancellation: Cancellation) -> str:
        raise PermanentError(
            f"{self.channel} {self.name}: crossdock cannot cancel on {self.channel} yet; cancel order "
            f"{cancellation.external_id or cancellation.po_number} there by hand"
        )

    def _stock(self, push: StockPush) -> str:
        raise PermanentError(f"{self.channel} {self.name}: crossdock cannot push stock to {self.channel} yet")

    def _stock_check(self, check: FeedCheck) -> str:
        raise PermanentError(f"{self.channel} {self.name}: crossdock reads no stock feed reports from {self.channel}")

    def _refund(self, refund: Refund) -> str:
        raise PermanentError(
            f"{self.channel} {self.name}: crossdock cannot refund on {self.channel} yet; refund return "
            f"{refund.return_id} of order {refund.external_id or refund.po_number} there by hand"
        )

    def _refund_check(self, check: RefundCheck) -> str:
        raise PermanentError(f"{self.channel} {self.name}: crossdock reads no refund feed reports from {self.channel}")

    def _parsed(self, model: type[ModelT], document: Outbound) -> ModelT:
        try:
            return model.model_validate_json(document.data)
        except ValueError as exc:
            raise PermanentError(
                f"{self.channel} {self.name}: {document.name} is not a {model.__name__}: {exc}"
            ) from None

    def _cancellation(self, document: Outbound) -> Cancellation:
        try:
            return Cancellation.model_validate_json(document.data)
        except ValueError as exc:
            raise PermanentError(f"{self.channel} {self.name}: {document.name} is not a Cancellation: {exc}") from None

    def _fulfilment(self, document: Outbound) -> Fulfilment:
        try:
            return Fulfilment.model_validate_json(document.data)
        except ValueError as exc:
            raise PermanentError(f"{self.channel} {self.name}: {document.name} is not a Fulfilment: {exc}") from None

    def _order_id(self, fulfilment: Fulfilment, what: str = "order id", valid: Callable[[str], bool] = bool) -> str:
        """The channel's id of the order the fulfilment ships (its ``external_id``), when it is a valid one."""
        order_id = fulfilment.external_id or ""
        if not valid(order_id):
            raise PermanentError(f"{self.channel} {self.name}: fulfilment of {fulfilment.po_number} has no {what}")
        return order_id

    def close(self) -> None:
        self._api.close()


def order_inbound(
    channel: str, order_id: object, version: object, order: Mapping[str, Any], settle: Callable[[], None] | None = None
) -> Inbound:
    """The order as one document: compact JSON, and an identity that changes with the order's version, so each
    version is stored once (and bounded by ``ChannelSource.bounded``)."""
    data = json.dumps(order, default=str, separators=(",", ":")).encode("utf-8")
    inbound = Inbound(name=f"{channel}-order-{order_id}.json", data=data, identity=f"{channel}:{order_id}:{version}")
    if settle is not None:
        inbound.settle = settle
    return inbound


def checkpointed(found: Generator[Inbound, None, str | None], source: Syncing) -> Iterator[Inbound]:
    """Every document of a read, the last one held back until the read ends so it carries the checkpoint the
    read returns: the poller saves it with that document, once everything before it is stored. A read that
    found nothing to store (every order skipped) leaves its checkpoint in ``source.reached``."""
    held: Inbound | None = None
    while True:
        try:
            item = next(found)
        except StopIteration as end:
            if held is not None:
                held.checkpoint = end.value
                yield held
            else:
                source.reached = end.value
            return
        if held is not None:
            yield held
        held = item


class Expiring(Generic[V]):
    """Values by key until they expire (access tokens, public keys), safe to share between threads: a source is
    built anew for every poll, so what outlives it is kept here. With a ``limit``, keys that anyone outside can
    choose (a forged key id) cannot grow it: past the limit the oldest go (and the expired among the oldest)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, limit: int | None = None) -> None:
        self._clock = clock
        self._limit = limit
        self._lock = threading.Lock()
        self._values: dict[Hashable, tuple[V, float]] = {}

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._values.get(key)
            if found is None or found[1] <= self._clock():
                self._values.pop(key, None)
                return None
            return found[0]

    def put(self, key: Hashable, value: V, ttl: float) -> None:
        with self._lock:
            now = self._clock()
            self._values.pop(key, None)  # put again: the newest, last to go
            self._values[key] = (value, now + ttl)
            while self._limit is not None and self._values:  # the oldest first: expired, or one too many
                oldest = next(iter(self._values))
                if len(self._values) <= self._limit and self._values[oldest][1] > now:
                    break
                del self._values[oldest]

    def drop(self, key: Hashable) -> None:
        with self._lock:
            self._values.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
