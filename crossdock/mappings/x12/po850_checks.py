"""The 850's business checks: a PO with no lines, a CTT01 that does not count them, a CTT02 that is not the hash
total of their quantities. Each is a warning: the PO is accepted with errors (AK5/IK5 E), never rejected for it.
"""

from __future__ import annotations

from decimal import Decimal

from crossdock.mappings.x12 import errors as E
from crossdock.mappings.x12.envelope import TransactionSet as ReadSet
from crossdock.mappings.x12.errors import Level, Severity, X12Error
from crossdock.mappings.x12.validator import register_rule
from crossdock.mappings.x12.values import PAD, decimal
from crossdock.mappings.x12.writer import format_decimal


@register_rule("850", streamed=lambda: LineCount())
def check_lines(ts: ReadSet) -> list[X12Error]:
    """An 850 with no PO1 lines, or a CTT01 that does not count them, or a CTT02 that is not the hash total of
    their quantities, is accepted but noted."""
    sep, body = ts.delimiters.element, ts.body
    lines = body.count(f"\nPO1{sep}") + body.count("\nPO1\n")  # ST comes first: each PO1 follows a newline
    ctt = body.find(f"\nCTT{sep}")
    if ctt == -1:
        return line_findings(ts, lines, None)
    at = body.count("\n", 0, ctt + 1)  # the CTT's index among the segments
    e = ts.elements(at) + PAD
    hashed = None
    if e[2].strip():  # the quantities are summed only when a hash total was sent
        hashed = HashTotal()
        for i, tag in enumerate(ts.tags[:at]):
            if tag == "PO1":
                hashed.add(ts.elements(i))
    return line_findings(ts, lines, (e[1], at + 1, ts.offsets[at]), (e[2], hashed))


class HashTotal:
    """The PO102 quantities summed two ways: as numbers, and as the standard's hash total (element 347: every
    digit of each value, decimal point and sign ignored, the sum cut to its ten rightmost digits). Senders use
    both, so a CTT02 that is either one is right."""

    def __init__(self) -> None:
        self.total = Decimal(0)
        self.digits = 0

    def add(self, po1: list[str]) -> None:
        value = po1[2] if len(po1) > 2 else ""
        number = decimal(value)
        if number is not None:
            self.total += number
        digits = "".join(ch for ch in value if "0" <= ch <= "9")
        if digits:
            self.digits += int(digits)

    def matches(self, declared: str) -> bool:
        number = decimal(declared)
        if number is None:
            return True  # a CTT02 that is no number is the validator's finding, not this rule's
        hashed = Decimal(self.digits % 10**10)
        return number == self.total or number == hashed


class LineCount:
    """``check_lines`` for a set read in batches: the PO1 segments counted and hashed, the first CTT kept."""

    def __init__(self) -> None:
        self.lines = 0
        self.hashed = HashTotal()
        self.ctt: tuple[str, int, int] | None = None
        self.declared_hash = ""

    def feed(self, ts: ReadSet, elements: list[list[str]]) -> None:
        for i, e in enumerate(elements):
            tag = e[0]
            if tag == "PO1":
                self.lines += 1
                if self.ctt is None:
                    self.hashed.add(e)
            elif tag == "CTT" and self.ctt is None and len(e) > 1:
                raw = ts.texts[i].split(ts.delimiters.element) + PAD  # as sent, like the set's text check_lines reads
                self.ctt = (raw[1], ts.handed + i + 1, ts.offsets[i])
                self.declared_hash = raw[2]

    def finish(self, ts: ReadSet) -> list[X12Error]:
        hashed = self.hashed if self.declared_hash.strip() else None
        return line_findings(ts, self.lines, self.ctt, (self.declared_hash, hashed))


def line_findings(
    ts: ReadSet,
    lines: int,
    ctt: tuple[str, int, int] | None,
    hash_total: tuple[str, HashTotal | None] = ("", None),
) -> list[X12Error]:
    """The findings for ``lines`` PO1 segments and the first CTT (its CTT01, position and offset), if any, and
    its CTT02 against the quantities summed."""
    if not lines:
        return [
            X12Error(
                Level.TRANSACTION,
                E.RULE_LINE_COUNT,
                "the purchase order has no PO1 lines",
                segment_id="ST",
                segment_position=1,
                offset=ts.offset,
                severity=Severity.WARNING,
            )
        ]
    if ctt is None:
        return []
    declared, position, offset = ctt
    found = []
    count = decimal(declared)
    if count is not None and count != lines:
        found.append(
            X12Error(
                Level.TRANSACTION,
                E.RULE_LINE_COUNT,
                f"CTT01 says {declared} lines, the order has {lines} PO1 segments",
                segment_id="CTT",
                segment_position=position,
                element_position=1,
                offset=offset,
                severity=Severity.WARNING,
            )
        )
    sent, hashed = hash_total
    if hashed is not None and not hashed.matches(sent):
        found.append(
            X12Error(
                Level.TRANSACTION,
                E.RULE_HASH_TOTAL,
                f"CTT02 says {sent.strip()}, the PO1 quantities sum to {format_decimal(hashed.total)}",
                segment_id="CTT",
                segment_position=position,
                element_position=2,
                offset=offset,
                severity=Severity.WARNING,
            )
        )
    return found
