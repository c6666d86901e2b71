"""One process's view of crossdock: its configuration, its store, its partners and its connectors."""

from __future__ import annotations

import logging
from collections.abc import Callable

from crossdock.core import registry
from crossdock.core.configuration.blocks import CHANNELS
from crossdock.core.configuration.config import Config
from crossdock.core.errors import CrossdockError
from crossdock.core.outbox import Dispatcher
from crossdock.core.partners import Directory
from crossdock.core.ports import Sink, Source
from crossdock.core.retry import RetryPolicy
from crossdock.core.storage.store import Store

log = logging.getLogger("crossdock.hub")


def _unheard() -> None:
    """Deliveries queued where no dispatcher runs beside (a command): the next dispatch finds them."""


class Hub:
    """One process's view of crossdock: configuration, store, partners, and connectors built on first use."""

    def __init__(self, config: Config, store: Store | None = None) -> None:
        self.config = config
        self.store = store or Store.open(config.store_url)
        self.partners = Directory(config)
        self._sinks: dict[str, Sink] = {}
        self.on_queued: Callable[[], None] = _unheard  # crossdock run: wake its dispatcher (scheduler.Worker)

    def sink(self, name: str) -> Sink:
        """The sink of that name; a sales channel's source is also the sink its fulfilments go to."""
        found = self._sinks.get(name)
        if found is None:
            cfg = self.config.sinks.get(name)
            if cfg is not None:
                found = registry.build_sink(name, cfg)
                if cfg.type == "as2":  # its receipts are recorded in the store (core.acknowledgments.as2_receipts)
                    from crossdock.core.acknowledgments.as2_receipts import MdnRecords

                    found.records = MdnRecords(self.store)  # type: ignore[attr-defined]
            elif (answer := registry.build_answer_sink(name, self.config.sources)) is not None:
                found = answer
            elif (channel := self.config.sources.get(name)) is not None and channel.type in CHANNELS:
                found = registry.build_channel_sink(name, channel)
            else:
                raise CrossdockError(f"no sink named {name!r} in the configuration")
            self._sinks[name] = found
        return found

    def source(self, name: str) -> Source:
        cfg = self.config.sources.get(name)
        if cfg is None:
            raise CrossdockError(f"no source named {name!r} in the configuration")
        return registry.build_source(name, cfg)

    def dispatcher(self, owner: str | None = None) -> Dispatcher:
        """The outbox dispatcher for this configuration: its retry policy, batch, lease and alerts."""
        return Dispatcher(
            self.store,
            self.sink,
            RetryPolicy(self.config.retry),
            config=self.config,
            owner=owner,
            batch=self.config.outbox.batch,
            lease=self.config.outbox.lease,
        )

    def close(self) -> None:
        for sink in self._sinks.values():
            try:
                sink.close()
            except Exception:  # closing must not hide the real outcome
                log.warning("closing sink %s failed", sink.name, exc_info=True)
        self._sinks.clear()
        self.store.close()
