"""Text in and out of X12: how a partner's bytes become characters, and which characters go back.

Nothing in an interchange says how its text is encoded. Partners write Windows-1252 (a superset of Latin-1
for the printable range: its 0x80-0x9F are curly quotes, dashes and the euro, which Latin-1 reads as control
characters) or UTF-8. ``AUTO``, the default, reads each value that holds bytes above 0x7F as UTF-8 when it
is valid UTF-8 (a Windows-1252 text almost never is) and as Windows-1252 otherwise.

Out, the X12 character sets are ASCII subsets: the basic set is upper-case letters, digits, space and
``! " & ' ( ) * + , - . / : ; ? =``; the extended set adds lower case and the rest of printable ASCII.
``limited`` transliterates a value into the partner's set (é -> e, ’ -> ', ß -> ss, lower case to upper
case for a basic partner, a tab or line break to a space), and a character with no likeness becomes ``?``:
nothing above 0x7E is written, and no control character but the partner's delimiters.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Literal

AUTO = "auto"  # the partner encoding that reads UTF-8 where a value is UTF-8, Windows-1252 elsewhere
Charset = Literal["basic", "extended"]
BASIC_PUNCTUATION = " !\"&'()*+,-./:;?="
_NOT_BASIC = re.compile(r"[^A-Z0-9 !\"&'()*+,\-./:;?=]")
_NOT_EXTENDED = re.compile(r"[^\x20-\x7e]")
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")

# likenesses NFKD does not find (it splits é into e and an accent, and maps ligatures and full-width forms)
_LIKE = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "′": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "″": '"',
        "«": '"',
        "»": '"',
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
        "…": "...",
        "•": "-",  # not "*": an element separator would refuse the whole document
        "·": ".",
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
        "\t": " ",
        "\n": " ",  # a line break in an address or a note: a space, not the "?" other control characters get
        "\r": " ",
        "ß": "ss",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "Ø": "O",
        "ø": "o",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Ð": "D",
        "ð": "d",
        "Þ": "TH",
        "þ": "th",
        "×": "x",
        "÷": "/",
        "€": "EUR",
        "£": "GBP",
        "¥": "JPY",
        "©": "(C)",
        "®": "(R)",
        "™": "TM",
        "°": " DEG",
        "½": "1/2",
        "¼": "1/4",
        "¾": "3/4",
    }
)
# the extended set's characters a basic partner cannot take, by their nearest basic one
_TO_BASIC = str.maketrans(
    {
        "[": "(",
        "]": ")",
        "{": "(",
        "}": ")",
        "<": "(",
        ">": ")",
        "_": "-",
        "|": "/",
        "\\": "/",
        "~": "-",
        "`": "'",
        "^": " ",
    }
)


def decode(raw: bytes, encoding: str) -> str:
    """``raw`` (a value's bytes) read in the partner's ``encoding``; AUTO as the module says."""
    if encoding != AUTO:
        return raw.decode(encoding, "replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _CP1252_UNDEFINED.isdisjoint(raw):
        return raw.decode("cp1252")
    return "".join(chr(b) if b in _CP1252_UNDEFINED else bytes((b,)).decode("cp1252") for b in raw)


def recode(value: str, encoding: str) -> str:
    """A value the reader read as Latin-1 (one character a byte), read again in the partner's ``encoding``."""
    return decode(value.encode("latin-1"), encoding)


def is_latin_1(encoding: str) -> bool:
    """Whether ``encoding`` is what the reader reads every byte as already (nothing to read again)."""
    return encoding.lower().replace("_", "-") in ("latin-1", "latin1", "iso-8859-1")


def codec(encoding: str) -> str:
    """The codec written text is encoded with: it is ASCII by then (``limited``), so AUTO writes Latin-1."""
    return "latin-1" if encoding == AUTO else encoding


def fits(text: str, charset: Charset) -> bool:
    """Whether every character of ``text`` is in ``charset``."""
    return (_NOT_BASIC if charset == "basic" else _NOT_EXTENDED).search(text) is None


@functools.lru_cache(maxsize=4096)
def limited(value: str, charset: Charset) -> str:
    """``value`` in the partner's character set: transliterated where it has a likeness, ``?`` where not."""
    if not fits(value, "extended"):
        value = value.translate(_LIKE)
        value = "".join(ch for ch in unicodedata.normalize("NFKD", value) if not unicodedata.combining(ch))
        value = _NOT_EXTENDED.sub("?", value)
    if charset == "basic" and not fits(value, "basic"):
        value = _NOT_BASIC.sub("?", value.upper().translate(_TO_BASIC))
    return value
