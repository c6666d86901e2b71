"""Writing X12: segments with a partner's delimiters, and ISA/GS/ST envelopes around them.

Control numbers are passed in (allocating them is the store's job, inside the transaction that records the
document). The ISA is always fixed-width (106 bytes before any newline); dates are CCYYMMDD and times
HHMM; trailing empty elements are dropped. A value that holds one of the partner's delimiters is refused
rather than written, because it would split a segment on the partner's side. Every value is limited to the
partner's character set here, the one place all outbound sets pass (``text.limited``): no byte above 0x7F
is written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from crossdock.mappings.x12.delimiters import Delimiters
from crossdock.mappings.x12.text import Charset, codec, fits, limited

Element = str | int | Decimal | Sequence[str] | None


class X12WriteError(ValueError):
    """A document that cannot be written as asked (a value holding a delimiter, an empty mandatory value)."""


@dataclass(slots=True)
class TransactionSet:
    """One outbound set under construction: ST is added on creation, SE (with its count) on ``finish``."""

    code: str
    control: str
    implementation: str | None = None
    segments: list[list[Element]] = field(default_factory=list)

    def __post_init__(self) -> None:
        header: list[Element] = ["ST", self.code, self.control]
        if self.implementation:
            header.append(self.implementation)
        self.segments.append(header)

    def add(self, tag: str, *elements: Element) -> None:
        self.segments.append([tag, *elements])

    def finish(self) -> list[list[Element]]:
        if self.segments[-1][0] != "SE":
            self.segments.append(["SE", str(len(self.segments) + 1), self.control])
        return self.segments


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who sends to whom, with which numbers: everything an ISA and a GS need."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    interchange_control: int
    group_control: int
    functional_id: str
    version: str = "004010"
    application_sender: str | None = None
    application_receiver: str | None = None
    usage: str = "P"
    ack_requested: bool = False
    created: datetime = field(default_factory=datetime.now)


def stamps(created: datetime) -> tuple[str, str, str]:
    """ISA09 (YYMMDD), the time (HHMM) and GS04 (CCYYMMDD), formatted once a minute: a batch's documents
    share them."""
    return _stamps(created.replace(second=0, microsecond=0))


@functools.lru_cache(maxsize=64)
def _stamps(minute: datetime) -> tuple[str, str, str]:
    return minute.strftime("%y%m%d"), minute.strftime("%H%M"), minute.strftime("%Y%m%d")


def format_decimal(value: Decimal | int, places: int | None = None) -> str:
    """An explicit decimal (R) without exponent or needless trailing zeros: 12.50 -> 12.5, 3.00 -> 3."""
    d = value if value.__class__ is Decimal else Decimal(value)
    if places is not None:
        d = d.quantize(Decimal(1).scaleb(-places))
    text = str(d)
    if "E" in text:  # str() writes very large and very small numbers with an exponent
        text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def implied(value: Decimal, places: int = 2) -> str:
    """An implied-decimal number (N2): 56358.00 -> "5635800"."""
    scaled = (Decimal(value) * (10**places)).quantize(Decimal(1))
    return str(int(scaled))


def _text(value: Element, d: Delimiters, where: str) -> str:
    """One value as text, refusing a delimiter inside it (the slow path that names the value)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        for ch in (d.element, d.segment, d.component, d.repetition):
            if ch and ch in value:
                raise X12WriteError(f"{where}: value {value!r} holds the delimiter {ch!r}")
        return value
    return d.component.join(_text(v, d, where) for v in value).rstrip(d.component)


def _checked(segment: Sequence[Element], d: Delimiters) -> str:
    tag = str(segment[0])
    values = [_text(v, d, f"{tag}{i:02d}") for i, v in enumerate(segment[1:], 1)]
    while values and values[-1] == "":
        values.pop()
    return d.element.join([tag, *values])


def _empty(_: object) -> str:
    return ""


_CONVERT: dict[type, Callable[[Any], str]] = {type(None): _empty, Decimal: format_decimal, int: str}


def render_segment(segment: Sequence[Element], d: Delimiters) -> str:
    """A segment's text without its terminator; trailing empty elements are dropped."""
    try:
        values = [v if v.__class__ is str else "" if v is None else _CONVERT[v.__class__](v) for v in segment]
    except KeyError:
        return _checked(segment, d)
    while not values[-1]:
        values.pop()
    text = d.element.join(values)
    if (
        text.count(d.element) != len(values) - 1
        or d.segment in text
        or d.component in text
        or (d.repetition is not None and d.repetition in text)
    ):
        return _checked(segment, d)
    return text


def render_set(segments: Sequence[Sequence[Element]], d: Delimiters, end: str, charset: Charset = "extended") -> str:
    """A set's segments, each followed by ``end``, in ``charset``; the checks run once over the whole text.

    A set is rendered thousands of times a second. When every value is text, as the builders' busiest
    segments are, the whole set is two C-level joins; the counts of delimiters in the result then say
    whether any value held one, and trailing empty elements are stripped from the text. Anything else
    (numbers, ``None``, composites) takes the segment-by-segment path. A text outside ``charset`` (one
    ``isascii`` call says so for the extended set) is rendered again from values limited to it.
    """
    sep = d.element
    try:
        body = end.join(map(sep.join, segments)) + end  # type: ignore[arg-type]
    except TypeError:
        body = _render_each(segments, d, end)
        return _render_each(_limit(segments, charset), d, end) if _outside(body, d, end, charset) else body
    if _outside(body, d, end, charset):
        return render_set(_limit(segments, charset), d, end, charset)
    if (
        body.count(sep) != sum(map(len, segments)) - len(segments)
        or body.count(d.segment) != len(segments) * end.count(d.segment)
        or d.component in body
        or (d.repetition is not None and d.repetition in body)
    ):
        return _render_each(segments, d, end)
    trailing = sep + end
    while trailing in body:
        body = body.replace(trailing, end)
    return body


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _outside(body: str, d: Delimiters, end: str, charset: Charset) -> bool:
    """Whether a rendered text holds a character outside ``charset`` (the delimiters and ``end`` aside): a control
    character (a line break in a shopper's address, a bell) is in neither set, though ASCII."""
    if not body.isascii():
        return True
    if charset == "extended" and _CONTROL.search(body) is None:  # no control character at all: no need to look closer
        return False
    marks = {d.element, d.segment, d.component, d.repetition or "", end}
    for mark in sorted(marks, key=len, reverse=True):
        if mark:
            body = body.replace(mark, " ")
    return not fits(body, charset)


def _limit(segments: Sequence[Sequence[Element]], charset: Charset) -> list[list[Element]]:
    """The segments with every text value (and composite component) limited to ``charset``."""
    out: list[list[Element]] = []
    for segment in segments:
        values: list[Element] = [segment[0]]
        for v in segment[1:]:
            if isinstance(v, str):
                values.append(limited(v, charset))
            elif isinstance(v, list | tuple):
                values.append([limited(c, charset) for c in v])
            else:
                values.append(v)
        out.append(values)
    return out


def _render_each(segments: Sequence[Sequence[Element]], d: Delimiters, end: str) -> str:
    """Segment by segment: values converted to text, and a value holding a delimiter named and refused."""
    sep, convert = d.element, _CONVERT
    out: list[str] = []
    components = 0
    for segment in segments:
        try:
            text = sep.join(segment)  # type: ignore[arg-type]
        except TypeError:
            try:
                text = sep.join(
                    [v if v.__class__ is str else "" if v is None else convert[v.__class__](v) for v in segment]
                )
            except KeyError:
                text = _checked(segment, d)
                components += text.count(d.component)
                out.append(text)
                continue
        if text.count(sep) != len(segment) - 1:
            text = _checked(segment, d)
        out.append(text.rstrip(sep))
    body = end.join(out) + end
    if (
        body.count(d.segment) != len(out) * end.count(d.segment)
        or body.count(d.component) != components
        or (d.repetition is not None and d.repetition in body)
    ):
        for segment in segments:
            _checked(segment, d)
        raise X12WriteError("a value holds a delimiter")
    return body


def isa_segment(env: Envelope, d: Delimiters) -> list[str]:
    five = env.version.startswith("005")
    yymmdd, hhmm, _ = stamps(env.created)
    return [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        env.sender_qualifier.ljust(2),
        env.sender_id.ljust(15)[:15],
        env.receiver_qualifier.ljust(2),
        env.receiver_id.ljust(15)[:15],
        yymmdd,
        hhmm,
        (d.repetition or "^") if five else "U",
        "00501" if five else "00401",
        f"{env.interchange_control:09d}",
        "1" if env.ack_requested else "0",
        env.usage,
        d.component,
    ]


def write_interchange(
    env: Envelope,
    sets: Sequence[TransactionSet],
    d: Delimiters,
    *,
    newline: bool = False,
    encoding: str = "latin-1",
    charset: Charset = "extended",
) -> bytes:
    """One ISA with one GS holding ``sets``, each finished with its SE, their text in ``charset``; returns the
    bytes to send."""
    if len(env.sender_id) > 15 or len(env.receiver_id) > 15:
        raise X12WriteError("ISA06/ISA08 hold at most 15 characters")
    if not 1 <= env.interchange_control <= 999_999_999 or not 1 <= env.group_control <= 999_999_999:
        raise X12WriteError("control numbers run from 1 to 999999999")
    end = d.segment + ("\n" if newline else "")
    _, hhmm, ccyymmdd = stamps(env.created)
    out = [d.element.join(isa_segment(env, d)) + end]
    gs = [
        "GS",
        env.functional_id,
        env.application_sender or env.sender_id,
        env.application_receiver or env.receiver_id,
        ccyymmdd,
        hhmm,
        str(env.group_control),
        "X",
        env.version,
    ]
    out.append(render_segment(gs, d) + end)
    out.extend(render_set(ts.finish(), d, end, charset) for ts in sets)
    out.append(render_segment(["GE", str(len(sets)), str(env.group_control)], d) + end)
    out.append(render_segment(["IEA", "1", f"{env.interchange_control:09d}"], d) + end)
    return "".join(out).encode(codec(encoding))
