"""Finding an interchange and its delimiters: sniffing the bytes, then reading each ISA by its separators.

Real partners send short ISAs, ISAs padded with NO-BREAK SPACE, multibyte terminators, terminators followed
by CR/LF and indentation, and files hard-wrapped at a fixed record length. So the ISA is read by counting
its sixteen element separators, never by fixed offsets; ISA16 is the character after the last one and the
segment terminator the character after that.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crossdock.core.errors import NotX12Error
from crossdock.mappings.x12 import errors as E
from crossdock.mappings.x12.errors import Level, Severity, X12Error

BOM = b"\xef\xbb\xbf"
EBCDIC_ISA = b"\xc9\xe2\xc1"
NEWLINES = "\r\n"
WHITESPACE = " \t\r\n\x00\x0b\x0c"
ISA_SCAN_LIMIT = 600
ISA_LENGTH = 106


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str = "*"
    component: str = ">"
    segment: str = "~"
    repetition: str | None = None

    def __post_init__(self) -> None:
        used = [self.element, self.component, self.segment] + ([self.repetition] if self.repetition else [])
        if len(set(used)) != len(used):
            raise ValueError(f"delimiters must differ: {used!r}")


@dataclass(slots=True)
class IsaRead:
    """What reading one ISA gave: its sixteen elements, delimiters and where the first segment after it starts."""

    elements: list[str]
    delimiters: Delimiters
    end: int
    newline_terminated: bool
    wrapped: bool
    findings: list[X12Error] = field(default_factory=list)


def sniff(head: bytes, source: str | None = None) -> tuple[str, int]:
    """Return (codec, bytes to skip) for a file that starts an X12 interchange, or raise NotX12Error."""
    start = len(BOM) if head.startswith(BOM) else 0
    while start < len(head) and head[start : start + 1] in (b" ", b"\t", b"\r", b"\n", b"\x00"):
        start += 1
    body = head[start:]
    if body.startswith(b"ISA"):
        return "latin-1", start
    if body.startswith(EBCDIC_ISA):
        return "cp037", start
    if not body:
        raise NotX12Error("empty file: no ISA interchange header", source=source, offset=0)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        reason = "UTF-16 text, not an X12 interchange"
    elif body.startswith(b"%PDF"):
        reason = "a PDF document, not an X12 interchange"
    elif body.startswith((b"UNA", b"UNB")):
        reason = "an EDIFACT interchange (UNA/UNB), not X12"
    elif body.startswith(b"PK\x03\x04"):
        reason = "a ZIP archive, not an X12 interchange"
    elif body[:1] in (b"<", b"{", b"["):
        reason = "XML, HTML or JSON text, not an X12 interchange"
    else:
        shown = body[:12].decode("latin-1")
        reason = f"no ISA interchange header: the data starts with {shown!r}"
    raise NotX12Error(reason, source=source, offset=start)


def _finding(
    code: str, message: str, offset: int, severity: Severity = Severity.ERROR, pos: int | None = None
) -> X12Error:
    return X12Error(
        Level.INTERCHANGE, code, message, segment_id="ISA", element_position=pos, offset=offset, severity=severity
    )


def _is_record_wrapped(text: str, start: int, first_newline: int) -> bool:
    """A fixed-record file: the ISA's first line and the next one have the same length (at least 60)."""
    width = len(text[start:first_newline].rstrip("\r"))
    if width < 60:
        return False
    nxt = text.find("\n", first_newline + 1)
    line = text[first_newline + 1 : nxt if nxt != -1 else len(text)].rstrip("\r")
    return len(line) == width or (nxt == -1 and 0 < len(line) <= width)


def _multibyte(text: str, at: int) -> str | None:
    """A UTF-8 character (read as Latin-1 code units) starting at ``at``, e.g. U+2026 as three units."""
    lead = ord(text[at])
    if lead < 0xC2 or lead > 0xF4:
        return None
    width = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
    chunk = text[at : at + width]
    try:
        char = chunk.encode("latin-1").decode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return None
    return chunk if len(char) == 1 and not char.isalnum() else None


def read_isa(text: str, start: int) -> IsaRead:
    """Read the ISA beginning at ``text[start]``; raise NotX12Error when it cannot be an ISA at all."""
    sep = text[start + 3 : start + 4]
    if not sep or sep.isalnum() or sep in WHITESPACE:
        raise NotX12Error(f"ISA element separator {sep!r} is not a usable delimiter", offset=start + 3)
    findings: list[X12Error] = []
    positions: list[int] = []
    i = start + 3
    for _ in range(15):
        j = text.find(sep, i + 1)
        if j == -1 or j - start > ISA_SCAN_LIMIT:
            raise NotX12Error(
                f"ISA is cut short: found {len(positions) + 1} of its 16 element separators {sep!r}", offset=start
            )
        positions.append(j)
        i = j
    raw = text[start : i + 1]
    wrapped = False
    nl = next((start + k for k, ch in enumerate(raw) if ch in NEWLINES), -1)
    if nl != -1:
        wrapped = _is_record_wrapped(text, start, text.find("\n", start) if "\n" in raw else nl)
        if not wrapped:
            findings.append(
                _finding(E.ISA_INVALID_CONTROL_STRUCTURE, "the ISA is broken across lines by a line break", nl)
            )
    k = i + 1
    while wrapped and k < len(text) and text[k] in NEWLINES:
        k += 1
    component = text[k : k + 1]
    k += 1
    while wrapped and k < len(text) and text[k] in NEWLINES:
        k += 1
    term = text[k : k + 1]
    newline_terminated = False
    end = k + 1
    if term in ("", "\r", "\n"):
        newline_terminated = True
        term = "\n"
        if text[k : k + 2] == "\r\n":
            end = k + 2
        elif not text[k : k + 1]:
            end = k
    elif (mb := _multibyte(text, k)) is not None:
        term = mb
        end = k + len(mb)
    elif term == " " and text[k + 1 : k + 2] in ("\r", "\n"):
        # a SPACE terminator followed by a line break: spaces also occur inside values, so the pair is the terminator
        term = " \r\n" if text[k + 1 : k + 3] == "\r\n" else " \n"
        end = k + len(term)
    fields = [text[a + 1 : b] for a, b in zip([start + 3, *positions[:-1]], positions, strict=True)]
    if wrapped or nl != -1:
        fields = [f.replace("\r", "").replace("\n", "") for f in fields]
    elements = ["ISA", *fields, component]
    if not component or component in NEWLINES or component == sep:
        raise NotX12Error(f"ISA16 component separator {component!r} is not a usable delimiter", offset=k - 1)
    if term in (component, sep):
        raise NotX12Error(f"ISA segment terminator {term!r} repeats another delimiter", offset=k)
    repetition = fields[10] if fields[10] not in ("U", "", " ") and not fields[10].isalnum() else None
    if repetition in (sep, component, term):
        repetition = None
    delimiters = Delimiters(sep, component, term, repetition)
    length = len(text[start:end].replace("\r", "").replace("\n", ""))
    if length != ISA_LENGTH and not (newline_terminated and length == ISA_LENGTH - 1):
        findings.append(
            _finding(
                E.ISA_INVALID_CONTROL_STRUCTURE, f"ISA is {length} bytes, not {ISA_LENGTH}", start, Severity.WARNING
            )
        )
    return IsaRead(elements, delimiters, end, newline_terminated, wrapped, findings)
