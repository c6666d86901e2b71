"""SSH connections for the SFTP connector: the host key pinned, secrets from the environment, SHA-1 refused.

Every connection pins the server's host key (``known_hosts`` or a SHA256 fingerprint; an unknown or changed
key is refused, never learnt), logs in only with the configured password or key (no agent, no ~/.ssh), and
turns every failure into ``TransientError`` (network, timeouts, a dropped connection) or ``PermanentError``
(credentials, host key, algorithms, permissions). Messages name the host, port and file, never a secret.

SHA-1 and ssh-rsa: paramiko 5 deleted SHA-1 key exchange (diffie-hellman-group14-sha1, group1-sha1,
group-exchange-sha1) and ``ssh-rsa`` (SHA-1) signatures outright, and some retailers' servers still offer
nothing else. crossdock therefore stays on paramiko 4 and switches these algorithms off itself through
``disabled_algorithms`` on every connection; a connector whose partner needs them sets
``legacy_algorithms: true``, which allows them for that partner only. A server that offers nothing but them is
refused with a PermanentError that says so and names that setting.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import io
import logging
import socket
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TypeVar

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from paramiko.ssh_exception import IncompatiblePeer, NoValidConnectionsError, PartialAuthentication

from crossdock.connectors.sftp_config import SftpSinkConfig, SftpSourceConfig
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import ConfigError, CrossdockError, PermanentError, TransientError

log = logging.getLogger(__name__)


T = TypeVar("T")


LEGACY_KEX = ("diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1", "diffie-hellman-group-exchange-sha1")


LEGACY_SIGNATURES = ("ssh-rsa", "ssh-rsa-cert-v01@openssh.com")


# what every connection switches off unless its connector sets legacy_algorithms: true
SECURE_DISABLED: dict[str, list[str]] = {
    "kex": list(LEGACY_KEX),
    "keys": list(LEGACY_SIGNATURES),
    "pubkeys": list(LEGACY_SIGNATURES),
}


_LEGACY_HINT = (
    "the server needs SHA-1 key exchange or ssh-rsa signatures, which crossdock refuses by default; "
    "if the partner cannot upgrade, set legacy_algorithms: true on this connector"
)


SftpConfig = SftpSourceConfig | SftpSinkConfig


def fingerprint(key: paramiko.PKey) -> str:
    """The OpenSSH form of a key's SHA256 fingerprint (``ssh-keygen -lf``): ``SHA256:`` and unpadded base64."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def _same_fingerprint(a: str, b: str) -> bool:
    return a.rstrip("=") == b.rstrip("=")


def load_private_key(value: str, passphrase: str | None, where: str) -> paramiko.PKey:
    """An ed25519, ECDSA or RSA key from a file path or from the key text itself (OpenSSH or PEM format).

    ``where`` names the setting in messages (``${ACME_KEY}``): neither the key nor the passphrase is ever shown.
    """
    if "-----BEGIN" in value:
        text = value.replace("\\n", "\n") if "\n" not in value.strip() else value
    else:  # a file path, or a key that lost its -----BEGIN line: the value is never echoed, it may be the key
        try:
            text = Path(value).expanduser().read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a text key file"
            raise ConfigError(
                f"private key {where} cannot be read: it is neither a key (no -----BEGIN line) nor a readable key "
                f"file ({reason}); its value is not shown"
            ) from None
    data = text.strip().encode("ascii", "replace") + b"\n"
    secret = passphrase.encode() if passphrase is not None else None
    try:
        # each cryptography release widens the key unions (51 added ML-DSA): dispatch on what was loaded
        loaded: object
        try:
            loaded = serialization.load_ssh_private_key(data, password=secret)
        except ValueError:
            if b"OPENSSH PRIVATE KEY" in data:
                raise
            loaded = serialization.load_pem_private_key(data, password=secret)
        if isinstance(loaded, rsa.RSAPrivateKey):
            return paramiko.RSAKey(key=loaded)
        if isinstance(loaded, ec.EllipticCurvePrivateKey):
            return paramiko.ECDSAKey(vals=(loaded, loaded.public_key()))
        if isinstance(loaded, ed25519.Ed25519PrivateKey):
            return paramiko.Ed25519Key.from_private_key(io.StringIO(data.decode("ascii")), password=passphrase)
    except TypeError:
        raise ConfigError(f"private key {where} is encrypted: set private_key_passphrase") from None
    except (ValueError, paramiko.SSHException):
        reason = "wrong passphrase, or not a valid key" if secret is not None else "not a valid key"
        raise ConfigError(f"private key {where} cannot be read ({reason}; ed25519, ECDSA or RSA expected)") from None
    raise ConfigError(f"private key {where} is a {type(loaded).__name__}: only ed25519, ECDSA and RSA are supported")


class _PinnedKeyPolicy(paramiko.MissingHostKeyPolicy):
    """Accepts a host key missing from known_hosts only when it matches the configured fingerprint."""

    def __init__(self, head: str, expected: str | None) -> None:
        self.head = head
        self.expected = expected

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        seen = fingerprint(key)
        if self.expected is not None and _same_fingerprint(seen, self.expected):
            client.get_host_keys().add(hostname, key.get_name(), key)
            return
        why = (
            f"it does not match host_key_fingerprint {self.expected}"
            if self.expected is not None
            else "known_hosts has no key for it"
        )
        raise PermanentError(f"{self.head}: the server sent host key {key.get_name()} {seen}, refused: {why}")


def _login_cut(client: paramiko.SSHClient, exc: paramiko.AuthenticationException) -> str | None:
    """Why a login failed without the server refusing it, or None when it refused. paramiko raises
    ``AuthenticationException`` also when the connection closes or stalls while it waits for the server's answer
    (a reset, a dropped link, a slow server): that is the network's fault and passes, not a wrong credential."""
    if isinstance(exc, paramiko.BadAuthenticationType | PartialAuthentication):
        return None  # the server answered: it takes other methods, or more than one
    transport = client.get_transport()
    if transport is None or not transport.is_active():
        return "the connection closed before the server answered"
    if str(exc).startswith("Authentication timeout"):  # auth_handler's own wait ran out, the server still silent
        return "the server did not answer in time"
    return None


class Session:
    """One logged-in SSH connection and its SFTP channel; ``call`` runs an operation with errors mapped."""

    def __init__(self, endpoint: Endpoint, client: paramiko.SSHClient, sftp: paramiko.SFTPClient) -> None:
        self.endpoint = endpoint
        self.client = client
        self.sftp = sftp
        self._folders: dict[str, str] = {}

    def alive(self) -> bool:
        transport = self.client.get_transport()
        return transport is not None and transport.is_active()

    def call(self, doing: str, operation: Callable[[], T]) -> T:
        try:
            return operation()
        except CrossdockError:
            raise
        except Exception as exc:
            raise self.endpoint.failure(exc, doing) from exc

    def folder(self, path: str) -> str:
        """The absolute form of a remote folder (relative ones are under the login folder), asked once."""
        if path not in self._folders:
            self._folders[path] = self.call(f"opening folder {path}", lambda: self.sftp.normalize(path))
        return self._folders[path]

    def close(self) -> None:
        with suppress(Exception):
            self.sftp.close()
        with suppress(Exception):
            self.client.close()


class Endpoint:
    """A configured server: credentials resolved when the connector is built, then ``open()`` per session."""

    def __init__(self, name: str, config: SftpConfig) -> None:
        self.name = name
        self.config = config
        self.where = f"{config.host}:{config.port}"
        self.key: paramiko.PKey | None = None
        try:
            self.password = resolve_secret(config.password)
            if config.private_key is not None:
                value = resolve_secret(config.private_key)
                assert value is not None
                passphrase = resolve_secret(config.private_key_passphrase)
                self.key = load_private_key(value, passphrase, config.private_key)
        except ConfigError as exc:
            raise ConfigError(f"sftp {name}: {exc}") from None
        # learnt once per process: a legacy server that takes RSA keys only with ssh-rsa signatures
        self._sha1_rsa_login = False

    def disabled_algorithms(self) -> dict[str, list[str]]:
        if not self.config.legacy_algorithms:
            return SECURE_DISABLED
        if self._sha1_rsa_login:
            return {"pubkeys": ["rsa-sha2-512", "rsa-sha2-256"]}
        return {}

    def open(self) -> Session:
        try:
            return self._open()
        except paramiko.AuthenticationException:
            pass  # only with legacy_algorithms and an RSA key, see _open
        # a server from before rsa-sha2 that still lists it in server-sig-algs: sign with ssh-rsa instead
        self._sha1_rsa_login = True
        try:
            return self._open()
        except PermanentError:
            self._sha1_rsa_login = False
            raise

    def _open(self) -> Session:
        config = self.config
        client = paramiko.SSHClient()
        if config.known_hosts is not None:
            try:
                client.get_host_keys().load(str(config.known_hosts))
            except OSError as exc:
                raise ConfigError(f"sftp {self.name}: known_hosts {config.known_hosts}: {exc.strerror}") from None
            except Exception:
                raise ConfigError(f"sftp {self.name}: known_hosts {config.known_hosts} is not readable") from None
        head = f"sftp {self.name} at {self.where}: connecting"
        client.set_missing_host_key_policy(_PinnedKeyPolicy(head, config.host_key_fingerprint))
        try:
            client.connect(
                config.host,
                config.port,
                username=config.username,
                password=self.password,
                pkey=self.key,
                timeout=config.timeout,
                banner_timeout=config.timeout,
                auth_timeout=config.timeout,
                channel_timeout=config.timeout,
                look_for_keys=False,
                allow_agent=False,
                disabled_algorithms=self.disabled_algorithms(),
            )
            transport = client.get_transport()
            assert transport is not None
            seen = fingerprint(transport.get_remote_server_key())
            if config.host_key_fingerprint is not None and not _same_fingerprint(seen, config.host_key_fingerprint):
                raise PermanentError(
                    f"{head}: the server sent host key {seen}, refused: "
                    f"it does not match host_key_fingerprint {config.host_key_fingerprint}"
                )
            sftp = client.open_sftp()
            channel = sftp.get_channel()
            if channel is not None:
                channel.settimeout(config.timeout)
        except paramiko.AuthenticationException as exc:
            cut = _login_cut(client, exc)
            client.close()
            if cut:
                raise TransientError(f"sftp {self.name} at {self.where}: logging in: {cut}") from None
            if self.config.legacy_algorithms and isinstance(self.key, paramiko.RSAKey) and not self._sha1_rsa_login:
                raise  # open() retries once with ssh-rsa signatures
            raise self.failure(exc, "logging in") from None
        except CrossdockError:
            client.close()
            raise
        except Exception as exc:
            client.close()
            raise self.failure(exc, "connecting") from None
        return Session(self, client, sftp)

    def failure(self, exc: BaseException, doing: str) -> CrossdockError:
        """The crossdock error for what paramiko, the SFTP server or the network raised."""
        head = f"sftp {self.name} at {self.where}: {doing}"
        if isinstance(exc, CrossdockError):
            return exc
        if isinstance(exc, paramiko.BadHostKeyException):
            return PermanentError(
                f"{head}: the server sent host key {exc.key.get_name()} {fingerprint(exc.key)} but known_hosts pins "
                f"{exc.expected_key.get_name()} {fingerprint(exc.expected_key)}; refused (update known_hosts only "
                "when the partner confirms a new key)"
            )
        if isinstance(exc, paramiko.AuthenticationException):
            if "pubkey algorithm" in str(exc) and not self.config.legacy_algorithms:
                return PermanentError(f"{head}: login refused: {_LEGACY_HINT}")
            refused = f"{head}: login as {self.config.username!r} refused"
            if isinstance(exc, paramiko.BadAuthenticationType):
                return PermanentError(f"{refused}: the server takes only {', '.join(exc.allowed_types)}")
            what = "password" if self.key is None else "private key" if self.password is None else "key or password"
            if isinstance(self.key, paramiko.RSAKey) and not self.config.legacy_algorithms:
                what += "; if the server takes RSA keys only with ssh-rsa signatures, see legacy_algorithms"
            return PermanentError(f"{refused} ({what} not accepted)")
        if isinstance(exc, IncompatiblePeer):
            if not self.config.legacy_algorithms and self._negotiates_with_legacy():
                return PermanentError(f"{head}: {_LEGACY_HINT}")
            return PermanentError(f"{head}: no algorithm in common with the server ({exc})")
        if isinstance(exc, UnicodeDecodeError):  # paramiko decodes every name it lists as UTF-8
            bad = exc.object[max(exc.start - 20, 0) : exc.end + 20]
            return PermanentError(f"{head}: a file name there is not UTF-8 ({bad!r}); rename it on the server")
        if isinstance(exc, TimeoutError):
            return TransientError(f"{head}: timed out after {self.config.timeout:g} s")
        if isinstance(exc, NoValidConnectionsError | ConnectionError | socket.gaierror):
            return TransientError(f"{head}: cannot connect ({exc.strerror or exc})")
        if isinstance(exc, EOFError):
            return TransientError(f"{head}: the connection closed unexpectedly")
        if isinstance(exc, paramiko.SSHException):
            return TransientError(f"{head}: {str(exc).rstrip(': ') or type(exc).__name__}")
        if isinstance(exc, OSError):
            if exc.errno in (errno.EACCES, errno.EPERM):
                return PermanentError(f"{head}: permission denied")
            if exc.errno == errno.ENOENT:
                return PermanentError(f"{head}: no such file or folder")
            return TransientError(f"{head}: {exc.strerror or exc}")
        return TransientError(f"{head}: {type(exc).__name__}: {exc}")

    def _negotiates_with_legacy(self) -> bool:
        """Whether the server agrees to a key exchange once SHA-1 and ssh-rsa are allowed (no login is tried)."""
        try:
            sock = socket.create_connection((self.config.host, self.config.port), timeout=self.config.timeout)
        except OSError:
            return False
        transport = paramiko.Transport(sock)
        try:
            transport.start_client(timeout=self.config.timeout)
            return True
        except Exception:
            return False
        finally:
            transport.close()
