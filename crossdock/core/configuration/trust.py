"""What a configuration exposes to the network: credentials that would cross it in clear text, secrets that others
must present but could guess, and a server open on every interface.

Credentials in clear text are refused wherever the configuration is read (``check``, ``run``, every command):
an IMAP password to a server that is not this machine without TLS, an SMTP login likewise, a secret sent to an
``http://`` URL that is not loopback. What only might be wrong is a warning ``check`` prints: mail without TLS
and without a login, a server bound to every interface. A token an http source's poster must send and a
channel's webhook secret must be long enough not to be guessed: that needs the values, so it is checked by
``check`` (with secrets) and by ``run`` and ``serve`` before they listen.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from crossdock.core.configuration.keys import _is_secret
from crossdock.core.configuration.types import ENV_REF, resolve_secret
from crossdock.core.configuration.yaml_text import Loc
from crossdock.core.errors import ConfigError

if TYPE_CHECKING:
    from crossdock.core.configuration.config import Config

SHORTEST_TOKEN = 16  # characters of a secret others must present to crossdock
_OUR_OWN_URLS = frozenset({"endpoint_url"})  # where a channel calls crossdock: nothing of ours is sent there


@dataclass(frozen=True, slots=True)
class Finding:
    """Something the configuration exposes: ``refused`` makes it a problem, else it is a warning."""

    loc: Loc
    message: str
    refused: bool


def loopback(host: str) -> bool:
    """Whether ``host`` is this machine (localhost, 127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposures(config: Config) -> list[Finding]:
    """Credentials in clear text (refused), and mail or a server that may be (warned)."""
    out: list[Finding] = []
    for section, blocks in (("sources", config.sources), ("sinks", config.sinks)):
        for name, block in blocks.items():
            out.extend(_mail((section, name), block))
            out.extend(_clear_urls((section, name), block))
    for name, feed in config.inventory.items():
        out.extend(_clear_urls(("inventory", name), feed))
    if config.server.host.strip("[]") in ("0.0.0.0", "::", ""):
        out.append(
            Finding(
                ("server", "host"),
                f"the server listens on every interface ({config.server.host}) over plain HTTP: bearer tokens and "
                "orders cross the network unencrypted unless a TLS proxy is in front; bind 127.0.0.1 behind one",
                refused=False,
            )
        )
    return out


def _mail(loc: Loc, block: BaseModel) -> Iterator[Finding]:
    kind = getattr(block, "type", "")
    if kind not in ("imap", "smtp") or getattr(block, "security", None) != "none":
        return
    host = str(getattr(block, "host", ""))
    if loopback(host):
        return
    if getattr(block, "password", None) is not None:
        said = f"{kind} to {host} without TLS (security: none) would send its password in clear text"
        yield Finding((*loc, "security"), f"{said}: use ssl or starttls (none is only for this machine)", True)
    else:
        said = f"smtp to {host} without TLS (security: none): mail crosses the network unencrypted"
        yield Finding((*loc, "security"), f"{said}; use starttls or ssl", False)


def _clear_urls(loc: Loc, block: BaseModel) -> Iterator[Finding]:
    secrets = _secret_keys(block)
    for key, value in block:
        if key in _OUR_OWN_URLS or not isinstance(value, str) or not value.lower().startswith("http://"):
            continue
        parts = urlsplit(value)
        if loopback(parts.hostname or ""):
            continue
        if parts.password is not None or parts.username is not None:
            carried = "the credentials written in the URL"
        elif secrets:
            carried = ", ".join(secrets)
        else:
            continue
        shown = f"http://{parts.hostname}" + (f":{parts.port}" if parts.port else "") + parts.path
        message = f"{shown} is plain http, so {carried} would cross the network in clear text: use https"
        yield Finding((*loc, key), message, True)


def _secret_keys(block: BaseModel) -> list[str]:
    fields = type(block).model_fields
    return [key for key, value in block if value is not None and key in fields and _is_secret(_annotated(block, key))]


def _annotated(block: BaseModel, key: str) -> Any:
    field = type(block).model_fields[key]
    return Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation


def token_refs(config: Config) -> Iterator[tuple[Loc, str]]:
    """Every secret others must present to crossdock: an http source's bearer token, a channel's webhook secret,
    the token a scraper of /metrics sends."""
    for name, source in config.sources.items():
        if source.type == "http":
            yield ("sources", name, "token"), str(getattr(source, "token", ""))
        secret = getattr(source, "webhook_secret", None)
        if isinstance(secret, str):
            yield ("sources", name, "webhook_secret"), secret
    if config.server.metrics_token is not None:  # /metrics: partners' names and volumes
        yield ("server", "metrics_token"), config.server.metrics_token


def weak_tokens(config: Config) -> list[Finding]:
    """Tokens and webhook secrets whose variable is set but empty or shorter than ``SHORTEST_TOKEN`` (an unset
    one is told by the check of variables); the values are never shown, only their length."""
    out = []
    for loc, ref in token_refs(config):
        try:
            value = resolve_secret(ref)
        except ConfigError:
            continue
        length = len((value or "").strip())
        if length < SHORTEST_TOKEN and ENV_REF.match(ref):
            held = "is empty" if length == 0 else f"holds {length} characters"
            message = (
                f"{ref} {held}: a secret others must present needs at least {SHORTEST_TOKEN}, or it is guessed "
                f"(an empty one would accept an empty header)"
            )
            out.append(Finding(loc, message, True))
    return out


def refuse_weak_tokens(config: Config) -> None:
    """Before ``run`` or ``serve`` listens: a ConfigError naming each token or webhook secret that is too weak."""
    weak = weak_tokens(config)
    if weak:
        raise ConfigError("; ".join(f"{'.'.join(str(p) for p in f.loc)}: {f.message}" for f in weak))
