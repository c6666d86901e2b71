"""The sales channels' webhooks, at ``/webhooks/<source>`` for each channel source with a ``webhook_secret``:
what a webhook means and how it is answered, apart from the HTTP server that carries it.

A channel's webhook is a hint: its signature is checked, then the order it names is read again from the
channel's API (through one client kept for the server's life) and handed to the source's ``Intake``, which
stores and records it together with the other webhooks' orders waiting at that moment, and answers 202 only
once the order and everything it causes are committed. A store that fails is answered 503, so the channel sends
the webhook again. An order that cannot be read now is answered 202 all the same (the next poll finds it), so the
channel does not disable the webhook.

A verified delivery answered 2xx is remembered for ten minutes (by its signed body and the delivery id the channel
sends): the same delivery again, the channel's retry after a lost answer or someone replaying a captured one, is
answered 200 without reading the order again, so a kept webhook cannot spend the shop's API quota. A delivery
answered 5xx is not remembered: the channel's retry must record it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Mapping
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from crossdock.connectors.channel import ChannelSource, Expiring
from crossdock.core.configuration.blocks import CHANNELS
from crossdock.core.configuration.config import Config
from crossdock.core.erasure import Erasure, erase
from crossdock.core.errors import CrossdockError
from crossdock.core.hub import Hub
from crossdock.core.intake import Intake, Recorded
from crossdock.core.ports import Channel

log = logging.getLogger("crossdock.webhooks")
MAX_BYTES = 5_000_000  # a webhook's body at most
ANSWERED_FOR = 600.0  # seconds a delivery answered 2xx is remembered, so the same one again costs no API call
ANSWERED_MOST = 10_000  # deliveries remembered per channel source at most (the oldest go first)
# the headers that name a delivery: Shopify's (also without X-), WooCommerce's, Standard Webhooks'
DELIVERY_IDS = ("x-shopify-webhook-id", "shopify-webhook-id", "x-wc-webhook-delivery-id", "webhook-id")


@dataclass(frozen=True, slots=True)
class Answer:
    """What to answer the channel: a status and a JSON body, for whichever HTTP server carries it."""

    status: HTTPStatus
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Pending:
    """A verified webhook whose order ``source``'s intake is storing: it is answered once ``recorded`` is done."""

    source: str
    order_id: str
    keys: tuple[str, ...]
    recorded: Future[Recorded]


def delivery_keys(data: bytes, headers: Mapping[str, str]) -> tuple[str, ...]:
    """What makes a delivery the same delivery again: its signed body (whatever headers come with it) and the
    delivery id a channel sends beside it."""
    ids = (headers.get(name, "").strip() for name in DELIVERY_IDS)
    return (f"body:{hashlib.sha256(data).hexdigest()}", *(f"id:{found}" for found in ids if found))


def webhook_path(source_name: str) -> str:
    return f"/webhooks/{source_name}"


def hook_sources(config: Config) -> list[str]:
    """The channel sources that answer webhooks: those with a secret to check them by."""
    return [
        name for name, cfg in config.sources.items() if cfg.type in CHANNELS and getattr(cfg, "webhook_secret", None)
    ]


class _Hook:
    """One channel source's webhook: its source, built on first use and kept (with its API client), its intake,
    and the deliveries it answered 2xx lately."""

    def __init__(self, hub: Hub, name: str) -> None:
        self.hub = hub
        self.name = name
        self.intake = Intake(hub, name)
        self.answered: Expiring[bool] = Expiring(limit=ANSWERED_MOST)
        self._source: Channel | None = None
        self._lock = threading.Lock()

    def source(self) -> Channel:
        with self._lock:
            if self._source is None:
                source = self.hub.source(self.name)
                assert isinstance(source, Channel), f"{self.name} is not a sales channel"
                if isinstance(source, ChannelSource):
                    source.keep_client()
                self._source = source
            return self._source

    def receive(self, data: bytes, headers: Mapping[str, str]) -> Answer | Pending:
        """Verify the webhook and read its order again: the answer, or the order handed to the intake."""
        source = self.source()
        try:
            verified = source.verify_webhook(data, headers)
        except CrossdockError as exc:  # the channel's key could not be fetched: it sends the webhook again
            log.warning("webhook %s: not verified: %s", self.name, exc)
            return Answer(HTTPStatus.SERVICE_UNAVAILABLE, {"error": f"cannot verify now: {exc}"})
        if not verified:
            return Answer(HTTPStatus.UNAUTHORIZED, {"error": "missing or wrong webhook signature"})
        keys = delivery_keys(data, headers)
        if any(self.answered.get(key) for key in keys):  # sent again, by the channel or by someone who kept it
            return Answer(HTTPStatus.OK, {"ignored": "answered already (the same delivery again)"})
        erasure = getattr(source, "erasure", None)  # a channel's account deletion notice (eBay's)
        forget = erasure(data) if callable(erasure) else None
        if isinstance(forget, Erasure):
            changed, orders = erase(self.hub, self.name, forget)
            return self._answered(keys, Answer(HTTPStatus.OK, {"erased": {"documents": changed, "orders": orders}}))
        order_id = source.webhook_order_id(data, headers)
        if order_id is None:
            return self._answered(keys, Answer(HTTPStatus.OK, {"ignored": "not an order (a ping?)"}))
        try:
            item = source.order(order_id)
            if isinstance(source, ChannelSource):
                item = source.bounded(item)
        except CrossdockError as exc:
            log.warning("webhook %s: order %s not read: %s", self.name, order_id, exc)
            body = {"order": order_id, "error": str(exc), "next": "the next poll"}
            return self._answered(keys, Answer(HTTPStatus.ACCEPTED, body))
        try:
            recorded = self.intake.submit(item)
        except CrossdockError as exc:  # crossdock is stopping
            log.warning("webhook %s: order %s not recorded: %s", self.name, order_id, exc)
            return _again(order_id)
        return Pending(self.name, order_id, keys, recorded)

    def settle(self, pending: Pending) -> Answer:
        """The answer once the intake has committed the order (or failed to): ``pending.recorded`` is done."""
        failed = pending.recorded.exception()
        if failed is not None:
            if isinstance(failed, CrossdockError):  # crossdock is stopping
                log.warning("webhook %s: order %s not recorded: %s", self.name, pending.order_id, failed)
            else:  # not committed; the store's words (the order's data with them) stay in the log
                log.error("webhook %s: order %s not recorded", self.name, pending.order_id, exc_info=failed)
            return _again(pending.order_id)
        got = pending.recorded.result()
        body: dict[str, Any] = {
            "order": pending.order_id,
            "document": got.document_id,
            "new": got.new,
            "state": got.state,
        }
        if got.processed is not None:
            body["error"] = got.processed.error
        return self._answered(pending.keys, Answer(HTTPStatus.ACCEPTED, body))

    def _answered(self, keys: tuple[str, ...], answer: Answer) -> Answer:
        """Remember a delivery answered 2xx for a while: the same delivery again is answered without the shop."""
        for key in keys:
            self.answered.put(key, True, ANSWERED_FOR)
        return answer

    def close(self) -> None:
        self.intake.close()
        with self._lock:
            source, self._source = self._source, None
        if isinstance(source, ChannelSource):
            source.close()


def _again(order_id: str) -> Answer:
    """The order is not recorded (its raw bytes may be stored): on a 5xx the channel sends again, which records it."""
    return Answer(HTTPStatus.SERVICE_UNAVAILABLE, {"order": order_id, "error": "not recorded: send it again"})


class Webhooks:
    """Every channel webhook the configuration declares, by path."""

    def __init__(self, hub: Hub) -> None:
        self._hooks = {webhook_path(name): _Hook(hub, name) for name in hook_sources(hub.config)}

    def __contains__(self, path: str) -> bool:
        return path in self._hooks

    def paths(self) -> list[str]:
        return list(self._hooks)

    def receive(self, path: str, data: bytes, headers: Mapping[str, str]) -> Answer | Pending:
        """A webhook posted at ``path`` (one of these), its header names lower-cased: the answer, or its order
        handed to the intake, to be answered by ``settle`` once ``recorded`` is done (blocks: the channel's API)."""
        return self._hooks[path].receive(data, headers)

    def settle(self, pending: Pending) -> Answer:
        return self._hooks[webhook_path(pending.source)].settle(pending)

    def post(self, path: str, data: bytes, headers: Mapping[str, str]) -> Answer:
        """The answer to a webhook posted at ``path``, once its order is committed (blocks)."""
        taken = self.receive(path, data, headers)
        if isinstance(taken, Pending):
            wait([taken.recorded])
            return self.settle(taken)
        return taken

    def challenge(self, path: str, query: Mapping[str, str]) -> Answer | None:
        """The answer to a GET at ``path``: a channel's subscription challenge; None when the path has none."""
        hook = self._hooks.get(path)
        source = hook.source() if hook is not None else None
        if source is None or not hasattr(source, "webhook_challenge"):
            return None
        answer = source.webhook_challenge(query)
        if answer is None:
            return Answer(HTTPStatus.BAD_REQUEST, {"error": "not a subscription challenge"})
        return Answer(HTTPStatus.OK, answer)

    def close(self) -> None:
        """Record what is waiting, then release every kept client."""
        for hook in self._hooks.values():
            hook.close()
