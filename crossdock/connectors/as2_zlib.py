"""CMS compressed-data (RFC 3274) with zlib, as AS2 uses it (RFC 5402): written and read here, since ``cryptography``
has no CMS compression. The reader takes definite-length DER and BER's indefinite lengths and constructed OCTET
STRING (what other AS2 products write), and inflates at most ``LIMIT`` bytes: a small message cannot expand into a
large one."""

from __future__ import annotations

import zlib

from crossdock.connectors.as2_cms import MAX_DEPTH, CmsError, _children, _Node, _oid, _read

LIMIT = 100_000_000  # what a compressed message may inflate to
COMPRESSED = 'application/pkcs7-mime; smime-type=compressed-data; name="smime.p7z"'
_COMPRESSED_DATA = "1.2.840.113549.1.9.16.1.9"
_ZLIB = "1.2.840.113549.1.9.16.3.8"
_DATA = "1.2.840.113549.1.7.1"


def _der(tag: int, value: bytes) -> bytes:
    size = len(value)
    if size < 0x80:
        return bytes([tag, size]) + value
    count = (size.bit_length() + 7) // 8
    return bytes([tag, 0x80 | count]) + size.to_bytes(count, "big") + value


def _oid_der(dotted: str) -> bytes:
    first, second, *rest = (int(p) for p in dotted.split("."))
    out = bytearray([40 * first + second])
    for number in rest:
        chunk = [number & 0x7F]
        number >>= 7
        while number:
            chunk.append(0x80 | (number & 0x7F))
            number >>= 7
        out += bytes(reversed(chunk))
    return _der(0x06, bytes(out))


def compress(data: bytes) -> bytes:
    """A ContentInfo holding CompressedData (version 0, zlib) of ``data``, DER."""
    algorithm = _der(0x30, _oid_der(_ZLIB))
    encapsulated = _der(0x30, _oid_der(_DATA) + _der(0xA0, _der(0x04, zlib.compress(data))))
    compressed = _der(0x30, _der(0x02, b"\x00") + algorithm + encapsulated)
    return _der(0x30, _oid_der(_COMPRESSED_DATA) + _der(0xA0, compressed))


def _octets(node: _Node, depth: int = 0) -> bytes:
    if node.tag == 0x04:
        return node.value
    if node.tag == 0x24 and depth < MAX_DEPTH:  # constructed (BER): the pieces in order
        return b"".join(_octets(child, depth + 1) for child in _children(node))
    raise CmsError("compressed-data: the content is not an OCTET STRING")


def decompress(data: bytes) -> bytes:
    """The content of a CMS compressed-data (zlib), or CmsError why not."""
    try:
        info, _ = _read(data)
        kind, wrapped = _children(info)
        if _oid(kind) != _COMPRESSED_DATA or wrapped.tag != 0xA0:
            raise CmsError("compressed-data: not a CMS CompressedData")
        (body,) = _children(wrapped)
        _version, algorithm, encapsulated = _children(body)[:3]
        if _oid(_children(algorithm)[0]) != _ZLIB:
            raise CmsError("compressed-data: only zlib is read")
        content = _children(encapsulated)
        if len(content) != 2 or content[1].tag != 0xA0:
            raise CmsError("compressed-data: no content")
        (octets,) = _children(content[1])
        inflater = zlib.decompressobj()
        out = inflater.decompress(_octets(octets), LIMIT)
        if inflater.unconsumed_tail:
            raise CmsError(f"compressed-data: inflates to more than {LIMIT} bytes")
        if not inflater.eof:
            raise CmsError("compressed-data: the zlib stream is cut short")
        return out
    except (ValueError, zlib.error) as exc:
        if isinstance(exc, CmsError):
            raise
        raise CmsError(f"compressed-data: unreadable ({type(exc).__name__})") from None
