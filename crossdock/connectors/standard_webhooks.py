"""Standard Webhooks (the scheme BigCommerce signs its webhooks with): a signature over the delivery's id, its
time and its body together, so a kept delivery cannot be sent again later with a new time.

``webhook-signature`` holds space-separated ``v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")>``
entries (one per key while keys rotate); ``webhook-timestamp`` is whole seconds since 1970. A delivery is
verified when one ``v1`` entry matches (compared in constant time) and its time is within ``TOLERANCE`` of this
machine's clock either way, as the scheme's own libraries check it. Header names are lower-cased.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

TOLERANCE = 300.0  # seconds between a delivery's signed time and now, either way, the scheme's own libraries allow


def sign(key: bytes, delivery_id: str, timestamp: str, body: bytes) -> str:
    """The ``v1`` entry a sender with ``key`` writes into ``webhook-signature``."""
    signed = hmac.new(key, f"{delivery_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return f"v1,{base64.b64encode(signed).decode()}"


def verify(body: bytes, headers: Mapping[str, str], key: bytes, now: float | None = None) -> bool:
    """Whether the delivery is signed with ``key`` and signed at a time within ``TOLERANCE`` of ``now``."""
    delivery_id = headers.get("webhook-id", "").strip()
    stamp = headers.get("webhook-timestamp", "").strip()
    entries = headers.get("webhook-signature", "").split()
    if not (key and delivery_id and stamp.isdigit() and entries):
        return False
    if abs((time.time() if now is None else now) - int(stamp)) > TOLERANCE:
        return False  # too old (kept and sent again) or too new (signed ahead)
    expected = base64.b64decode(sign(key, delivery_id, stamp, body).partition(",")[2])
    for entry in entries:
        version, _, signature = entry.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(expected, given):
            return True
    return False
