"""SmtpSink against an in-process aiosmtpd server on loopback: what arrives, and how refusals map to errors."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crossdock.connectors.smtp import SmtpSink
from crossdock.core.errors import ConfigError, PermanentError, TransientError
from crossdock.core.ports import Outbound, Sink
from tests.peers import SmtpServer, free_port, smtp_sink_config

peers = pytest.mark.peers

DATA = bytes(range(256)) + b"ISA*00*~\r\nGS*PO~\n\x00\xff" + "Müller".encode()


@peers
def test_the_document_arrives_as_an_attachment_with_its_bytes_intact(smtp_server: SmtpServer) -> None:
    sink = SmtpSink("mail-out", smtp_sink_config(smtp_server, to=["a@partner.test", "b@partner.test"]))
    assert isinstance(sink, Sink)

    message_id = sink.send(Outbound("PO-1.edi", DATA, "delivery-1", content_type="application/edi-x12"))

    (mail,) = smtp_server.messages
    assert mail.mail_from == "hub@crossdock.test"
    assert mail.rcpt_tos == ["a@partner.test", "b@partner.test"]
    message = mail.message
    assert message["Subject"] == "crossdock: PO-1.edi"
    assert message["Message-ID"] == message_id
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "PO-1.edi"
    assert attachment.get_content_type() == "application/edi-x12"
    assert attachment.get_payload(decode=True) == DATA


@peers
def test_a_resend_has_the_same_message_id(smtp_server: SmtpServer) -> None:
    sink = SmtpSink("mail-out", smtp_sink_config(smtp_server, subject="Orders {name}"))
    first = sink.send(Outbound("a.edi", b"1", "delivery-7"))
    again = sink.send(Outbound("a.edi", b"1", "delivery-7"))
    other = sink.send(Outbound("a.edi", b"1", "delivery-8", subject="Your order 8"))
    assert first == again != other
    assert first.startswith("<crossdock.") and first.endswith("@crossdock.test>")
    assert [m.message["Message-ID"] for m in smtp_server.messages] == [first, first, other]
    assert [m.message["Subject"] for m in smtp_server.messages] == ["Orders a.edi", "Orders a.edi", "Your order 8"]


@peers
def test_a_queued_alert_is_sent_as_the_mail_text_not_an_attachment(smtp_server: SmtpServer) -> None:
    sink = SmtpSink("alerts", smtp_sink_config(smtp_server))
    text = "crossdock: document 7 failed\n\nunknown partner ZZ/ACME\n"
    sink.send(
        Outbound("alert-1.txt", text.encode(), "alert-1", "text/plain; charset=utf-8", subject=text.split("\n")[0])
    )
    (mail,) = smtp_server.messages
    assert mail.message["Subject"] == "crossdock: document 7 failed"
    assert list(mail.message.iter_attachments()) == []
    assert "unknown partner ZZ/ACME" in mail.message.get_content()


@peers
def test_an_alert_is_plain_text(smtp_server: SmtpServer) -> None:
    SmtpSink("alerts", smtp_sink_config(smtp_server)).alert("3 orders failed", "acme: PO 17 has no lines\n")
    (mail,) = smtp_server.messages
    message = mail.message
    assert message["Subject"] == "3 orders failed"
    assert message.get_content_type() == "text/plain"
    assert message.get_content().replace("\r\n", "\n") == "acme: PO 17 has no lines\n"


@peers
@pytest.mark.parametrize(
    ("where", "reply", "error"),
    [
        ("rcpt", "550 5.1.1 no such user", PermanentError),
        ("data", "554 5.7.1 rejected as spam", PermanentError),
        ("rcpt", "450 4.2.0 mailbox busy", TransientError),
        ("data", "451 4.3.0 try again later", TransientError),
    ],
)
def test_refusals(smtp_server: SmtpServer, where: str, reply: str, error: type[Exception]) -> None:
    setattr(smtp_server, f"{where}_reply", reply)
    sink = SmtpSink("mail-out", smtp_sink_config(smtp_server))
    with pytest.raises(error) as caught:
        sink.send(Outbound("a.edi", b"x", "k"))
    assert reply.split(" ", 1)[1] in str(caught.value)
    assert f"{smtp_server.host}:{smtp_server.port}" in str(caught.value)
    assert smtp_server.messages == []


@peers
def test_starttls_that_the_server_does_not_offer_is_permanent(smtp_server: SmtpServer) -> None:
    sink = SmtpSink("mail-out", smtp_sink_config(smtp_server, security="starttls"))
    with pytest.raises(PermanentError, match="STARTTLS"):
        sink.send(Outbound("a.edi", b"x", "k"))
    assert smtp_server.messages == []


def test_nothing_answering_is_transient() -> None:
    port = free_port()
    sink = SmtpSink("mail-out", smtp_sink_config(SmtpServer("127.0.0.1", port)))
    with pytest.raises(TransientError, match=f"127.0.0.1:{port}"):
        sink.send(Outbound("a.edi", b"x", "k"))


def test_configuration_mistakes_are_config_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    server = SmtpServer("127.0.0.1", 25)
    monkeypatch.delenv("CROSSDOCK_TEST_SMTP_UNSET", raising=False)
    with pytest.raises(ConfigError, match="CROSSDOCK_TEST_SMTP_UNSET"):
        SmtpSink("m", smtp_sink_config(server, username="hub", password="${CROSSDOCK_TEST_SMTP_UNSET}"))
    with pytest.raises(ValidationError, match="password is not"):
        smtp_sink_config(server, username="hub")
    with pytest.raises(ValidationError, match="may use only"):
        smtp_sink_config(server, subject="{partner}: {name}")
