"""A loopback TCP proxy that puts a network's faults between crossdock and a peer (sshd, a web hook, PostgreSQL).

Point crossdock at ``proxy.port`` instead of the peer's and break the path while it works:

- ``cut_after = n`` closes each connection after ``n`` bytes (both ways together), mid-transfer;
- ``delay = s`` holds every chunk ``s`` seconds before it is passed on (a slow or distant peer);
- ``refusing = True`` resets each new connection as soon as it is accepted (a peer that is down);
- ``drop_all()`` closes every open connection with a FIN (a server or firewall dropping idle connections);
- ``reset_all()`` aborts every open connection with a RST (a peer that crashed, a NAT that forgot the flow);
- ``heal()`` forwards everything again.

Each connection has its own thread; the counters say how many faults were dealt, so a test can bound what a
fault may cost (a repeated send per connection cut while a request was in flight).
"""

from __future__ import annotations

import selectors
import socket
import struct
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field

TICK = 0.05  # how soon a connection notices it is to be dropped or reset


@dataclass(eq=False)
class _Link:
    client: socket.socket
    upstream: socket.socket
    fate: str | None = None  # "drop" or "reset", dealt by the connection's own thread
    ended: threading.Event = field(default_factory=threading.Event)


def _abort(sock: socket.socket) -> None:
    """Close with a RST instead of a FIN: SO_LINGER on with a zero timeout."""
    with suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class FaultProxy:
    """A proxy on 127.0.0.1 (an OS-chosen port) to ``host:target_port``; see the module's docstring."""

    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self.target = (host, target_port)
        self.cut_after: int | None = None
        self.delay = 0.0
        self.refusing = False
        self.connections = 0  # connections forwarded to the peer
        self.cuts = 0  # connections closed by cut_after
        self.dropped = 0  # connections closed by drop_all
        self.resets = 0  # connections aborted by reset_all
        self.refused = 0  # connections reset at accept while refusing
        self._links: set[_Link] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._listener = socket.create_server((host, 0))
        self._listener.settimeout(TICK * 4)
        self.host = host
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.refusing:
                with self._lock:
                    self.refused += 1
                _abort(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _abort(client)
                continue
            link = _Link(client, upstream)
            with self._lock:
                self.connections += 1
                self._links.add(link)
            threading.Thread(target=self._pump, args=(link,), name="fault-proxy-link", daemon=True).start()

    def _pump(self, link: _Link) -> None:
        other = {link.client: link.upstream, link.upstream: link.client}
        by_fd = {sock.fileno(): sock for sock in other}
        forwarded = 0
        limit = self.cut_after
        ending = "close"
        with selectors.DefaultSelector() as selector:
            for sock in other:
                sock.setblocking(True)
                selector.register(sock, selectors.EVENT_READ)
            try:
                while not self._closed and link.fate is None:
                    for key, _ in selector.select(timeout=TICK):
                        source = by_fd[key.fd]
                        data = source.recv(65536)
                        if not data:
                            return
                        if self.delay:
                            time.sleep(self.delay)
                        if limit is not None and forwarded + len(data) >= limit:
                            other[source].sendall(data[: limit - forwarded])
                            with self._lock:
                                self.cuts += 1
                            return
                        other[source].sendall(data)
                        forwarded += len(data)
                ending = link.fate or "close"
            except OSError:
                return
            finally:
                with self._lock:
                    self._links.discard(link)
                    if ending == "reset":
                        self.resets += 1
                    elif ending == "drop":
                        self.dropped += 1
                for sock in other:
                    (_abort if ending == "reset" else _close)(sock)
                link.ended.set()

    def _deal(self, fate: str) -> int:
        with self._lock:
            links = list(self._links)
        for link in links:
            link.fate = fate
        for link in links:  # dealt before this returns, as a test expects of a fault it just caused
            link.ended.wait(TICK * 20)
        return len(links)

    def drop_all(self) -> int:
        """Close every open connection (FIN both ways); returns how many were open."""
        return self._deal("drop")

    def reset_all(self) -> int:
        """Abort every open connection (RST both ways); returns how many were open."""
        return self._deal("reset")

    def heal(self) -> None:
        self.cut_after = None
        self.delay = 0.0
        self.refusing = False

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        self.drop_all()
        self._thread.join(timeout=2)
