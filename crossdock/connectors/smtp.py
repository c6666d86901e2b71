"""SMTP sink: for partners and people who take documents by mail, and for crossdock's own alerts.

The Message-ID is derived from the delivery's idempotency key, so when the outbox sends the same document
again after a crash the recipient (or its mail system) sees the same Message-ID and can tell it is a resend.
SMTP replies decide the error: 4xx and dropped connections are worth retrying, 5xx are not.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from crossdock.connectors.smtp_config import SmtpSinkConfig
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import ConfigError, CrossdockError, PermanentError, TransientError
from crossdock.core.notices.models import NOTICE, Notice
from crossdock.core.ports import Outbound


def message_id(idempotency_key: str, from_address: str) -> str:
    """The same Message-ID for every send of one delivery: a hash of its key at the sender's domain."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]
    return f"<crossdock.{digest}@{_domain(from_address)}>"


def _plain_address(address: str) -> bool:
    """One bare address (no display name, no second address, no line break), as ``customer_notices`` checks."""
    name, parsed = parseaddr(address)
    return not name and parsed == address and address.count("@") == 1 and len(address) <= 254 and " " not in address


def _domain(address: str) -> str:
    domain = parseaddr(address)[1].rpartition("@")[2].strip()
    return domain or "crossdock.invalid"


class SmtpSink:
    """Mails each document as an attachment to ``to``; ``alert`` mails plain text."""

    def __init__(self, name: str, config: SmtpSinkConfig) -> None:
        self.name = name
        self.config = config
        self.where = f"{config.host}:{config.port}"
        try:
            self._password = resolve_secret(config.password)
        except ConfigError as exc:
            raise ConfigError(f"smtp {name}: {exc}") from None
        self._sender = parseaddr(config.from_address)[1] or config.from_address

    def send(self, document: Outbound) -> str:
        if document.purpose == NOTICE:
            return self._notice(document)
        message = EmailMessage()
        subject = document.subject or self.config.subject.format(name=document.name)
        mid = message_id(document.idempotency_key, self.config.from_address)
        self._headers(message, subject, mid)
        if document.content_type.startswith("text/plain") and document.subject:
            message.set_content(document.data.decode("utf-8", "replace"))  # an alert: the text is the mail
            self._deliver(message, f"sending {document.name}")
            return mid
        message.set_content(f"{document.name} ({len(document.data)} bytes) is attached.\n")
        maintype, _, subtype = document.content_type.partition("/")
        if not maintype or not subtype or "/" in subtype:
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(
            document.data, maintype=maintype.strip(), subtype=subtype.split(";")[0].strip(), filename=document.name
        )
        self._deliver(message, f"sending {document.name}")
        return mid

    def _notice(self, document: Outbound) -> str:
        """A buyer notice: to the one address it names, only from a sink set to mail customers."""
        if not self.config.customers:
            raise PermanentError(
                f"smtp {self.name}: not set to mail buyers (customers: true): {document.name} not sent"
            )
        try:
            notice = Notice.model_validate_json(document.data)
        except ValueError as exc:
            raise PermanentError(f"smtp {self.name}: {document.name} is not a notice: {exc}") from None
        to = notice.to.strip()
        if "\n" in notice.subject or "\r" in notice.subject or not _plain_address(to):
            raise PermanentError(f"smtp {self.name}: {document.name} has no single plain address or subject line")
        message = EmailMessage()
        mid = message_id(document.idempotency_key, self.config.from_address)
        self._headers(message, notice.subject, mid, [to])
        message.set_content(notice.text)
        if notice.html is not None:
            message.add_alternative(notice.html, subtype="html")
        self._deliver(message, f"sending {document.name}", [to])
        return mid

    def alert(self, subject: str, text: str) -> None:
        message = EmailMessage()
        self._headers(message, subject, make_msgid(domain=_domain(self.config.from_address)))
        message.set_content(text)
        self._deliver(message, "sending an alert")

    def close(self) -> None:
        """Nothing is kept open: each send is one SMTP session."""

    def _headers(self, message: EmailMessage, subject: str, mid: str, to: list[str] | None = None) -> None:
        message["From"] = self.config.from_address
        message["To"] = ", ".join(to or self.config.to)
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = mid

    def _deliver(self, message: EmailMessage, doing: str, to: list[str] | None = None) -> None:
        if not (to or self.config.to):
            raise PermanentError(f"smtp {self.name}: {doing}: the sink has no to: addresses (it mails buyers only)")
        try:
            with self._session() as smtp:
                refused = smtp.send_message(message, from_addr=self._sender, to_addrs=list(to or self.config.to))
                if refused:
                    raise smtplib.SMTPRecipientsRefused(refused)
        except Exception as exc:
            raise self._failure(exc, doing) from None

    def probe(self) -> str:
        """``check --connect``: connect, secure and log in, then say QUIT; no mail is sent."""
        try:
            with self._session():
                pass
        except Exception as exc:
            raise self._failure(exc, "connecting") from None
        login = f", logged in as {self.config.username!r}" if self.config.username is not None else ""
        return f"connected to {self.where} ({self.config.security}){login}"

    def _session(self) -> smtplib.SMTP:
        """A connection secured and logged in as configured, for one ``with`` block."""
        config = self.config
        smtp: smtplib.SMTP
        if config.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        try:
            smtp.ehlo()
            if config.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if config.username is not None and self._password is not None:
                smtp.login(config.username, self._password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _failure(self, exc: BaseException, doing: str) -> CrossdockError:
        head = f"smtp {self.name}: {doing} via {self.where}"
        if isinstance(exc, CrossdockError):
            return exc
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            codes = [code for code, _ in exc.recipients.values()]
            said = "; ".join(f"{rcpt}: {code} {_text(reply)}" for rcpt, (code, reply) in exc.recipients.items())
            error = PermanentError if all(code >= 500 for code in codes) else TransientError
            return error(f"{head}: recipients refused ({said})")
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            user = self.config.username
            return PermanentError(f"{head}: login as {user!r} refused ({exc.smtp_code} {_text(exc.smtp_error)})")
        if isinstance(exc, smtplib.SMTPResponseException):
            if 400 <= exc.smtp_code < 500:
                return TransientError(f"{head}: {exc.smtp_code} {_text(exc.smtp_error)}")
            if exc.smtp_code >= 500:
                return PermanentError(f"{head}: {exc.smtp_code} {_text(exc.smtp_error)}")
            return TransientError(f"{head}: {_text(exc.smtp_error)}")
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return TransientError(f"{head}: the server closed the connection")
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return PermanentError(f"{head}: {exc} (check security: starttls, ssl or none)")
        if isinstance(exc, ssl.SSLCertVerificationError):
            return PermanentError(f"{head}: the server's TLS certificate is not trusted ({exc.verify_message})")
        if isinstance(exc, TimeoutError):
            return TransientError(f"{head}: timed out after {self.config.timeout:g} s")
        if isinstance(exc, OSError):
            return TransientError(f"{head}: cannot connect ({exc.strerror or exc})")
        if isinstance(exc, smtplib.SMTPException):
            return PermanentError(f"{head}: {exc}")
        return TransientError(f"{head}: {type(exc).__name__}: {exc}")


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def probe(name: str, config: SmtpSinkConfig) -> str:
    """``check --connect`` for an SMTP sink (see ``SmtpSink.probe``)."""
    return SmtpSink(name, config).probe()
