"""eBay (Sell Fulfillment API): orders in by modification time, shipments back as shipping fulfilments, and the
Notification API's signed notifications as hints.

What this relies on (``../shared/docs/channel-apis.md`` §2, from eBay's specs, docs and notification SDK):

- OAuth2: a user access token from ``POST <token_url>`` with ``Authorization: Basic base64(id:secret)`` and the
  form ``grant_type=refresh_token&refresh_token=…&scope=…``; the Notification API's public keys take an
  application token (``grant_type=client_credentials``, scope ``…/oauth/api_scope``). Both are kept until a minute
  before ``expires_in`` runs out and renewed once when the API answers 401. The token endpoint has daily limits
  (client_credentials only 1,000 a day) and the hub builds a new source for every poll and every webhook, so the
  tokens and keys live in a process-wide cache, keyed by a hash of the credentials (never the secrets themselves).
  The token and the calls are ``ebay_client.py``'s.
- ``GET /sell/fulfillment/v1/order?filter=lastmodifieddate:[a..b]&limit=…&offset=…``: the filter goes through
  ``params=`` so its brackets are percent-encoded; it reaches back 90 days at most, so an older checkpoint is cut
  to that (with a warning: what changed before then can no longer be listed). Pages are followed by ``next``
  (its ``offset`` read back into the same request) until it is absent. ``lastModifiedDate`` is bumped by every
  change: the window's latest one is the checkpoint.
- ``GET /order/{orderId}`` reads one order (the only call that fills ``cancelStatus.cancelRequests``).
- What goes back (shipping fulfilments, cancellations) is ``ebay_sink``'s.
- Notifications: ``X-EBAY-SIGNATURE`` is base64 of ``{"alg":"ecdsa","kid":…,"signature":<base64 DER>,
  "digest":"SHA1"}``; the key is ``GET /commerce/notification/v1/public_key/{kid}`` (``{key: PEM, algorithm,
  digest}``, cached an hour) and the signature is ECDSA over the message. eBay's SDK verifies over
  ``JSON.stringify(message)``: the raw body is tried first, then its compact JSON. The subscription's GET
  challenge is answered with hex(SHA-256(challengeCode + verificationToken + endpoint URL)).
- eBay's errors are ``{"errors": [{"errorId", "message", "longMessage"}]}``; the token endpoint's
  ``{"error", "error_description"}``. Tokens and secrets travel only in headers and form bodies, never in an error.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import logging
import urllib.parse
from collections.abc import Generator, Iterator, Mapping
from itertools import chain
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from crossdock.connectors import ebay_returns
from crossdock.connectors.channel import ChannelSource, Expiring, order_inbound
from crossdock.connectors.ebay_client import Api, NotFound
from crossdock.connectors.ebay_config import MAX_WINDOW, EbaySourceConfig
from crossdock.connectors.standard_webhooks import TOLERANCE
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.erasure import Erasure
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.ports import Inbound
from crossdock.mappings import ebay as mapping

log = logging.getLogger("crossdock.connectors.ebay")

FULFILLMENT = "/sell/fulfillment/v1"
PUBLIC_KEY = "/commerce/notification/v1/public_key/"
KEY_TTL = 3600.0  # a notification public key is kept an hour, as eBay's SDK does
UNKNOWN_KEY_TTL = 300.0  # a key id eBay does not know is not asked again for five minutes
WINDOW_MARGIN = 3600.0  # the oldest window start asked for: 90 days less an hour, so eBay never refuses it
# Notification topics about an order, whose data carries its ``orderId`` [unverified field name]: eBay's
# AsyncAPI contracts name ORDER_CONFIRMATION (the seller is to read the order by id) and ITEM_MARKED_SHIPPED.
ORDER_TOPICS = frozenset({"ORDER_CONFIRMATION", "ITEM_MARKED_SHIPPED"})
_DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA1": hashes.SHA1,
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
}


KEYS: Expiring[ec.EllipticCurvePublicKey] = Expiring()
UNKNOWN_KEYS: Expiring[bool] = Expiring(limit=1_000)  # a forger picks these ids: as many as it likes, so bounded


def _stamp(moment: dt.datetime) -> str:
    """eBay's timestamp form: UTC with milliseconds and a Z."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _parse_stamp(value: str) -> dt.datetime | None:
    try:
        stamp = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


class EbaySource(ChannelSource[EbaySourceConfig, Api]):
    """Every order changed since the last checkpoint (less the overlap), one document per order version; and the
    seller's notification endpoint: its challenge, its signatures, the order a notification is about."""

    def _connect(self) -> Api:
        return Api(self.name, self.config, self._transport)

    def order(self, order_id: str) -> Inbound:
        """One order read by id: what a notification's hint turns into."""
        with self._connected() as api:
            body, _ = api.call("GET", f"{FULFILLMENT}/order/{urllib.parse.quote(order_id, safe='')}")
        if not isinstance(body, dict) or not body.get("orderId"):
            raise TransientError(f"ebay {self.name}: order {order_id} is not an order object")
        return _inbound(body)

    def webhook_challenge(self, query: Mapping[str, str]) -> dict[str, str] | None:
        """eBay's GET to a new endpoint: ``challenge_code`` answered with the hash that proves we hold the token."""
        code = query.get("challenge_code")
        token = resolve_secret(self.config.webhook_secret)
        if not code or not token or not self.config.endpoint_url:
            return None
        return {"challengeResponse": challenge_response(code, token, self.config.endpoint_url)}

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """The signature checked with eBay's key for its ``kid``; a key that cannot be fetched now is a
        TransientError (the server answers 503 and eBay delivers again). A notification published more than
        ``TOLERANCE`` from now either way (its signed ``publishDate``) is refused first, without asking eBay for
        its key: a kept one sent again later, as Standard Webhooks' signed times are checked."""
        signature = _signature(headers.get("x-ebay-signature"))
        if signature is None or not published_lately(body, _now()):
            return False
        kid, der, digest = signature
        with self._connected() as api:
            key = _public_key(api, kid)
        return key is not None and verify_signature(key, der, digest, body)

    def webhook_order_id(self, body: bytes, headers: Mapping[str, str]) -> str | None:
        return webhook_order_id(body)

    def erasure(self, body: bytes) -> Erasure | None:
        """A ``MARKETPLACE_ACCOUNT_DELETION`` notice: the buyer whose personal data the store must forget."""
        found = account_deletion(body)
        if found is None:
            return None
        username, user_id = found
        return Erasure(
            channel="ebay",
            why="eBay marketplace account deletion notice",
            mine=lambda payload: mapping.is_buyers(payload, username, user_id),
            anonymise=mapping.anonymise_buyer,
            personal=mapping.buyer_texts,
        )

    def _orders(self, api: Api) -> Iterator[Inbound]:
        """With ``returns: {read: true}``, the open returns first (``ebay_returns``); the orders' last carries the
        checkpoint."""
        returns = (
            ebay_returns.read_returns(api, self.name, self.config.marketplace_id) if self.config.returns.read else ()
        )
        return chain(returns, super()._orders(api))

    def _read(self, api: Api) -> Generator[Inbound, None, str | None]:
        now = dt.datetime.now(dt.UTC)
        high = _parse_stamp(self.since) if self.since else None
        start = self._window_start(high, now)
        oldest = now - dt.timedelta(seconds=MAX_WINDOW - WINDOW_MARGIN)
        if start < oldest:
            log.warning(
                "ebay %s: the last checkpoint %s is older than eBay's 90-day window: reading from %s, changes "
                "before then are not listed any more",
                self.name,
                self.since,
                _stamp(oldest),
            )
            start = oldest
        params = {"filter": f"lastmodifieddate:[{_stamp(start)}..{_stamp(now)}]", "limit": str(self.config.page_size)}
        offset = 0
        while True:
            body, _ = api.call("GET", f"{FULFILLMENT}/order", params={**params, "offset": str(offset)})
            orders = body.get("orders") if isinstance(body, dict) else None
            if not isinstance(orders, list):
                raise TransientError(f"ebay {self.name}: the order page at offset {offset} has no orders list")
            for order in orders:
                if not isinstance(order, dict):
                    raise TransientError(f"ebay {self.name}: an order at offset {offset} is not an object")
                modified = _parse_stamp(str(order.get("lastModifiedDate") or ""))
                if modified is not None and (high is None or modified > high):
                    high = modified
                yield _inbound(order)
            following = _next_offset(body.get("next"))
            if not orders or following is None or following <= offset:
                return _stamp(high) if high else None
            offset = following


def _next_offset(link: Any) -> int | None:
    """The ``offset`` of the ``next`` page's URL; None when there is none (the last page)."""
    if not isinstance(link, str) or not link:
        return None
    found = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query).get("offset", [""])[0]
    return int(found) if found.isdecimal() else None


def _inbound(order: dict[str, Any]) -> Inbound:
    return order_inbound("ebay", order.get("orderId"), order.get("lastModifiedDate") or "", order)


def challenge_response(code: str, verification_token: str, endpoint_url: str) -> str:
    """hex(SHA-256(challengeCode + verificationToken + endpoint)), as eBay's SDK computes it."""
    return hashlib.sha256(f"{code}{verification_token}{endpoint_url}".encode()).hexdigest()


def _signature(header: str | None) -> tuple[str, bytes, type[hashes.HashAlgorithm]] | None:
    """The header's key id, DER signature and digest; None when it is absent, unreadable or not ECDSA."""
    if not header:
        return None
    try:
        parsed = json.loads(base64.b64decode(header.strip(), validate=True))
        kid, signature = parsed["kid"], base64.b64decode(parsed["signature"], validate=True)
        alg, digest = str(parsed.get("alg", "")).lower(), _DIGESTS.get(str(parsed.get("digest", "")).upper())
    except (binascii.Error, ValueError, TypeError, KeyError):
        return None
    if alg != "ecdsa" or digest is None or not isinstance(kid, str) or not kid:
        return None
    return kid, signature, digest


def _public_key(api: Api, kid: str) -> ec.EllipticCurvePublicKey | None:
    """eBay's key for ``kid`` (cached an hour); None when eBay knows no such key (a forged header, remembered)."""
    cache_key = f"{api.config.url}\n{kid}"
    cached = KEYS.get(cache_key)
    if cached is not None or UNKNOWN_KEYS.get(cache_key):
        return cached
    try:
        body, _ = api.call("GET", f"{PUBLIC_KEY}{urllib.parse.quote(kid, safe='')}", grant="app")
    except NotFound:
        UNKNOWN_KEYS.put(cache_key, True, UNKNOWN_KEY_TTL)
        return None
    except PermanentError as exc:
        raise TransientError(f"{exc} (the notification's key cannot be fetched)") from None
    key = _load_key(body.get("key") if isinstance(body, dict) else None)
    if key is None:
        raise TransientError(f"ebay {api.who}: public key {kid} is not an EC public key")
    KEYS.put(cache_key, key, KEY_TTL)
    return key


def _load_key(pem: Any) -> ec.EllipticCurvePublicKey | None:
    """eBay's PEM comes on one line (no line breaks): the base64 between the markers is the DER key."""
    if not isinstance(pem, str):
        return None
    inner = pem.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "")
    try:
        key = load_der_public_key(base64.b64decode("".join(inner.split()), validate=True))
    except (binascii.Error, ValueError, UnsupportedAlgorithm):
        return None
    return key if isinstance(key, ec.EllipticCurvePublicKey) else None


def verify_signature(
    key: ec.EllipticCurvePublicKey, signature: bytes, digest: type[hashes.HashAlgorithm], body: bytes
) -> bool:
    """ECDSA over the raw body, else over its compact JSON (what eBay's SDK signs: ``JSON.stringify``)."""
    candidates = [body]
    try:
        compact = json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False).encode()
    except (json.JSONDecodeError, UnicodeDecodeError):
        compact = body
    if compact != body:
        candidates.append(compact)
    for signed in candidates:
        try:
            key.verify(signature, signed, ec.ECDSA(digest()))
        except InvalidSignature:
            continue
        return True
    return False


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def published_lately(body: bytes, now: dt.datetime) -> bool:
    """Whether the notification's ``notification.publishDate`` is within ``TOLERANCE`` of ``now``, either way."""
    try:
        parsed = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    note = parsed.get("notification") if isinstance(parsed, dict) else None
    published = note.get("publishDate") if isinstance(note, dict) else None
    when = _parse_stamp(published) if isinstance(published, str) else None
    return when is not None and abs((now - when).total_seconds()) <= TOLERANCE


def account_deletion(body: bytes) -> tuple[str | None, str | None] | None:
    """The ``username`` and ``userId`` of a ``MARKETPLACE_ACCOUNT_DELETION`` notice's ``notification.data`` (eBay's
    mandatory topic [docs]; ``eiasToken`` is not kept in orders); None for any other topic."""
    try:
        parsed = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(parsed, dict) or not isinstance(meta := parsed.get("metadata"), dict):
        return None
    note = parsed.get("notification")
    data = note.get("data") if isinstance(note, dict) else None
    if meta.get("topic") != "MARKETPLACE_ACCOUNT_DELETION" or not isinstance(data, dict):
        return None
    username, user_id = data.get("username"), data.get("userId")
    found = (
        username if isinstance(username, str) and username else None,
        user_id if isinstance(user_id, str) and user_id else None,
    )
    return found if any(found) else None


def webhook_order_id(body: bytes) -> str | None:
    """The order a notification is about: ``notification.data.orderId`` of an order topic; None for any other
    topic (``MARKETPLACE_ACCOUNT_DELETION`` and the listing topics)."""
    try:
        parsed = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(parsed, dict) or not isinstance(meta := parsed.get("metadata"), dict):
        return None
    if meta.get("topic") not in ORDER_TOPICS or not isinstance(note := parsed.get("notification"), dict):
        return None
    data = note.get("data")
    found = data.get("orderId") if isinstance(data, dict) else None
    return found.strip() or None if isinstance(found, str) else None
