"""The HTTP endpoints against clients that would starve them or make them misread a request (issue 17, item 3):
a request that trickles in is cut at ``server.deadline`` however steadily it trickles; slow connections by the
hundred, more than the server's process could hold open, leave ``/healthz`` answered; past
``server.max_connections`` and ``server.max_requests`` the excess is refused at once; a length declared twice is
refused; a chunked body is read whole, and refused once it is too long. Nothing refused is stored."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossdock import http_app
from crossdock.core.hub import Hub
from crossdock.core.storage.queries import Queries
from tests.hub.edi import interchange, order
from tests.hub.test_server import SHIPMENT, TOKEN, exchange, serve_config, serving
from tests.hub.test_ship_flow import cycle

DRIPS = 200  # bytes a slow client sends, one at a time, before the test gives up on being cut
SERVER_FILES = 700  # the served process's open-file limit: room for the default max_connections and the rest
FLOOD = 800  # slow connections: more than a server that keeps them all could hold open


def address(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


def stored(hub: Hub) -> list[object]:
    with hub.store.transaction() as conn:
        return list(Queries(hub.store).documents(conn, direction="in"))


def trickle(base: str, head: bytes) -> tuple[bytes, int]:
    """Send ``head``, then one byte every 0.1 s (a header line or a body that never ends) until the server answers
    or hangs up: its answer and how many bytes were trickled (``DRIPS`` when it never did)."""
    with socket.create_connection(address(base), timeout=10) as conn:
        conn.sendall(head)
        for dripped in range(DRIPS):
            readable, _, _ = select.select([conn], [], [], 0.1)
            if readable:
                answer = b""
                with contextlib.suppress(ConnectionResetError):
                    while chunk := conn.recv(4096):
                        answer += chunk
                return answer, dripped
            try:
                conn.sendall(b"a")
            except (BrokenPipeError, ConnectionResetError):
                return b"", dripped
    return b"", DRIPS


@pytest.fixture
def served(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Hub, str]]:
    with serving(tmp_path, store_url, monkeypatch) as got:
        yield got


@pytest.fixture
def short_deadline(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Hub, str]]:
    with serving(tmp_path, store_url, monkeypatch, deadline="1s") as got:
        yield got


def test_a_head_sent_a_byte_at_a_time_is_cut_at_the_deadline(short_deadline: tuple[Hub, str]) -> None:
    hub, base = short_deadline
    answer, dripped = trickle(
        base, f"POST /inbound/acme HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer {TOKEN}\r\nX-".encode()
    )
    assert dripped < DRIPS, "the server hung up on a client that kept sending"
    assert answer.startswith(b"HTTP/1.1 408") and b"did not come whole within 1 s" in answer
    assert stored(hub) == []


def test_a_body_sent_a_byte_at_a_time_is_cut_at_the_deadline_and_not_stored(short_deadline: tuple[Hub, str]) -> None:
    hub, base = short_deadline
    head = f"POST /inbound/acme HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 5000\r\n\r\n"
    answer, dripped = trickle(base, head.encode())
    assert dripped < DRIPS and answer.startswith(b"HTTP/1.1 408")
    assert stored(hub) == []


def test_a_request_that_came_whole_is_not_cut_while_it_is_answered(short_deadline: tuple[Hub, str]) -> None:
    hub, base = short_deadline
    cycle(hub, "po.edi", interchange([order("PO-1", qty=5)]))
    answers = [httpx.post(f"{base}/inbound/acme", json=SHIPMENT, headers={"Authorization": f"Bearer {TOKEN}"})]
    assert [a.status_code for a in answers] == [202] and answers[0].json()["shipments"] == 1


def _open_files(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))


def test_a_flood_of_slow_connections_past_the_servers_open_file_limit_leaves_healthz_answered(
    tmp_path: Path, store_url: str
) -> None:
    """Python's threading server kept every connection, a thread and a file each, for as long as its client
    trickled: a flood past the process's open-file limit left it unable to accept /healthz (it spun on accept).
    Now the oldest unfinished connection is pushed out past ``server.max_connections`` (500 by default), so the
    server never holds more files than that and a probe gets in. The server runs as ``crossdock serve`` in its
    own process with a limit of ``SERVER_FILES`` open files; the flood is paced so each connection is accepted."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = subprocess.Popen(
        [sys.executable, "-m", "crossdock.cli", "serve", "-c", str(serve_config(tmp_path, store_url, port))],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "ACME_POST_TOKEN": TOKEN},
        preexec_fn=partial(_open_files, SERVER_FILES),
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == f"crossdock serving on http://127.0.0.1:{port}\n"
        with contextlib.ExitStack() as held:
            for _ in range(FLOOD):
                conn = held.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
                conn.sendall(b"POST /in HTTP/1.1\r\nHost: h\r\nX-Slow: ")  # a head that never ends
                time.sleep(0.002)  # paced: a burst overflows the listen queue, and those never reach the server
            health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
    finally:
        process.kill()
        process.wait()
    assert (health.status_code, health.json()) == (200, {"ok": True})


def read_all(conn: socket.socket) -> bytes:
    answer = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := conn.recv(4096):
            answer += chunk
    return answer


def test_past_max_connections_the_oldest_unfinished_is_closed_for_a_new_one(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flood of slow clients pushes out its own, so a quick probe still gets in."""
    with serving(tmp_path, store_url, monkeypatch, max_connections=3, max_requests=3) as (_, base):
        held = [socket.create_connection(address(base), timeout=10) for _ in range(3)]
        try:
            for conn in held:
                conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: h\r\n")  # a head that does not end
            health = httpx.get(f"{base}/healthz", timeout=10)
            oldest = read_all(held[0])
        finally:
            for conn in held:
                conn.close()
    assert (health.status_code, health.json()) == (200, {"ok": True})
    assert oldest.startswith(b"HTTP/1.1 503") and b"too many connections" in oldest


def test_past_max_connections_a_new_one_is_closed_when_every_request_has_come(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request that has come whole is never pushed out: its answer may wait for the store."""
    reached, release = threading.Event(), threading.Event()
    real = http_app._posted

    def held_up(*args: Any) -> dict[str, Any]:
        reached.set()
        release.wait(30)
        return real(*args)

    monkeypatch.setattr(http_app, "_posted", held_up)
    with serving(tmp_path, store_url, monkeypatch, max_connections=1, max_requests=1) as (hub, base):
        cycle(hub, "po.edi", interchange([order("PO-1", qty=5)]))
        data = json.dumps(SHIPMENT).encode()
        head = f"POST /inbound/acme HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer {TOKEN}\r\n"
        with socket.create_connection(address(base), timeout=10) as whole:
            whole.sendall(f"{head}Content-Length: {len(data)}\r\n\r\n".encode() + data)
            assert reached.wait(30), "the post is being answered"
            with socket.create_connection(address(base), timeout=10) as one_more:
                one_more.sendall(b"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n")
                refused = read_all(one_more)
            release.set()
            answer = read_all(whole)
    assert refused == b"", "closed unanswered"
    assert answer.startswith(b"HTTP/1.1 202")


def test_a_request_past_max_requests_is_answered_503_and_healthz_still_200(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(tmp_path, store_url, monkeypatch, max_requests=1) as (hub, base):
        head = (
            f"POST /inbound/acme HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 900\r\n\r\n{{"
        )
        with socket.create_connection(address(base), timeout=10) as slow:
            slow.sendall(head.encode())  # in flight while its body does not come
            statuses = []
            for _ in range(100):  # until the server has read the slow one's head: till then the others get 401
                other = httpx.post(f"{base}/inbound/acme", json=SHIPMENT, headers={"Authorization": "Bearer nope"})
                statuses.append(other.status_code)
                if other.status_code != 401:
                    break
            health = httpx.get(f"{base}/healthz")
    assert statuses[-1] == 503 and other.headers["retry-after"] == "1"
    assert "1 requests at once already (server.max_requests)" in other.json()["error"]
    assert health.status_code == 200
    assert stored(hub) == []


@pytest.mark.parametrize(
    "lengths",
    [
        "Content-Length: 2\r\nContent-Length: 2",
        "Content-Length: 2, 2",
        "Content-Length: 2\r\nContent-Length: 20",
        "Content-Length: 2\r\nTransfer-Encoding: chunked",
        "Transfer-Encoding: chunked\r\ncontent-length: 2",
    ],
)
def test_a_length_declared_twice_is_refused(served: tuple[Hub, str], lengths: str) -> None:
    """Two lengths are how a proxy in front and the server can read one request as two (request smuggling)."""
    hub, base = served
    request = f"POST /inbound/acme HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer {TOKEN}\r\n{lengths}\r\n\r\n{{}}"
    answer = exchange(address(base), request)
    assert answer.startswith("HTTP/1.1 400")
    body = json.loads(answer.split("\r\n\r\n", 1)[1])
    assert body["error"] in (
        "Content-Length is given more than once",
        "Content-Length and Transfer-Encoding are both given",
    )
    assert stored(hub) == []


def chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_a_chunked_body_is_stored_whole(served: tuple[Hub, str]) -> None:
    hub, base = served
    cycle(hub, "po.edi", interchange([order("PO-1", qty=5)]))
    data = json.dumps(SHIPMENT).encode()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    answer = httpx.post(f"{base}/inbound/acme", content=chunks(data, 7), headers=auth)
    assert answer.status_code == 202 and answer.json()["shipments"] == 1
    assert answer.request.headers["transfer-encoding"] == "chunked"
    with hub.store.transaction() as conn:
        assert Queries(hub.store).data(conn, answer.json()["document"]) == data


def test_a_chunked_body_longer_than_max_bytes_is_refused(served: tuple[Hub, str]) -> None:
    hub, base = served
    body = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in chunks(b"x" * 12_000, 1_000)) + b"0\r\n\r\n"
    head = (
        f"POST /inbound/acme HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer {TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    with socket.create_connection(address(base), timeout=10) as conn:
        conn.sendall(head.encode() + body)
        answer = b""
        with contextlib.suppress(ConnectionResetError):  # closed with the rest of the body unread
            while chunk := conn.recv(4096):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 413") and b"more than 10000 bytes" in answer
    assert stored(hub) == []
