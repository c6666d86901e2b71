"""What the sales channels share: the source and sink skeletons, the checkpoint on a read's last document, the
expiring cache, and the answer classification in ``connectors.http``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Generator
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest

from crossdock.connectors.channel import ChannelSink, ChannelSource, Expiring, checkpointed, order_inbound
from crossdock.connectors.http import check, read_json, request, scrub
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.fulfilment.models import Fulfilment
from crossdock.core.lifecycle.cancellations import CANCELLATION, Cancellation
from crossdock.core.ports import Inbound, Outbound


@dataclass
class Settings:
    first_sync: float = 3600.0
    overlap: float = 60.0
    max_answer: int = 100_000_000
    max_order: int = 5_000_000


class Client:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


class Source(ChannelSource[Settings, Client]):
    def __init__(self, orders: list[dict[str, str]]) -> None:
        super().__init__("test", Settings())
        self.orders = orders
        self.clients: list[Client] = []

    def _connect(self) -> Client:
        self.clients.append(Client())
        return self.clients[-1]

    def _read(self, api: Client) -> Generator[Inbound, None, str | None]:
        for order in self.orders:
            yield order_inbound("test", order["id"], order["v"], order)
        return max((o["v"] for o in self.orders), default=None)


class Sink(ChannelSink[Settings, Client]):
    channel = "test"

    def _connect(self, transport: httpx.BaseTransport | None) -> Client:
        return Client()


def test_a_poll_closes_its_client_and_only_the_last_document_carries_the_checkpoint() -> None:
    source = Source([{"id": "1", "v": "a"}, {"id": "2", "v": "c"}, {"id": "3", "v": "b"}])
    with source.receive() as found:
        items = list(found)
    assert [i.checkpoint for i in items] == [None, None, "c"]
    assert items[0].name == "test-order-1.json" and items[0].identity == "test:1:a"
    assert items[0].data == b'{"id":"1","v":"a"}', "compact JSON"
    assert source.clients[0].closed


def test_an_empty_read_yields_nothing_and_the_client_closes_after_an_error() -> None:
    empty = Source([])
    assert list(checkpointed(empty._read(Client()), empty)) == [] and empty.reached is None
    source = Source([])
    with pytest.raises(RuntimeError), source._connected():
        raise RuntimeError("boom")
    assert source.clients[0].closed


def test_a_read_that_skipped_everything_leaves_its_checkpoint_in_reached() -> None:
    class Skipping(Source):
        def _read(self, api: Client) -> Generator[Inbound, None, str | None]:
            yield from ()
            return "2026-11-22T08:00:00"

    source = Skipping([])
    with source.receive() as found:
        assert list(found) == []
    assert source.reached == "2026-11-22T08:00:00"


def test_the_window_opens_at_the_checkpoint_less_the_overlap_or_first_sync_back() -> None:
    now = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    source = Source([])
    assert source._window_start(now, now) == now - dt.timedelta(seconds=60)
    assert source._window_start(None, now) == now - dt.timedelta(seconds=3600)


def test_the_inbound_keeps_numbers_as_text_and_a_settle_callback() -> None:
    called: list[bool] = []
    item = order_inbound("x", 5, "", {"amount": Decimal("59.98")}, lambda: called.append(True))
    item.settle()
    assert json.loads(item.data) == {"amount": "59.98"} and called == [True]


def test_a_sink_refuses_what_is_not_a_fulfilment_for_good_and_closes_its_client() -> None:
    sink = Sink("s", Settings())
    with pytest.raises(PermanentError, match=r"test s: f\.json is not a Fulfilment"):
        sink._fulfilment(Outbound("f.json", b"{}", "k"))
    sink.close()
    assert sink._api.closed


def test_expiring_values_go_at_their_time() -> None:
    now = [0.0]
    cache: Expiring[str] = Expiring(lambda: now[0])
    cache.put("k", "v", 10)
    assert cache.get("k") == "v"
    now[0] = 10
    assert cache.get("k") is None
    cache.put(("a", "b"), "w", 5)
    cache.drop(("a", "b"))
    assert cache.get(("a", "b")) is None
    cache.put("k", "v", 5)
    cache.clear()
    assert cache.get("k") is None


def test_transport_errors_and_timeouts_are_transient_with_secrets_scrubbed() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused for s3cret")

    client = httpx.Client(transport=httpx.MockTransport(fail), timeout=2)
    with pytest.raises(TransientError, match=r"here: ConnectError: refused for \*\*\*"):
        request(client, "GET", "http://x.test/", "here", secrets=["s3cret"])

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    client = httpx.Client(transport=httpx.MockTransport(slow), timeout=2)
    with pytest.raises(TransientError, match="here: no answer within 2 s"):
        request(client, "GET", "http://x.test/", "here")


def test_json_is_read_with_decimals_and_a_page_in_the_apis_place_is_transient() -> None:
    assert read_json(httpx.Response(200, text='{"a": 1.10}'), "w") == {"a": Decimal("1.10")}
    assert read_json(httpx.Response(200, content=b""), "w") is None
    assert read_json(httpx.Response(502, text="<html>bad gateway</html>"), "w") is None
    page = httpx.Response(200, text="<html>cached</html>", headers={"Retry-After": "3"})
    with pytest.raises(TransientError, match="w: 200, not JSON: <html>cached</html>") as caught:
        read_json(page, "w")
    assert caught.value.retry_after == 3.0


def test_check_tells_the_channels_own_words_without_secrets() -> None:
    refused = httpx.Response(400, text='{"errors": ["raw"]}')
    with pytest.raises(PermanentError, match=r"^w: 400 Bad Request: bad token \*\*\*$"):
        check(refused, "w", "bad token t0k", ["t0k"])
    with pytest.raises(TransientError, match=r"w: 503 Service Unavailable: down"):
        check(httpx.Response(503, text="down"), "w", "")
    check(httpx.Response(200, text="ok"), "w", "ignored")
    assert scrub("a b", ["", "b"]) == "a ***"


def test_an_order_larger_than_one_order_may_be_is_kept_quarantined_naming_it() -> None:
    source = Source([{"id": "77", "v": "1", "note": "n" * 2000}, {"id": "78", "v": "1", "note": "short"}])
    source.config.max_order = 1000
    with source.receive() as found:
        big, small = list(found)
    assert big.quarantine == (
        f"test-order-77.json is {len(big.data)} bytes, more than the 1000 bytes one order may be (max_order): "
        "kept, not processed"
    )
    assert len(big.data) > 2000, "raw kept"
    assert small.quarantine is None
    assert source.bounded(order_inbound("test", 79, "v1", {"note": "n" * 2000})).quarantine is not None, "a webhook's"


class Fulfilling(ChannelSink[Settings, Client]):
    channel = "test"

    def _connect(self, transport: httpx.BaseTransport | None) -> Client:
        return Client()

    def _fulfil(self, fulfilment: Fulfilment) -> str:
        return f"fulfilled {fulfilment.external_id}"


def test_a_channel_sink_tells_a_cancellation_from_a_fulfilment_by_the_delivery_purpose() -> None:
    sink = Fulfilling("shop", Settings())
    fulfilment = Fulfilment(channel="test", po_number="#1", external_id="9", shipment_id="S1")
    assert sink.send(Outbound("f.json", json.dumps(fulfilment.model_dump(mode="json")).encode(), "k1")) == "fulfilled 9"
    cancellation = Cancellation(channel="test", po_number="#1", external_id="9", cancellation_id="c1", whole_order=True)
    document = Outbound("c.json", json.dumps(cancellation.model_dump(mode="json")).encode(), "k2", purpose=CANCELLATION)
    with pytest.raises(PermanentError, match="cannot cancel on test yet; cancel order 9 there by hand"):
        sink.send(document)
    with pytest.raises(PermanentError, match=r"c\.json is not a Cancellation"):
        sink.send(Outbound("c.json", b"{}", "k3", purpose=CANCELLATION))
