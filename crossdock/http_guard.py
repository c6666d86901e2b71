"""What uvicorn's HTTP/1.1 connection does not bound by itself: how long a client may take to send its request,
how many connections are open at once, and a request whose length is declared twice.

uvicorn's own timeout is for an idle keep-alive connection, and h11 waits for headers as long as they trickle in:
a client sending a byte every few seconds would hold its connection for ever. Here each connection carries one
request (every answer says ``Connection: close``), and that request, headers and body, must have arrived within
``deadline`` seconds of the connection: else it is answered 408 and closed, whatever it is doing. A request that
has arrived is not cut: its answer may wait for the store. Past ``max_connections`` open at once, the oldest
connection whose request has not come whole is answered 503 and closed to make room (so slow clients push out
each other, not a quick probe); when every connection's request has come, the new one is closed at once.

h11 merges a repeated ``Content-Length`` of the same value and lets ``Transfer-Encoding`` win over a
``Content-Length``; both are how one request is read as two by a proxy in front, so a request that declares its
length twice, or both ways, is answered 400 before h11 reads it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("crossdock.server")
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_LONGEST_HEAD = 64 * 1024  # h11 refuses a head longer than 16 KiB itself; past this nothing is scanned
WARN_EVERY = 60.0  # seconds between two warnings that connections are closed for new ones


@dataclass(frozen=True, slots=True)
class Limits:
    """The bounds every connection is held to (``server.deadline``, ``server.max_connections``)."""

    deadline: float
    max_connections: int


def raw_answer(status: int, reason: str, body: dict[str, Any]) -> bytes:
    """A whole HTTP answer that closes the connection, for when no request has been read to answer through h11."""
    data = json.dumps(body).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(data)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + data


def framing_error(head: bytes) -> str | None:
    """Why a request head declares its body's length wrongly (None when it does not): a ``Content-Length`` that is
    not a number, or given more than once or as a list, or beside ``Transfer-Encoding``. Continuation lines
    (starting with a space) name no header, as h11 reads them."""
    lengths = encodings = 0
    for line in head.split(b"\n")[1:]:
        name, colon, value = line.partition(b":")
        if not colon or name[:1] in (b" ", b"\t"):
            continue
        name = name.strip().lower()
        if name == b"content-length":
            lengths += 1 + value.count(b",")
            if lengths == 1 and not value.strip().isdigit():  # h11 refuses it too, in fewer words
                return f"Content-Length {value.strip().decode('latin-1')!r} is not a length"
        elif name == b"transfer-encoding":
            encodings += 1
    if lengths > 1:
        return "Content-Length is given more than once"
    if lengths and encodings:
        return "Content-Length and Transfer-Encoding are both given"
    return None


def guarded_protocol(limits: Limits) -> type[H11Protocol]:
    """uvicorn's h11 connection held to ``limits``: the class to give uvicorn as its ``http`` protocol."""

    unfinished: dict[H11Protocol, None] = {}  # connections whose request has not come whole, oldest first
    warned = [float("-inf")]  # when making room was last logged

    class Guarded(H11Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)  # type: ignore[arg-type]
            self._head = b""
            self._timer: asyncio.TimerHandle | None = None
            if len(self.connections) > limits.max_connections and not self._make_room():
                self.transport.abort()  # every connection is being answered: this one waits for none of them
                return
            unfinished[self] = None
            self._timer = self.loop.call_later(limits.deadline, self._expire)

        def connection_lost(self, exc: Exception | None) -> None:
            unfinished.pop(self, None)
            if self._timer is not None:
                self._timer.cancel()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self.conn.their_state is h11.IDLE and len(self._head) < _LONGEST_HEAD:
                self._head = (self._head + data).lstrip(b"\r\n")  # blank lines before a request line are skipped
                end = _HEAD_END.search(self._head)
                if end is not None:
                    error = framing_error(self._head[: end.start()])
                    self._head = b""
                    if error is not None:
                        self._refuse(400, "Bad Request", error)
                        return
            super().data_received(data)
            if self._arrived():
                unfinished.pop(self, None)

        def _make_room(self) -> bool:
            """Close the oldest connection whose request has not come whole, for this one: a flood of slow
            clients then pushes out its own, and a quick one (a health probe) still gets in."""
            oldest = next((c for c in unfinished if not c.transport.is_closing()), None)
            if not isinstance(oldest, Guarded):
                return False
            if self.loop.time() - warned[0] > WARN_EVERY:  # a flood of them is one line a minute
                warned[0] = self.loop.time()
                said = "%d connections open (server.max_connections): the oldest unfinished ones are closed for new"
                log.warning(said, limits.max_connections)
            oldest._refuse(503, "Service Unavailable", "too many connections: the slowest is closed, send it again")
            return True

        def _arrived(self) -> bool:
            """Whether the request has been read whole, or answered already (a refusal before its body)."""
            waiting = (h11.IDLE, h11.SEND_BODY), (h11.IDLE, h11.SEND_RESPONSE)
            return self.conn.their_state not in waiting[0] or self.conn.our_state not in waiting[1]

        def _expire(self) -> None:
            self._timer = None
            if self.transport.is_closing() or self._arrived():
                return
            what = "the request did not come whole"
            log.warning("%s: %s within %g s (server.deadline): closed", _peer(self.client), what, limits.deadline)
            self._refuse(408, "Request Timeout", f"{what} within {limits.deadline:g} s")

        def _refuse(self, status: int, reason: str, error: str) -> None:
            unfinished.pop(self, None)
            self.transport.write(raw_answer(status, reason, {"error": error}))
            self.transport.close()

    return Guarded


def _peer(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "a client"
