"""The fault proxy the fault suite puts between crossdock and its peers deals each fault as it says."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import suppress

import pytest

from tests.faultproxy import FaultProxy

pytestmark = pytest.mark.faults


@pytest.fixture
def echo() -> Iterator[int]:
    """A loopback server that echoes each connection's bytes back until the client closes."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve(conn: socket.socket) -> None:
        with conn, suppress(OSError):
            while data := conn.recv(4096):
                conn.sendall(data)

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def proxy(echo: int) -> Iterator[FaultProxy]:
    p = FaultProxy(echo)
    yield p
    p.close()


def connect(proxy: FaultProxy) -> socket.socket:
    sock = socket.create_connection((proxy.host, proxy.port), timeout=5)
    sock.sendall(b"ping")
    assert sock.recv(16) == b"ping"
    return sock


def test_a_reset_aborts_the_connection_and_a_drop_closes_it(proxy: FaultProxy) -> None:
    first = connect(proxy)
    assert proxy.reset_all() == 1
    with pytest.raises(ConnectionResetError):
        first.sendall(b"more")
        first.recv(16)
    second = connect(proxy)
    assert proxy.drop_all() == 1
    assert second.recv(16) == b""
    assert (proxy.connections, proxy.resets, proxy.dropped) == (2, 1, 1)


def test_a_refusing_proxy_resets_new_connections_until_healed(proxy: FaultProxy) -> None:
    proxy.refusing = True
    with pytest.raises(ConnectionResetError):  # at connect or at the first read, as the race falls
        socket.create_connection((proxy.host, proxy.port), timeout=5).recv(16)
    proxy.heal()
    connect(proxy).close()
    assert (proxy.refused, proxy.connections) == (1, 1)


def test_a_cut_passes_the_first_bytes_then_closes_and_a_delay_passes_everything(proxy: FaultProxy) -> None:
    proxy.cut_after = 10
    sock = connect(proxy)  # four bytes out, four back: the cut falls inside the second message
    sock.sendall(b"pong")
    assert sock.recv(16) == b"" and proxy.cuts == 1
    proxy.heal()
    proxy.delay = 0.01
    connect(proxy).close()
