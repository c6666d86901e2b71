"""Standard Webhooks signatures: the scheme's published test vector, and a delivery refused when its signed time
is outside the tolerance (kept and sent again later), altered, or signed with another key."""

from __future__ import annotations

import base64

from crossdock.connectors.standard_webhooks import TOLERANCE, sign, verify

# the vector every Standard Webhooks library is tested with
KEY = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
ID, STAMP, BODY = "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
HEADERS = {"webhook-id": ID, "webhook-timestamp": STAMP, "webhook-signature": SIGNATURE}
THEN = float(STAMP)


def test_the_published_vector_is_signed_and_verified() -> None:
    assert sign(KEY, ID, STAMP, BODY) == SIGNATURE
    assert verify(BODY, HEADERS, KEY, now=THEN)
    rotating = HEADERS | {"webhook-signature": f"v1,bm9wZQ== v2,{SIGNATURE[3:]} {SIGNATURE}"}
    assert verify(BODY, rotating, KEY, now=THEN), "one matching v1 entry among others is enough"


def test_a_time_outside_the_tolerance_is_refused_either_way() -> None:
    assert verify(BODY, HEADERS, KEY, now=THEN + TOLERANCE)
    assert not verify(BODY, HEADERS, KEY, now=THEN + TOLERANCE + 1), "kept and sent again later"
    assert not verify(BODY, HEADERS, KEY, now=THEN - TOLERANCE - 1), "signed ahead of now"


def test_an_altered_or_incomplete_delivery_is_refused() -> None:
    assert not verify(BODY + b" ", HEADERS, KEY, now=THEN)
    assert not verify(BODY, HEADERS | {"webhook-id": "msg_other"}, KEY, now=THEN), "the id is signed"
    assert not verify(BODY, HEADERS | {"webhook-timestamp": str(int(STAMP) + 1)}, KEY, now=THEN), "the time is signed"
    assert not verify(BODY, HEADERS, b"another key", now=THEN)
    assert not verify(BODY, HEADERS, b"", now=THEN)
    for name in HEADERS:
        assert not verify(BODY, {k: v for k, v in HEADERS.items() if k != name}, KEY, now=THEN), name
    assert not verify(BODY, HEADERS | {"webhook-signature": "v1,not base64!"}, KEY, now=THEN)
    assert not verify(BODY, HEADERS | {"webhook-timestamp": "soon"}, KEY, now=THEN)
