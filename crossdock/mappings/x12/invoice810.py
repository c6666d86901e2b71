"""810 Invoice: canonical ``Invoice`` to X12 and back, plus the TDS business check.

Money traps (see tests/data/corpus/FINDINGS.md, 810):

* IT104 unit prices are explicit decimals (R); TDS01, SAC05 and ITD08 are implied two decimals (N2), so
  ``TDS*5635800`` is 56,358.00.
* crossdock computes TDS01 itself: sum of IT102 x IT104, plus charges, minus allowances, line and header SACs
  alike (SAC01 N is information only), rounded half-up once to cents. An ``Invoice.total_amount`` that
  disagrees by more than half a cent is refused rather than sent.
* Inbound, what a partner's TDS includes varies (allowances deducted or not; header SACs, line SACs or both,
  since some send the same charges at both levels), so the registered check accepts a TDS that matches any
  of those conventions within a cent and warns otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from crossdock.core.errors import DecodeError
from crossdock.core.fulfilment.models import Invoice, InvoiceLine
from crossdock.core.models import Charge, Reference, Terms
from crossdock.mappings.x12 import errors as E
from crossdock.mappings.x12 import writer
from crossdock.mappings.x12.envelope import Segment
from crossdock.mappings.x12.envelope import TransactionSet as ReadSet
from crossdock.mappings.x12.errors import Level, Severity, X12Error
from crossdock.mappings.x12.fragments import add_parties, body, fmt_date, pairs, read_party, sac_elements
from crossdock.mappings.x12.po850_written import write_terms
from crossdock.mappings.x12.validator import register_rule
from crossdock.mappings.x12.values import charge as read_charge
from crossdock.mappings.x12.values import decimal as parse_decimal
from crossdock.mappings.x12.values import id_pairs
from crossdock.mappings.x12.values import implied_decimal as parse_implied
from crossdock.mappings.x12.values import shipping_terms as read_shipping_terms
from crossdock.mappings.x12.values import terms as read_terms
from crossdock.mappings.x12.values import x12_date as parse_date
from crossdock.mappings.x12.writer import X12WriteError

CENT = Decimal("0.01")
WRITE_TOLERANCE = Decimal("0.005")
READ_TOLERANCE = Decimal("0.01")


def _signed(charge: Charge) -> Decimal:
    if charge.amount is None or charge.indicator not in ("A", "C"):
        return Decimal(0)
    return charge.amount if charge.indicator == "C" else -charge.amount


def invoice_total(invoice: Invoice) -> Decimal:
    """The exact (unrounded) total: lines plus charges minus allowances, line and header level."""
    total = sum((line.quantity * line.unit_price for line in invoice.lines), Decimal(0))
    total += sum((_signed(c) for line in invoice.lines for c in line.charges), Decimal(0))
    total += sum((_signed(c) for c in invoice.charges), Decimal(0))
    return total


def cents(amount: Decimal, where: str) -> str:
    """An N2 amount that must already be whole cents (money is never rounded silently)."""
    if amount != amount.quantize(CENT):
        raise X12WriteError(f"{where}: {amount} is not a whole number of cents (N2)")
    return writer.implied(amount)


def build_810(invoice: Invoice, control: str, version: str = "004010") -> writer.TransactionSet:
    """One 810 set; TDS01 is computed from the lines and charges, never copied from ``total_amount``.

    FOB (who pays the freight, where title passes) is the PO's first FOB, as some buyers' 810 guides require.
    CAD differs by version: in 004010 CAD01 (transport method) is optional and CAD carries the SCAC alone; from
    005010 on CAD01 is mandatory, so without a known transport method no CAD is written rather than a bad one.
    """
    total = invoice_total(invoice)
    if invoice.total_amount is not None and abs(invoice.total_amount - total) > WRITE_TOLERANCE:
        raise X12WriteError(
            f"810 {invoice.invoice_number}: total_amount {invoice.total_amount} disagrees with the lines and "
            f"charges, which come to {total}"
        )
    ts = writer.TransactionSet("810", control)
    invoice_date, po_date = fmt_date(invoice.invoice_date) or "", fmt_date(invoice.po_date) or ""
    ts.add("BIG", invoice_date, invoice.invoice_number, po_date, invoice.po_number)
    if invoice.currency != "USD":
        ts.add("CUR", "SE", invoice.currency)
    for ref in invoice.references:
        ts.add("REF", ref.qualifier, ref.value, ref.description or "")
    add_parties(ts, invoice.parties)
    for terms in invoice.terms:
        _add_terms(ts, terms)
    if invoice.ship_date:
        ts.add("DTM", "011", fmt_date(invoice.ship_date))
    write_terms(ts, invoice.shipping_terms[:1])  # the 810 header has room for one FOB
    for line in invoice.lines:
        where = f"810 line {line.position} ({line.line_number or 'blank'})"
        if not line.uom:
            raise X12WriteError(f"{where}: IT103 unit of measure is required with quantity and price")
        ts.add(
            "IT1",
            line.line_number or "",
            writer.format_decimal(line.quantity),
            line.uom,
            writer.format_decimal(line.unit_price),
            line.price_basis or "",
            *pairs(line.product_ids, where),
        )
        if line.description:
            ts.add("PID", "F", "", "", "", line.description)
        _add_charges(ts, line.charges, where)
    ts.add("TDS", writer.implied(total.quantize(CENT, ROUND_HALF_UP)))
    if invoice.carrier_scac and (invoice.transport_mode or not version.startswith("005")):
        ts.add("CAD", invoice.transport_mode or "", "", "", invoice.carrier_scac)
    _add_charges(ts, invoice.charges, f"810 {invoice.invoice_number} header")
    ts.add("CTT", str(len(invoice.lines)))
    return ts


def _add_terms(ts: writer.TransactionSet, t: Terms) -> None:
    ts.add(
        "ITD",
        t.type_code,
        t.basis_date_code,
        t.discount_percent,
        fmt_date(t.discount_due_date),
        t.discount_days,
        fmt_date(t.net_due_date),
        t.net_days,
        cents(t.discount_amount, "ITD08") if t.discount_amount is not None else None,
        None,
        None,
        None,
        t.description,
    )


def _add_charges(ts: writer.TransactionSet, charges: Sequence[Charge], where: str) -> None:
    for c in charges:
        if not c.code and not c.agency:
            raise X12WriteError(f"{where}: SAC02 allowance/charge code (or SAC03/04 agency code) is required")
        if bool(c.agency) != bool(c.agency_code):
            raise X12WriteError(f"{where}: SAC03 agency qualifier and SAC04 agency code go together")
        if (c.quantity is None) != (c.uom is None):
            raise X12WriteError(f"{where}: SAC09 unit and SAC10 quantity go together")
        if c.indicator in ("A", "C") and c.amount is None and c.percent is not None:
            raise X12WriteError(f"{where}: SAC07 percent without its SAC05 amount, which TDS01 must count")
        ts.add("SAC", *sac_elements(c, cents(c.amount, f"{where} SAC05") if c.amount is not None else None))


# --- reading -------------------------------------------------------------------------------------------------


def invoice_from_810(ts: ReadSet) -> Invoice:
    """Read a received 810; TDS01 and SAC05 are implied two decimals, IT104 an explicit decimal."""
    segs = body(ts)
    big = next((s for s in segs if s.id == "BIG"), None)
    invoice_date = parse_date(big.get(1)) if big else None
    if big is None or invoice_date is None:
        raise DecodeError("810 without a BIG segment carrying the invoice date")
    invoice = Invoice(
        invoice_number=big.get(2),
        invoice_date=invoice_date,
        po_date=parse_date(big.get(3)),
        po_number=big.get(4) or None,
    )
    line: InvoiceLine | None = None
    summary = False
    i = 0
    while i < len(segs):
        seg = segs[i]
        if seg.id == "N1" and line is None and not summary:
            party, i = read_party(segs, i)
            invoice.parties.append(party)
            continue
        i += 1
        if seg.id == "IT1":
            line = InvoiceLine(
                position=len(invoice.lines) + 1,
                line_number=seg.get(1) or None,
                quantity=parse_decimal(seg.get(2)) or Decimal(0),
                uom=seg.get(3),
                unit_price=parse_decimal(seg.get(4)) or Decimal(0),
                price_basis=seg.get(5) or None,
                product_ids=id_pairs(seg.elements, 6),
            )
            invoice.lines.append(line)
        elif seg.id == "TDS":
            summary, line = True, None
            invoice.total_amount = parse_implied(seg.get(1))
        elif seg.id == "SAC":
            (line.charges if line is not None else invoice.charges).append(read_charge(seg.elements))
        elif seg.id == "PID" and line is not None and seg.get(5) and line.description is None:
            line.description = seg.get(5)
        elif line is None and not summary:
            _read_header(invoice, seg)
        elif seg.id == "CAD" and summary and seg.get(4):
            invoice.carrier_scac = seg.get(4)
            invoice.transport_mode = seg.get(1) or None
    return invoice


def _read_header(invoice: Invoice, seg: Segment) -> None:
    if seg.id == "CUR" and seg.get(2):
        invoice.currency = seg.get(2)
    elif seg.id == "REF":
        invoice.references.append(Reference(qualifier=seg.get(1), value=seg.get(2), description=seg.get(3) or None))
    elif seg.id == "ITD":
        invoice.terms.append(read_terms(seg.elements))
    elif seg.id == "DTM" and seg.get(1) == "011":
        invoice.ship_date = parse_date(seg.get(2))
    elif seg.id == "FOB" and seg.get(1):
        invoice.shipping_terms.append(read_shipping_terms(seg.elements))


# --- business rule ------------------------------------------------------------------------------------------


def _sums(values: Iterable[Decimal]) -> Decimal:
    return sum(values, Decimal(0))


def tds_candidates(segs: Sequence[Segment]) -> tuple[Decimal | None, list[Decimal]]:
    """TDS01 as money and the totals it may legitimately be under each sender convention."""
    lines = Decimal(0)
    sacs: dict[tuple[bool, str], list[Decimal]] = {}
    tds: Decimal | None = None
    summary = False
    for seg in segs:
        if seg.id == "IT1":
            qty, price = parse_decimal(seg.get(2)), parse_decimal(seg.get(4))
            if qty is not None and price is not None:
                lines += qty * price
        elif seg.id == "TDS" and tds is None:
            tds = parse_implied(seg.get(1))
            summary = True
        elif seg.id == "SAC" and seg.get(1) in ("A", "C"):
            amount = parse_implied(seg.get(5))
            if amount is not None:
                sacs.setdefault((summary, seg.get(1)), []).append(amount)
    charges = {k: _sums(v) for k, v in sacs.items()}

    def scopes(indicator: str) -> list[Decimal]:
        line_level, header = charges.get((False, indicator), Decimal(0)), charges.get((True, indicator), Decimal(0))
        return [Decimal(0), line_level, header, line_level + header]

    return tds, [lines + c - a for c in scopes("C") for a in scopes("A")]


@register_rule("810")
def check_total(ts: ReadSet) -> list[X12Error]:
    """Warn when TDS01 matches no convention of sum(IT102 x IT104) +/- SAC amounts within a cent."""
    tds, candidates = tds_candidates(ts.segments)
    if tds is None or any(abs(tds - c) <= READ_TOLERANCE for c in candidates):
        return []
    seg = next(s for s in ts.segments if s.id == "TDS")
    plain = candidates[0]
    return [
        X12Error(
            Level.TRANSACTION,
            E.RULE_TOTAL_MISMATCH,
            f"TDS01 {tds} does not add up: the lines come to {plain}, and no combination of allowances and "
            "charges (line or header level) reaches the TDS",
            segment_id="TDS",
            segment_position=seg.position,
            offset=seg.offset,
            bad_value=seg.get(1),
            severity=Severity.WARNING,
        )
    ]


__all__ = ["build_810", "check_total", "invoice_from_810", "invoice_total", "tds_candidates"]
