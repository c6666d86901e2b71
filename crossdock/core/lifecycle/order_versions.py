"""Which version of a partner's PO wins: the X12 side of "versions never go backwards".

Every X12 document that makes or changes an order carries a ``Version``: what it is (the 850's BEG01 purpose,
or the 860's BCH01 with its BCH05 change sequence) and when its functional group was made (GS04/GS05: dated to
the minute in every version, where an 860's BCH11 gives only the day).
The stored order keeps the version that made it (``orders.version``; for an order stored before that column,
the purpose in its JSON). ``judge`` compares a document's version with the stored one:

* ``APPLY``: it is the next version.
* ``OLDER``: it is older than the stored one (an interchange made earlier, an 860 whose change sequence is not
  above the last applied, a duplicate (07) or confirmation (06) of an order crossdock has): kept and recorded,
  the order is not changed.
* ``CONFLICT``: it contradicts the stored version: an original (00) after a replacement, an applied 860 or a
  cancel; a change to a cancelled order; an 860 whose sequence skips one not yet received. The order is not
  changed and a person is alerted; ``crossdock replay DOCUMENT --force`` applies the document as the next
  version when the person decides it is right.

Two versions made at the same minute (or without a usable date) are ordered as stored: the later stored wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

ORIGINAL, CANCEL, CHANGE, REPLACE, CONFIRMATION, DUPLICATE = "00", "01", "04", "05", "06", "07"


class Verdict(Enum):
    APPLY = "apply"
    OLDER = "older"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class Version:
    """One version of an X12 order: ``purpose`` (BEG01/BCH01), the highest 860 change sequence applied (BCH05)
    and when its group was made, as ``YYYYMMDDHHMM`` (None when unknown)."""

    purpose: str
    sequence: int | None = None
    made: str | None = None
    from_860: bool = False

    def text(self) -> str:
        """As stored in ``orders.version``."""
        return f"{self.purpose};{'' if self.sequence is None else self.sequence};{self.made or ''}"

    @classmethod
    def parse(cls, text: str | None, purpose: str | None = None) -> Version:
        """The stored version; an order stored before versions were kept has only its JSON's purpose."""
        if not text:
            return cls(purpose or ORIGINAL)
        stored, sequence, made = [*text.split(";"), "", ""][:3]
        return cls(stored or ORIGINAL, int(sequence) if sequence.isdigit() else None, made or None)


def sequence_of(bch05: str | None) -> int | None:
    """BCH05 as a number; a sender's non-numeric sequence is not one crossdock can order by."""
    value = (bch05 or "").strip()
    return int(value) if value.isdigit() and len(value) <= 9 else None


def made_at(date: str | None, time: str | None) -> str | None:
    """``YYYYMMDDHHMM`` from a GS04/GS05 (CCYYMMDD) or ISA09/ISA10 (YYMMDD, read as 20YY) date and time."""
    day = (date or "").strip()
    clock = ((time or "").strip() + "0000")[:4]
    if len(day) == 6 and day.isdigit():
        day = "20" + day
    if len(day) != 8 or not day.isdigit() or not clock.isdigit():
        return None
    return day + clock


def judge(new: Version, stored: Version, *, stored_cancelled: bool, stored_later: bool) -> tuple[Verdict, str]:
    """What becomes of a document's version of an order against the stored version, and why in words.

    ``stored_later``: the stored version came from a document stored after this one (two workers recording two
    versions in either order); it decides between versions made at the same minute."""
    if new.from_860:
        return _judge_860(new, stored, stored_cancelled, stored_later)
    if new.purpose in (CONFIRMATION, DUPLICATE):
        kind = "a duplicate (BEG01 07)" if new.purpose == DUPLICATE else "a confirmation (BEG01 06)"
        return Verdict.OLDER, f"{kind} of an order crossdock has"
    if _made_before(new, stored, stored_later):
        return Verdict.OLDER, "an older version (its interchange was made before the stored one's)"
    if new.purpose == ORIGINAL and (stored.purpose != ORIGINAL or stored.sequence is not None):
        return Verdict.CONFLICT, f"an original (BEG01 00) after {_what(stored)}"
    return Verdict.APPLY, ""


def _judge_860(new: Version, stored: Version, cancelled: bool, stored_later: bool) -> tuple[Verdict, str]:
    if new.sequence is not None and stored.sequence is not None:
        if new.sequence <= stored.sequence:
            return Verdict.OLDER, f"860 change {new.sequence} is not after change {stored.sequence}, applied already"
        if new.sequence > stored.sequence + 1:
            return Verdict.CONFLICT, f"860 change {new.sequence} came before change {stored.sequence + 1}"
    elif _made_before(new, stored, stored_later):
        return Verdict.OLDER, "an older 860 (its interchange was made before the stored version's)"
    if cancelled:
        if new.purpose == CANCEL:
            return Verdict.OLDER, "a cancel of an order cancelled already"
        if new.purpose != REPLACE:
            return Verdict.CONFLICT, "an 860 change to a cancelled order"
    return Verdict.APPLY, ""


def _made_before(new: Version, stored: Version, stored_later: bool) -> bool:
    if new.made and stored.made and new.made != stored.made:
        return new.made < stored.made
    return stored_later


def _what(stored: Version) -> str:
    if stored.purpose == CANCEL:
        return "a cancel"
    if stored.sequence is not None or stored.purpose == CHANGE:
        return "an 860 change"
    if stored.purpose == REPLACE:
        return "a replacement (05)"
    return f"a version with purpose {stored.purpose}"


def after(new: Version, stored: Version) -> Version:
    """The version stored once ``new`` is applied: the highest change sequence is kept across replacements."""
    sequences = [s for s in (new.sequence, stored.sequence) if s is not None]
    made = max((m for m in (new.made, stored.made) if m), default=None)
    return Version(new.purpose, max(sequences) if sequences else None, made)
