"""``crossdock as2 cert``: our AS2 certificate and its SHA-256 fingerprint, to hand to a trading partner."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from crossdock.commands import _load, _show
from crossdock.core.errors import ConfigError


def add_commands(sub: Any, config_option: Callable[[Any], None], json_option: Callable[[Any], None]) -> None:
    as2 = sub.add_parser("as2", help="AS2 tools").add_subparsers(dest="as2_command", required=True)
    p = as2.add_parser("cert", help="print our AS2 certificate (PEM) and its SHA-256 fingerprint for a partner")
    config_option(p)
    json_option(p)
    p.add_argument("name", nargs="?", help="the AS2 source or sink (default: every one, each certificate once)")
    p.set_defaults(func=cert)


def cert(args: argparse.Namespace) -> int:
    from cryptography import x509  # only this command loads it
    from cryptography.hazmat.primitives import serialization

    from crossdock.connectors.as2_check import fingerprint
    from crossdock.connectors.as2_config import As2SinkConfig, As2SourceConfig, read_pem

    config = _load(args)
    blocks = {
        f"{section}.{name}": block
        for section, found in (("sources", config.sources), ("sinks", config.sinks))
        for name, block in found.items()
        if isinstance(block, As2SourceConfig | As2SinkConfig) and args.name in (None, name)
    }
    if not blocks:
        raise ConfigError(f"no AS2 source or sink {args.name}" if args.name else "no AS2 source or sink")
    shown: dict[str, dict[str, Any]] = {}
    for where, block in blocks.items():
        pem = read_pem(block.certificate, f"{where}.certificate")
        try:
            certificate = x509.load_pem_x509_certificate(pem)
        except ValueError as exc:
            raise ConfigError(f"{where}.certificate: not a PEM certificate: {exc}") from None
        seen = shown.setdefault(
            fingerprint(certificate),
            {
                "as2_id": block.as2_id,
                "used_by": [],
                "subject": certificate.subject.rfc4514_string(),
                "not_after": certificate.not_valid_after_utc.isoformat(),
                "sha256": fingerprint(certificate),
                "pem": certificate.public_bytes(serialization.Encoding.PEM).decode(),
            },
        )
        seen["used_by"].append(where)
    _show(args, list(shown.values()), _lines)
    return 0


def _lines(found: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for item in found:
        out += [
            f"AS2 id:      {item['as2_id']} ({', '.join(item['used_by'])})",
            f"subject:     {item['subject']}",
            f"expires:     {item['not_after']}",
            f"SHA-256:     {item['sha256']}",
            *item["pem"].rstrip("\n").split("\n"),
        ]
    return out
