"""Throwaway AS2 certificates and keys made for each test run (none is committed): self-signed RSA-2048, as
retailers' AS2 setups use, with the validity a test chooses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from crossdock.connectors.as2_cms import Keys, load_keys


@dataclass(frozen=True)
class Party:
    name: str
    cert_pem: bytes
    key_pem: bytes
    cert_path: Path
    key_path: Path

    @property
    def keys(self) -> Keys:
        return load_keys(self.cert_pem, self.key_pem)

    @property
    def cert(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem)


def make_party(folder: Path, name: str, *, days: float = 365, starts: float = -1) -> Party:
    """A party whose certificate is valid from ``starts`` to ``days`` days from now, written under ``folder``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} AS2 test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=starts))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    cert_path.write_bytes(cert_pem)
    key_path.write_bytes(key_pem)
    return Party(name, cert_pem, key_pem, cert_path, key_path)
