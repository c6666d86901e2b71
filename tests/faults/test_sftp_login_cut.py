"""A connection that breaks while crossdock logs in to the partner's sshd is the network's fault, not a refused
login: the send is retried, never dead-lettered at once.

paramiko reports a connection closed while it waits for the server's answer to a login as an
``AuthenticationException``, as it reports a wrong password; before, such a send was dead-lettered as a refused
login (``tests/faults/test_proxy_sftp.py`` once found one of 192 deliveries dead after a reset)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import paramiko
import pytest

from crossdock.connectors.sftp import SftpSink
from crossdock.core.errors import TransientError
from crossdock.core.ports import Outbound
from tests.faultproxy import FaultProxy
from tests.hub.test_e2e_sftp import _pinned
from tests.peers import SftpPeer, sftp_sink_config

pytestmark = [pytest.mark.faults, pytest.mark.peers]


def _cut_at_login(proxy: FaultProxy, how: str) -> Callable[..., Any]:
    """``AuthHandler.wait_for_response`` that breaks the path first: the login request is sent, and the fault
    comes while paramiko waits for the server's answer."""
    real = paramiko.auth_handler.AuthHandler.wait_for_response

    def wait_for_response(handler: Any, event: Any) -> Any:
        proxy.reset_all() if how == "reset" else proxy.drop_all()
        return real(handler, event)

    return wait_for_response


@pytest.mark.parametrize(
    ("how", "said"),
    [
        ("drop", "logging in: the connection closed before the server answered"),  # paramiko: AuthenticationException
        # paramiko raises the socket's error itself, or, when the reset reaches it as an end of file, the same as a drop
        ("reset", "Connection reset by peer|closed before the server answered"),
    ],
)
def test_a_connection_broken_during_login_is_transient(
    sftp_peer: SftpPeer, cutting_proxy: FaultProxy, how: str, said: str
) -> None:
    config = sftp_sink_config(
        sftp_peer, port=cutting_proxy.port, known_hosts=None, host_key_fingerprint=_pinned(sftp_peer)
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(paramiko.auth_handler.AuthHandler, "wait_for_response", _cut_at_login(cutting_proxy, how))
        sink = SftpSink("northwind-inbox", config)
        try:
            with pytest.raises(TransientError, match=said):
                sink.send(Outbound(name="a.edi", data=b"ISA", idempotency_key="k"))
        finally:
            sink.close()
    assert cutting_proxy.resets + cutting_proxy.dropped == 1
    sink = SftpSink("northwind-inbox", config)  # the path is whole again: the next attempt logs in and uploads
    try:
        sink.send(Outbound(name="a.edi", data=b"ISA", idempotency_key="k"))
    finally:
        sink.close()
    assert sftp_peer.files() == ["a.edi"]
