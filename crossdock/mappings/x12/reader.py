"""The streaming X12 reader: bytes in, interchanges, groups and transaction sets out.

It reads in chunks and holds at most one transaction set (plus one chunk) in memory, re-reads the
delimiters at every ISA, and keeps every segment's byte offset and its position in its set (ST = 1).
Bytes are read as Latin-1 (or cp037 for EBCDIC), which maps each byte to one character: offsets stay byte
offsets and no byte can fail to decode. Values that carry non-ASCII bytes are then decoded in the partner
``encoding``: by default ``text.AUTO`` (UTF-8 where a value is UTF-8, Windows-1252 elsewhere), or one it
names (``utf-8``, ``cp1252``: what does not decode is replaced); ``latin-1`` keeps the bytes as read.

Why not pyx12's tokenizer: it reads the ISA at fixed offsets (so short, NBSP-padded and wrapped ISAs fail),
accepts only ISA12 00401/00501, treats only CR/LF as noise after terminators, and drops byte offsets; the
corpus in ``tests/data/corpus`` has real files of each kind. crossdock keeps pyx12 as the independent reader
its tests check every written document with.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from crossdock.core.errors import NotX12Error
from crossdock.mappings.x12 import errors as E
from crossdock.mappings.x12.delimiters import ISA_SCAN_LIMIT, WHITESPACE, read_isa, sniff
from crossdock.mappings.x12.envelope import (
    SERVICE_SEGMENTS,
    Event,
    FunctionalGroup,
    Interchange,
    Segment,
    TransactionSet,
)
from crossdock.mappings.x12.errors import Level, X12Error
from crossdock.mappings.x12.text import AUTO, is_latin_1, recode
from crossdock.mappings.x12.tracker import EnvelopeTracker

CHUNK_SIZE = 1 << 20
FIRST_WINDOW, LAST_WINDOW = 1 << 12, 1 << 16  # split this much at a time, doubling within an interchange
Source = bytes | bytearray | memoryview | BinaryIO | Path | str
_ENVELOPE = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})
_SEGMENT_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


@dataclass(frozen=True, slots=True)
class Streaming:
    """Sets to hand on as they are read instead of whole: their codes, and the segments a batch holds at least.

    Such a set, once it has ``batch`` segments, comes as ("segments", set) events, each holding the segments
    read since the last (``TransactionSet.hand_on``), and then as its ("transaction", set) event with the rest;
    it keeps no raw text. A consumer that validates and maps it batch by batch holds one batch, not the set.
    """

    codes: frozenset[str]
    batch: int

    def takes(self, ts: TransactionSet) -> bool:
        """Whether the open set is to be handed on now."""
        return len(ts.texts) >= self.batch and (ts.handed > 0 or ts.code in self.codes)


def _open(source: Source) -> tuple[BinaryIO, str | None, bool]:
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(source)), None, True
    if isinstance(source, str | Path):
        return open(source, "rb"), str(source), True
    return source, getattr(source, "name", None), False


def iter_events(
    source: Source,
    *,
    encoding: str = AUTO,
    name: str | None = None,
    chunk_size: int = CHUNK_SIZE,
    streaming: Streaming | None = None,
) -> Iterator[Event]:
    """Yield ("interchange" | "group" | "transaction" | "group_end" | "interchange_end", object) in file order,
    and ("segments", set) for the sets ``streaming`` hands on in batches.

    Raises NotX12Error only when the data does not start with an interchange; every later problem is an
    ``X12Error`` on the interchange, group or transaction set it belongs to.
    """
    stream, opened_name, owned = _open(source)
    name = name or opened_name
    try:
        yield from _events(stream, encoding, name, chunk_size, streaming)
    finally:
        if owned:
            stream.close()


def _events(
    stream: BinaryIO, encoding: str, name: str | None, chunk_size: int, streaming: Streaming | None
) -> Iterator[Event]:
    head = stream.read(chunk_size)
    codec, skip = sniff(head, name)
    again = not is_latin_1(encoding) and codec == "latin-1"  # values read again in the partner's encoding
    text = head.decode(codec)
    base = 0
    pos = skip
    eof = not head
    env = EnvelopeTracker(codec, encoding if again else None)
    fragments: list[str] = []
    ts_start = 0
    last: Interchange | None = None

    def refill() -> bool:
        nonlocal text, base, pos, eof, ts_start
        if eof:
            return False
        more = stream.read(chunk_size)
        if not more:
            eof = True
            return False
        if env.ts is not None and not env.ts.handed:
            fragments.append(text[ts_start:pos])
            ts_start = 0
        base += pos
        text = text[pos:] + more.decode(codec)
        pos = 0
        return True

    while True:
        while True:
            while pos < len(text) and text[pos] in WHITESPACE:
                pos += 1
            if pos < len(text) or not refill():
                break
        if pos >= len(text):
            break
        while len(text) - pos < ISA_SCAN_LIMIT + 8 and refill():
            pass
        if not text.startswith("ISA", pos):
            if last is None:
                raise NotX12Error(f"no ISA interchange header at byte {base + pos}", source=name, offset=base + pos)
            last.errors.append(
                X12Error(
                    Level.INTERCHANGE,
                    E.ISA_INVALID_CONTENT,
                    f"data after the IEA that is not an interchange: {text[pos : pos + 20]!r}",
                    offset=base + pos,
                )
            )
            break
        try:
            isa = read_isa(text, pos)
        except NotX12Error as exc:
            if last is None:
                exc.source = name
                raise NotX12Error(exc.reason, source=name, offset=base + (exc.offset or 0)) from None
            last.errors.append(
                X12Error(
                    Level.INTERCHANGE,
                    E.ISA_INVALID_CONTROL_STRUCTURE,
                    f"unreadable ISA: {exc.reason}",
                    segment_id="ISA",
                    offset=base + pos,
                )
            )
            break
        ic = env.start_interchange(isa, base + pos)
        last = ic
        yield ("interchange", ic)
        delims = isa.delimiters
        term, sep, tlen = delims.segment, delims.element, len(delims.segment)
        strip_cr = isa.newline_terminated
        pos = isa.end
        new_isa = False
        stop = False
        window = FIRST_WINDOW
        while not stop:
            end = text.rfind(term, pos, pos + window)
            window = min(window * 2, LAST_WINDOW)
            if end == -1:
                end = text.find(term, pos)
            at_eof = False
            if end == -1:
                if refill():
                    continue
                if not text[pos:].strip(WHITESPACE):
                    pos = len(text)
                    break
                pieces = [text[pos:]]
                at_eof = stop = True
            else:
                pieces = text[pos:end].split(term)
            for piece in pieces:
                start = pos
                pos = start + len(piece) + tlen
                seg_text = piece.lstrip(WHITESPACE)
                if not seg_text:
                    continue
                lead = len(piece) - len(seg_text)
                if strip_cr:
                    seg_text = seg_text.rstrip("\r")
                elif "\n" in seg_text or "\r" in seg_text:
                    seg_text = seg_text.replace("\r", "").replace("\n", "")
                if at_eof and len(term) > 1:
                    seg_text = seg_text.rstrip(term)
                ts = env.ts
                if ts is not None and (seg_text[0] not in "SGI" or seg_text.split(sep, 1)[0] not in _ENVELOPE):
                    ts.texts.append(seg_text)
                    ts.offsets.append(base + start + lead)
                    continue
                parts = seg_text.split(sep)
                tag = parts[0]
                if again and not seg_text.isascii():
                    parts = [recode(p, encoding) for p in parts]
                if tag == "ISA":
                    pos = start + lead
                    new_isa = stop = True
                    break
                if ts is not None and tag != "SE" and not ts.text and not ts.handed:
                    ts.text = "".join(fragments) + text[ts_start:start]
                if tag == "ST":
                    seg = Segment(parts, base + start + lead, 1, delims, seg_text)
                    events = env.start_set(seg)
                    if env.ts is not None:
                        fragments.clear()
                        ts_start = start + lead
                elif tag == "SE" and ts is not None:
                    ts.texts.append(seg_text)
                    ts.offsets.append(base + start + lead)
                    seg = Segment(parts, base + start + lead, ts.count, delims, seg_text)
                    if not ts.handed:
                        ts.text = "".join(fragments) + text[ts_start:pos]
                    fragments.clear()
                    events = env.close_set(seg)
                else:
                    seg = Segment(parts, base + start + lead, 0, delims, seg_text)
                    if tag == "GS":
                        events = env.start_group(seg)
                    elif tag == "GE":
                        events = env.close_group(seg)
                    elif tag == "IEA":
                        yield from env.close_interchange(seg)
                        stop = True
                        break
                    elif tag == "SE":
                        events = env.close_set(seg)
                    elif tag in SERVICE_SEGMENTS:
                        env.service(seg)
                        continue
                    else:
                        what = "unrecognized data" if not _SEGMENT_ID_CHARS.issuperset(tag) else f"segment {tag}"
                        ic.errors.append(
                            X12Error(
                                Level.INTERCHANGE,
                                E.ISA_INVALID_CONTENT,
                                f"{what} {seg_text[:30]!r} outside a transaction set",
                                segment_id=tag[:3],
                                offset=seg.offset,
                            )
                        )
                        continue
                yield from events
            pos = min(pos, len(text))
            ts = env.ts
            if streaming is not None and ts is not None and streaming.takes(ts):
                yield ("segments", ts)
                ts.hand_on()
                fragments.clear()
        if env.interchange is not None:
            if env.ts is not None and not env.ts.handed:
                env.ts.text = "".join(fragments) + text[ts_start:pos]
            marker = Segment(["ISA"], base + pos, 0, delims) if new_isa else None
            yield from env.close_interchange(marker)


def read_transactions(source: Source, *, encoding: str = AUTO, name: str | None = None) -> Iterator[TransactionSet]:
    """Only the transaction sets, each linked to its group and interchange; envelope errors stay on those."""
    for kind, obj in iter_events(source, encoding=encoding, name=name):
        if kind == "transaction":
            assert isinstance(obj, TransactionSet)
            yield obj


def parse(source: Source, *, encoding: str = AUTO, name: str | None = None) -> list[Interchange]:
    """Read a whole (small) file into interchanges with their groups and transaction sets attached."""
    interchanges: list[Interchange] = []
    for kind, obj in iter_events(source, encoding=encoding, name=name):
        if kind == "interchange":
            assert isinstance(obj, Interchange)
            interchanges.append(obj)
        elif kind == "transaction":
            assert isinstance(obj, TransactionSet)
            obj.group.transactions.append(obj)
    return interchanges


__all__ = [
    "FunctionalGroup",
    "Interchange",
    "Segment",
    "Streaming",
    "TransactionSet",
    "iter_events",
    "parse",
    "read_transactions",
]
