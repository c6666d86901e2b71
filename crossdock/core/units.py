"""Units of measure and packs: a quantity in one X12 unit (element 355) as a quantity in another, for one item.

A warehouse may confirm in eaches what the buyer ordered in cases. Comparing the numbers as they stand calls 12
eaches an overshipment of a 1-case line; writing them under the PO's unit tells the buyer 12 cases shipped. So
every shipped quantity is put in the order line's unit before it is compared or written
(``shipment_checks.check_shipped``).

How many eaches a unit holds:

- fixed units: each (EA), unit (UN), piece (PC) 1, pair (PR) 2, dozen (DZ) 12;
- the inner pack (PK, IN): the line's PO414 inner pack, else the catalogue's units per inner pack;
- the case (CA, CS, CT carton, BX box): PO401 pack times PO414 inner pack when the PO gives both (PO401 counts
  inner packs in the case), PO401 alone when it gives only that (the common reading: PO4*12 is 12 eaches a case),
  else the catalogue's units per case.

A quantity that has no exact count in the other unit (13 eaches as cases of 12), or a unit with no known count,
is an error: the caller holds the shipment with the reason rather than guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, Inexact, localcontext

from crossdock.core.models import OrderLine

FIXED: Mapping[str, int] = {"EA": 1, "UN": 1, "PC": 1, "PR": 2, "DZ": 12}
INNER_PACKS = frozenset({"PK", "IN"})
CASES = frozenset({"CA", "CS", "CT", "BX"})
CATALOGUE_IDS = ("VN", "SK", "BP", "IN", "UP", "EN", "UK")  # the item ids a catalogue is looked up by, best first


class UnitError(ValueError):
    """Two quantities that cannot be put in one unit."""


@dataclass(frozen=True, slots=True)
class Packing:
    """Eaches a case and an inner pack of one item hold, where known."""

    case: int | None = None
    inner: int | None = None


def line_packing(line: OrderLine, catalogue: Mapping[str, Packing] | None = None) -> Packing:
    """The order line's packing: its PO4 first (the buyer's own statement), the catalogue for what it leaves out."""
    known = Packing()
    for qualifier in CATALOGUE_IDS:
        item = line.product_ids.get(qualifier)
        if catalogue and item is not None and item in catalogue:
            known = catalogue[item]
            break
    inner = line.inner_pack or known.inner
    if line.pack:
        return Packing(case=line.pack * line.inner_pack if line.inner_pack else line.pack, inner=inner)
    return Packing(case=known.case, inner=inner)


def eaches_in(unit: str, packing: Packing) -> int | None:
    """How many eaches one ``unit`` holds for an item packed so, or None when nothing says."""
    code = unit.strip().upper()
    if code in FIXED:
        return FIXED[code]
    if code in CASES:
        return packing.case
    if code in INNER_PACKS:
        return packing.inner
    return None


def convert(quantity: Decimal, unit: str, to: str, packing: Packing) -> Decimal:
    """``quantity`` of ``unit`` as a quantity of ``to``; raises UnitError when there is no exact answer."""
    if unit.strip().upper() == to.strip().upper():
        return quantity
    have, want = eaches_in(unit, packing), eaches_in(to, packing)
    if not have or not want:
        missing = unit if not have else to
        raise UnitError(f"{quantity} {unit} cannot be counted in {to}: how many eaches a {missing} holds is unknown")
    with localcontext() as exact:
        exact.traps[Inexact] = True
        try:
            result = quantity * have / want
        except Inexact:
            raise UnitError(f"{quantity} {unit} has no exact count in {to} ({want} eaches each)") from None
    return result.quantize(Decimal(1)) if result == result.to_integral_value() else result.normalize()


def convert_down(quantity: Decimal, unit: str, to: str, packing: Packing) -> Decimal:
    """``quantity`` of ``unit`` as the whole ``to`` units it fills (stock to sell: 30 eaches are 2 cases of 12,
    the 6 over are no case); raises UnitError when how many eaches either unit holds is unknown."""
    if unit.strip().upper() == to.strip().upper():
        return quantity
    have, want = eaches_in(unit, packing), eaches_in(to, packing)
    if not have or not want:
        missing = unit if not have else to
        raise UnitError(f"{quantity} {unit} cannot be counted in {to}: how many eaches a {missing} holds is unknown")
    return (quantity * have) // want


def catalogue_rows(rows: Iterable[Mapping[str, str]], where: str) -> dict[str, Packing]:
    """A product catalogue from CSV rows (columns ``sku``, ``units_per_case``, ``units_per_inner_pack``)."""
    out: dict[str, Packing] = {}
    for number, row in enumerate(rows, 2):
        sku = (row.get("sku") or "").strip()
        if not sku:
            raise ValueError(f"{where} row {number}: sku is empty")
        out[sku] = Packing(
            case=_count(row.get("units_per_case"), f"{where} row {number} units_per_case"),
            inner=_count(row.get("units_per_inner_pack"), f"{where} row {number} units_per_inner_pack"),
        )
    return out


def _count(text: str | None, where: str) -> int | None:
    if text is None or not text.strip():
        return None
    if not text.strip().isdigit() or int(text) < 1:
        raise ValueError(f"{where}: {text!r} is not a whole number of units above 0")
    return int(text)
