"""S/MIME as AS2 uses it (RFC 4130 over RFC 5751): sign, encrypt, decrypt, verify and the MIC, with ``cryptography``.

``cryptography`` builds and opens CMS envelopes and builds signatures, but does not verify a CMS signature: that is
done here, by reading the SignedData's DER or BER (a small reader, bounded by the message and in nesting) and
checking its signer's signature over the signed attributes with the partner's public key, and the message digest
among those attributes against the content. pyas2lib was tried first: its oscrypto fails to load against this
OpenSSL 3 (README: AS2).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7

_Signing = hashes.SHA256 | hashes.SHA384 | hashes.SHA512
SIGNING: dict[str, type[_Signing]] = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
DIGESTS: dict[str, type[hashes.SHA1] | type[_Signing]] = {"sha1": hashes.SHA1, **SIGNING}
MICALG = {"sha1": "sha1", "sha256": "sha-256", "sha384": "sha-384", "sha512": "sha-512"}
_DIGEST_OIDS = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
_SIGNED_DATA = "1.2.840.113549.1.7.2"
_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
_RSA_OIDS = {"1.2.840.113549.1.1.1", "1.2.840.113549.1.1.5", "1.2.840.113549.1.1.11"}
_RSA_OIDS |= {"1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13"}
CIPHERS: dict[str, type[algorithms.AES128] | type[algorithms.AES256]] = {
    "aes128": algorithms.AES128,
    "aes256": algorithms.AES256,
}


class CmsError(ValueError):
    """A message that cannot be opened or whose signature does not hold: the text says which."""


@dataclass(frozen=True, slots=True)
class Keys:
    """One side's certificate and private key (RSA: what AS2 partners use)."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


def load_keys(certificate_pem: bytes, key_pem: bytes) -> Keys:
    key = serialization.load_pem_private_key(key_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CmsError("an AS2 key must be RSA")
    return Keys(x509.load_pem_x509_certificate(certificate_pem), key)


def mic(part: bytes, digest: str) -> str:
    """The MIC of a signed MIME part as an MDN reports it: ``base64, micalg``."""
    return f"{base64.b64encode(hashlib.new(digest, part).digest()).decode()}, {MICALG[digest]}"


def sign(part: bytes, keys: Keys, digest: str) -> bytes:
    """A detached signature (DER) over the MIME part's bytes exactly as given (cryptography signs no SHA-1)."""
    options = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]
    builder = pkcs7.PKCS7SignatureBuilder().set_data(part).add_signer(keys.certificate, keys.key, SIGNING[digest]())
    return builder.sign(serialization.Encoding.DER, options)


def encrypt(data: bytes, recipient: x509.Certificate, cipher: str) -> bytes:
    builder = pkcs7.PKCS7EnvelopeBuilder().set_data(data).add_recipient(recipient)
    builder = builder.set_content_encryption_algorithm(CIPHERS[cipher])
    return builder.encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])


def decrypt(envelope: bytes, keys: Keys) -> bytes:
    try:
        return pkcs7.pkcs7_decrypt_der(envelope, keys.certificate, keys.key, [])
    except (ValueError, TypeError) as exc:
        raise CmsError(f"cannot decrypt: {exc}") from None


# --- verification: a DER reader over the SignedData ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Node:
    tag: int
    raw: bytes  # the whole encoding, header included
    value: bytes


MAX_DEPTH = 32  # how deep indefinite-length (BER) encodings may nest: CMS needs about a dozen


def _read(data: bytes, pos: int = 0, depth: int = 0) -> tuple[_Node, int]:
    """One encoding at ``pos``: DER's definite lengths, or BER's indefinite one (a constructed value ended by two
    zero bytes, as streaming AS2 products write), whose contents are read to find the end, at most ``MAX_DEPTH``
    deep. Every length is checked against the bytes there: nothing is read past them."""
    if pos + 2 > len(data):
        raise CmsError("signature: truncated")
    tag, first = data[pos], data[pos + 1]
    at = pos + 2
    if first == 0x80:
        return _indefinite(data, pos, depth)
    if first & 0x80:
        count = first & 0x7F
        if count > 4 or at + count > len(data):
            raise CmsError("signature: an unreadable length")
        length = int.from_bytes(data[at : at + count], "big")
        at += count
    else:
        length = first
    end = at + length
    if end > len(data):
        raise CmsError("signature: truncated")
    return _Node(tag, data[pos:end], data[at:end]), end


def _indefinite(data: bytes, pos: int, depth: int) -> tuple[_Node, int]:
    if not data[pos] & 0x20:
        raise CmsError("signature: an indefinite length on a primitive value")
    if depth >= MAX_DEPTH:
        raise CmsError(f"signature: nested more than {MAX_DEPTH} deep")
    at = start = pos + 2
    while data[at : at + 2] != b"\x00\x00":
        if at >= len(data):
            raise CmsError("signature: truncated (no end of contents)")
        _, at = _read(data, at, depth + 1)
    return _Node(data[pos], data[pos : at + 2], data[start:at]), at + 2


def _children(node: _Node) -> list[_Node]:
    out: list[_Node] = []
    pos = 0
    while pos < len(node.value):
        child, pos = _read(node.value, pos)
        out.append(child)
    return out


def _oid(node: _Node) -> str:
    if node.tag != 0x06 or not node.value:
        raise CmsError("signature: an object identifier was expected")
    first = node.value[0]
    parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    value = 0
    for byte in node.value[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(map(str, parts))


def verify(content: bytes, signature: bytes, signer: x509.Certificate) -> str:
    """Check a detached CMS signature over ``content`` by ``signer``'s key: the digest name, or CmsError why not."""
    try:
        return _verify(content, signature, signer)
    except (IndexError, ValueError) as exc:
        if isinstance(exc, CmsError):
            raise
        raise CmsError(f"signature: unreadable ({type(exc).__name__})") from None


def _verify(content: bytes, signature: bytes, signer: x509.Certificate) -> str:
    info, _ = _read(signature)
    parts = _children(info)
    if len(parts) != 2 or _oid(parts[0]) != _SIGNED_DATA or parts[1].tag != 0xA0:
        raise CmsError("signature: not a CMS SignedData")
    (signed_data,) = _children(parts[1])
    signer_infos = _children(signed_data)[-1]
    public = signer.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise CmsError("signature: the partner's certificate is not RSA")
    why = "signature: no signer"
    for signer_info in _children(signer_infos):
        fields = _children(signer_info)
        digest = _DIGEST_OIDS.get(_oid(_children(fields[2])[0]))
        if digest is None:
            raise CmsError("signature: an unsupported digest")
        attrs = next((f for f in fields[3:] if f.tag == 0xA0), None)
        algorithm, value = [f for f in fields[3:] if f.tag != 0xA0 and f.tag != 0xA1][:2]
        if _oid(_children(algorithm)[0]) not in _RSA_OIDS:
            raise CmsError("signature: only RSA PKCS#1 v1.5 signatures are verified")
        signed = content
        if attrs is not None:
            found = [_children(a) for a in _children(attrs)]
            wanted = [_children(a[1])[0].value for a in found if _oid(a[0]) == _MESSAGE_DIGEST]
            if wanted != [hashlib.new(digest, content).digest()]:
                why = "signature: the content's digest does not match (the message was changed)"
                continue
            signed = b"\x31" + attrs.raw[1:]  # the attributes are signed as a SET, not as the [0] they are sent as
        try:
            public.verify(value.value, signed, padding.PKCS1v15(), DIGESTS[digest]())
        except InvalidSignature:
            why = "signature: not signed by the partner's certificate"
            continue
        return digest
    raise CmsError(why)
