"""Password hashes for the console's users: scrypt from the standard library, salted, parameters in the hash.

The format is ``scrypt$<n>$<r>$<p>$<salt>$<key>`` (salt and key base64), so stronger parameters later still
verify the hashes written before.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

N, R, P = 2**14, 8, 1
MAX_N = 2**20  # a hash read from configuration cannot ask for more memory than this
LONGEST_PASSWORD = 1024


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``; a malformed hash matches nothing."""
    if len(password) > LONGEST_PASSWORD:
        return False
    try:
        kind, n, r, p, salt, key = stored.split("$")
        if kind != "scrypt" or not 2 <= int(n) <= MAX_N or not 1 <= int(r) <= 32 or not 1 <= int(p) <= 16:
            return False
        want = base64.b64decode(key, validate=True)
        got = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(want),
            maxmem=2 * 128 * int(n) * int(r) * int(p) + 2**20,
        )
    except ValueError:
        return False
    return hmac.compare_digest(got, want)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
