"""Who is signed in: a session cookie signed with the configured secret, and the CSRF token it carries.

The cookie holds the user's name, when the session ends and a random CSRF token, signed with HMAC-SHA256; the
user's role is read from the configuration on every request, so a role taken away takes effect at once. Every
form that acts carries the token and is refused without it. The sign-in form has a token of its own, before
there is a session: a short-lived random cookie, and in the form its signature (another site can neither read
the cookie nor make the signature, so it cannot sign a victim in under its own account).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from crossdock.core.configuration.console import ConsoleConfig, Role
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import ConfigError

COOKIE = "crossdock_console"
SIGN_IN_COOKIE = "crossdock_console_sign_in"
SIGN_IN_SECONDS = 3600  # how long a sign-in form may wait before it is sent
SHORTEST_SECRET = 32


@dataclass(frozen=True, slots=True)
class Session:
    user: str
    role: Role
    csrf: str
    by_proxy: bool = False

    @property
    def can_act(self) -> bool:
        return self.role == "operator"


class Sessions:
    """Makes and reads the signed session cookies of one console configuration."""

    def __init__(self, config: ConsoleConfig) -> None:
        secret = resolve_secret(config.session_secret) or ""
        if len(secret) < SHORTEST_SECRET:
            raise ConfigError(f"console.session_secret: at least {SHORTEST_SECRET} characters are needed")
        self._key = hashlib.sha256(b"crossdock-console:" + secret.encode()).digest()
        self.config = config

    def issue(self, user: str, now: float | None = None) -> str:
        """A cookie value for ``user``, signed in now."""
        ends = (now or time.time()) + self.config.session_hours * 3600
        body = _b64(json.dumps({"u": user, "e": int(ends), "c": secrets.token_urlsafe(24)}).encode())
        return f"{body}.{self._sign(body)}"

    def read(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session a cookie holds, or None when it is missing, forged, ended or its user is gone."""
        if not cookie or len(cookie) > 1024 or "." not in cookie:
            return None
        body, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            user, ends, csrf = str(data["u"]), float(data["e"]), str(data["c"])
        except (ValueError, KeyError, TypeError):
            return None
        found = self.config.users.get(user)
        if found is None or ends < (now or time.time()):
            return None
        return Session(user, found.role, csrf)

    def from_proxy(self, header: str | None) -> Session | None:
        """The session of a user a reverse proxy vouches for (``proxy_header``), when it is a configured user."""
        if self.config.proxy_header is None or not header:
            return None
        found = self.config.users.get(header)
        if found is None:
            return None
        return Session(header, found.role, self._sign(f"proxy:{header}"), by_proxy=True)

    def sign_in_token(self, now: float | None = None) -> tuple[str, str]:
        """A fresh (cookie, form token) pair for the sign-in form."""
        cookie = f"{int(now or time.time())}.{secrets.token_urlsafe(24)}"
        return cookie, self._sign(f"sign-in:{cookie}")

    def sign_in_ok(self, cookie: str | None, given: str | None, now: float | None = None) -> bool:
        """The form's token is the signature of the browser's own sign-in cookie, and the form is recent."""
        if not cookie or not given or len(cookie) > 128 or "." not in cookie:
            return False
        made = cookie.split(".", 1)[0]
        if not made.isdecimal() or not 0 <= (now or time.time()) - int(made) <= SIGN_IN_SECONDS:
            return False
        return hmac.compare_digest(str(given), self._sign(f"sign-in:{cookie}"))

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())


def csrf_ok(session: Session, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(str(given), session.csrf)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
