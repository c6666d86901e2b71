"""A Shopify store's access token for every call: the configured non-expiring one, or the expiring offline token
of a public app, refreshed a few minutes before it ends and on a 401, its rotated refresh token kept in
``token_file`` (channel-apis.md §4: refresh tokens rotate; the request's shape is Shopify's own
``@shopify/shopify-api`` library's). Tokens and secrets travel only in the token request's body."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from crossdock.connectors.http import check, read_json, request
from crossdock.connectors.shopify_config import ShopifySourceConfig
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import PermanentError, TransientError

REFRESH_BEFORE = 300.0  # seconds before an expiring token's end when it is renewed ("a few minutes" in the docs)
_LOCKS: dict[str, threading.Lock] = {}  # a token file's refresh lock
_LOCKS_GUARD = threading.Lock()


class Tokens:
    """The access token for every call: the configured one, or the expiring one kept in ``token_file``.

    The file holds the access token, its end, the current refresh token and a digest of the environment's
    refresh token it descends from: a new grant put in the environment replaces what the file holds.
    """

    def __init__(self, who: str, config: ShopifySourceConfig, client: httpx.Client) -> None:
        self.who = who
        self.config = config
        self.client = client
        self.static = resolve_secret(config.access_token)
        self.path = Path(config.token_file) if config.token_file else None

    @property
    def refreshes(self) -> bool:
        return self.static is None

    def current(self) -> str:
        if self.static is not None:
            return self.static
        state = self._read()
        if state and float(state.get("expires_at", 0)) - REFRESH_BEFORE > time.time():
            return str(state["access_token"])
        return self.refresh(stale=str(state["access_token"]) if state else None)

    def refresh(self, stale: str | None) -> str:
        """A new access token, unless another caller (thread or process) already replaced ``stale``."""
        assert self.path is not None
        with self._locked():
            state = self._read()
            if state and state.get("access_token") != stale and float(state.get("expires_at", 0)) > time.time():
                return str(state["access_token"])
            seed = resolve_secret(self.config.refresh_token) or ""
            refresh_token = str(state["refresh_token"]) if state else seed
            body = {
                "client_id": resolve_secret(self.config.client_id),
                "client_secret": resolve_secret(self.config.client_secret),
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
            }
            answer = self._post_token(body)
            token, rotated = answer.get("access_token"), answer.get("refresh_token")
            if not isinstance(token, str) or not token:
                raise TransientError(f"shopify {self.who}: the token answer has no access_token")
            expires_in = answer.get("expires_in")
            lifetime = float(expires_in) if isinstance(expires_in, int | Decimal) else 3600.0
            self._write(
                {
                    "access_token": token,
                    "expires_at": time.time() + lifetime,
                    "refresh_token": rotated if isinstance(rotated, str) and rotated else refresh_token,
                    "seed": _digest(seed),
                }
            )
            return token

    def _post_token(self, body: dict[str, Any]) -> dict[str, Any]:
        where = f"shopify {self.who}: POST /admin/oauth/access_token (refresh)"
        response = request(self.client, "POST", "/admin/oauth/access_token", where, json=body)
        answer = read_json(response, where, not_json="the answer is not a JSON object")
        if response.status_code in (400, 401) and isinstance(answer, dict):
            said = " ".join(str(answer[k]) for k in ("error", "error_description") if answer.get(k))
            raise PermanentError(
                f"{where}: {response.status_code}: {said or 'refused'}: check client_id and client_secret, or "
                "authorise the app again, put the new refresh token in the environment and delete token_file"
            )
        check(response, where)
        if not isinstance(answer, dict):
            raise TransientError(f"{where}: {response.status_code}, the answer is not a JSON object")
        return answer

    def _read(self) -> dict[str, Any] | None:
        assert self.path is not None
        try:
            state = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise PermanentError(f"shopify {self.who}: token_file {self.path} cannot be read: {exc}") from None
        if not isinstance(state, dict) or state.get("seed") != _digest(resolve_secret(self.config.refresh_token)):
            return None  # another grant's tokens: start again from the environment's refresh token
        return state

    def _write(self, state: dict[str, Any]) -> None:
        """Atomically: a crash leaves the old pair or the new one, never half a file."""
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump(state, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One refresh at a time: a thread lock for this process, a file lock for other processes."""
        assert self.path is not None
        with _LOCKS_GUARD:
            lock = _LOCKS.setdefault(str(self.path), threading.Lock())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with lock, open(self.path.with_name(self.path.name + ".lock"), "a") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(held, fcntl.LOCK_UN)


def _digest(secret: str | None) -> str:
    return hashlib.sha256((secret or "").encode()).hexdigest()[:16]
