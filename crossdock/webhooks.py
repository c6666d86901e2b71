"""The sales channels' webhooks, at ``/webhooks/<source>`` for each channel source with a ``webhook_secret``:
what a webhook means and how it is answered, apart from the HTTP server that carries it.

A channel's webhook is a hint: its signature is checked, then the order it names is read again from the
channel's API (through one client kept for the server's life) and handed to the source's ``Intake``, which
stores and records it together with the other webhooks' orders waiting at that moment, and answers 202 only
once the order and everything it causes are committed. A store that fails is answered 503, so the channel sends
the webhook again. An order that cannot be read now is answered 202 all the same (the next poll finds it), so the
channel does not disable the webhook.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from crossdock.connectors.base import Channel
from crossdock.connectors.channel import ChannelSource
from crossdock.core.api_config import CHANNELS
from crossdock.core.config import Config
from crossdock.core.errors import CrossdockError
from crossdock.core.hub import Hub
from crossdock.core.intake import Intake

log = logging.getLogger("crossdock.webhooks")
MAX_BYTES = 5_000_000  # a webhook's body at most


@dataclass(frozen=True, slots=True)
class Answer:
    """What to answer the channel: a status and a JSON body, for whichever HTTP server carries it."""

    status: HTTPStatus
    body: dict[str, Any] = field(default_factory=dict)


def webhook_path(source_name: str) -> str:
    return f"/webhooks/{source_name}"


def hook_sources(config: Config) -> list[str]:
    """The channel sources that answer webhooks: those with a secret to check them by."""
    return [
        name for name, cfg in config.sources.items() if cfg.type in CHANNELS and getattr(cfg, "webhook_secret", None)
    ]


class _Hook:
    """One channel source's webhook: its source, built on first use and kept (with its API client), and its
    intake."""

    def __init__(self, hub: Hub, name: str) -> None:
        self.hub = hub
        self.name = name
        self.intake = Intake(hub, name)
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

    def post(self, data: bytes, headers: Mapping[str, str]) -> Answer:
        source = self.source()
        try:
            verified = source.verify_webhook(data, headers)
        except CrossdockError as exc:  # the channel's key could not be fetched: it sends the webhook again
            log.warning("webhook %s: not verified: %s", self.name, exc)
            return Answer(HTTPStatus.SERVICE_UNAVAILABLE, {"error": f"cannot verify now: {exc}"})
        if not verified:
            return Answer(HTTPStatus.UNAUTHORIZED, {"error": "missing or wrong webhook signature"})
        order_id = source.webhook_order_id(data, headers)
        if order_id is None:
            return Answer(HTTPStatus.OK, {"ignored": "not an order (a ping?)"})
        try:
            item = source.order(order_id)
        except CrossdockError as exc:
            log.warning("webhook %s: order %s not read: %s", self.name, order_id, exc)
            return Answer(HTTPStatus.ACCEPTED, {"order": order_id, "error": str(exc), "next": "the next poll"})
        try:
            got = self.intake.record(item)
        except CrossdockError as exc:  # crossdock is stopping
            log.warning("webhook %s: order %s not recorded: %s", self.name, order_id, exc)
            return _again(order_id)
        except Exception as exc:  # not committed; the store's words (the order's data with them) stay in the log
            log.error("webhook %s: order %s not recorded", self.name, order_id, exc_info=exc)
            return _again(order_id)
        body: dict[str, Any] = {"order": order_id, "document": got.document_id, "new": got.new, "state": got.state}
        if got.processed is not None:
            body["error"] = got.processed.error
        return Answer(HTTPStatus.ACCEPTED, body)

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

    def post(self, path: str, data: bytes, headers: Mapping[str, str]) -> Answer:
        """The answer to a webhook posted at ``path`` (one of these), its header names lower-cased."""
        return self._hooks[path].post(data, headers)

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
