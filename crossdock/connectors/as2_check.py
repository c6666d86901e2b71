"""What ``crossdock check`` says of AS2 certificates and keys: unreadable or expired is a problem, expiring within
30 days a warning (a partner needs time to install the next one), a key that is not the certificate's a problem;
and of an async sink's ``mdn_url``: it must be the endpoint of an AS2 source for the same partner."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from crossdock.connectors.as2_config import As2SinkConfig, As2SourceConfig, read_pem
from crossdock.core.configuration.config import Config
from crossdock.core.configuration.trust import Finding
from crossdock.core.errors import ConfigError

SOON = dt.timedelta(days=30)


def fingerprint(cert: x509.Certificate) -> str:
    """The certificate's SHA-256 fingerprint as partners compare it: hex pairs joined by colons."""
    digest = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _expiry(loc: tuple[str, ...], cert: x509.Certificate, now: dt.datetime) -> list[Finding]:
    ends = cert.not_valid_after_utc
    if ends <= now:
        return [Finding(loc, f"the certificate expired on {ends:%Y-%m-%d}: AS2 messages will be refused", True)]
    if ends - now <= SOON:
        days = (ends - now).days
        return [Finding(loc, f"the certificate expires on {ends:%Y-%m-%d} (in {days} days): renew it now", False)]
    return []


def certificate_findings(config: Config, *, secrets: bool = True, now: dt.datetime | None = None) -> list[Finding]:
    """Each AS2 block's certificates and key checked; ``${VAR}`` references are read only with ``secrets``."""
    now = now or dt.datetime.now(dt.UTC)
    out: list[Finding] = []
    for section, blocks in (("sources", config.sources), ("sinks", config.sinks)):
        for name, block in blocks.items():
            if not isinstance(block, As2SourceConfig | As2SinkConfig):
                continue
            certs: dict[str, x509.Certificate] = {}
            for key in ("certificate", "partner_certificate"):
                ref, loc = getattr(block, key), (section, name, key)
                if ref.startswith("${") and not secrets:
                    continue
                if not ref.startswith("${") and not Path(ref).expanduser().is_file():
                    out.append(Finding(loc, f"no such file: {ref}", True))
                    continue
                try:
                    certs[key] = x509.load_pem_x509_certificate(read_pem(ref, ".".join(loc)))
                except (ConfigError, ValueError) as exc:
                    out.append(Finding(loc, f"not a readable PEM certificate: {exc}", True))
                    continue
                out.extend(_expiry(loc, certs[key], now))
            if "certificate" in certs and (secrets or not block.private_key.startswith("${")):
                out.extend(_key_matches((section, name, "private_key"), block.private_key, certs["certificate"]))
    return out + _mdn_findings(config)


def _mdn_findings(config: Config) -> list[Finding]:
    """An async sink's ``mdn_url`` must end at an AS2 source for the same partner: only there is its MDN taken."""
    out: list[Finding] = []
    for name, sink in config.sinks.items():
        if not isinstance(sink, As2SinkConfig) or sink.mdn != "async":
            continue
        path = urlsplit(sink.mdn_url or "").path.rstrip("/")
        source = config.sources.get(path.rsplit("/", 1)[-1]) if path.startswith("/as2/") else None
        if not isinstance(source, As2SourceConfig) or (source.as2_id, source.partner_as2_id) != (
            sink.as2_id,
            sink.partner_as2_id,
        ):
            why = "is not /as2/<source> of an AS2 source for the same partner: its MDNs would be refused"
            out.append(Finding(("sinks", name, "mdn_url"), f"{sink.mdn_url} {why}", True))
    return out


def _key_matches(loc: tuple[str, ...], ref: str, cert: x509.Certificate) -> list[Finding]:
    try:
        key = serialization.load_pem_private_key(read_pem(ref, ".".join(loc)), password=None)
    except (ConfigError, ValueError, TypeError) as exc:
        return [Finding(loc, f"not a readable unencrypted PEM private key: {exc}", True)]
    if key.public_key() != cert.public_key():
        return [Finding(loc, "the private key is not the one of our certificate", True)]
    return []
