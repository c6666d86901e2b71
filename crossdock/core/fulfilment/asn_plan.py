"""What a buyer's 856 says beyond the warehouse's confirmation: ship-from and ship-to, the PO's references and
packs, the lading (TD1), and which POs share one 856.

A warehouse's confirmation often names neither where it shipped from nor where to: ship-from comes from the
configuration (``ship_from``: the warehouse's own entry, else the company's), ship-to from the order. REF*IA
(vendor number) and REF*DP (department) are copied from the PO at the level the partner's ``asn_references``
names. DTM*017 (estimated delivery) is the warehouse's, else the ship date plus ``asn_transit_days``.
TD1 gets a packaging code and lading quantity from the packages and pallets the 856 lists.

One confirmation can carry several POs (a Shipment JSON or CSV file, ShipBob). Each PO is recorded on its own;
for a buyer that wants one 856 per PO each gets its own BSN02 (the shipment id and ``-1``, ``-2``...) and its
share of the weight, by units shipped, so the weights add up to the truck's once. A buyer with
``asn_consolidate`` gets one 856 for the POs of a file that share a bill of lading (or a shipment id) and a
ship-to, with an order level each, one BSN02 and the weight declared once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from crossdock.core.configuration.documents import AsnLevel, AsnReference
from crossdock.core.fulfilment.models import Shipment
from crossdock.core.models import Order, Party, Reference

PALLET, CARTON = "PLT94", "CTN25"  # TD101: packaging form and material (pallet, wood; carton, corrugated)
BSN02_MAX = 30
ASN_REFERENCES: tuple[AsnReference, ...] = ("IA", "DP")


def for_buyer(one: Shipment, order: Order, ship_from: Party | None, levels: Mapping[AsnReference, AsnLevel]) -> None:
    """Complete one PO's piece of a shipment with what the buyer's 856 needs from the order and configuration."""
    roles = {p.role for p in one.parties}
    if "SF" not in roles and ship_from is not None:
        one.parties.insert(0, ship_from)
    if "ST" not in roles and order.ship_to is not None:
        one.parties.append(order.ship_to.model_copy(deep=True))
    shipped = one.orders[0]
    shipped.references = []  # what the buyer reads at order level is the PO's, never the warehouse's own
    for qualifier in ASN_REFERENCES:
        level = levels.get(qualifier)
        ref = next((r for r in order.references if r.qualifier == qualifier and r.value), None)
        if level is None or ref is None:
            continue
        held = one.references if level == "shipment" else shipped.references
        if all(r.qualifier != qualifier for r in held):
            held.append(Reference(qualifier=qualifier, value=ref.value))


def delivery(one: Shipment, transit_days: int | None) -> None:
    """DTM*017: the warehouse's own estimate when it gave one, else the ship date plus the partner's
    ``asn_transit_days``; neither known, none (a guide that requires it holds the 856 and says what to set)."""
    if one.delivery_date is None and transit_days is not None and one.ship_date is not None:
        one.delivery_date = one.ship_date + dt.timedelta(days=transit_days)


def lading(one: Shipment, whole: bool) -> None:
    """TD101/TD102 from what the 856 lists: its pallets, else its packages. A piece of a confirmation that named
    several POs keeps the warehouse's own count only when it is the whole shipment (``whole``)."""
    shipped = one.orders[0]
    if shipped.pallets:
        one.packaging_code, one.lading_quantity = PALLET, len(shipped.pallets)
    elif shipped.packages:
        one.packaging_code, one.lading_quantity = CARTON, len(shipped.packages)
    elif not whole:
        one.packaging_code = one.lading_quantity = None
    if one.lading_quantity is not None and one.packaging_code is None:
        one.packaging_code = CARTON
    if one.packaging_code is not None and one.lading_quantity is None:
        one.packaging_code = None


def share(pieces: Sequence[Shipment]) -> list[str]:
    """The pieces of one confirmation (one PO each): each one's BSN02, and its share of the gross weight set on
    it, by units shipped, the last taking the rounding so the shares add up to the whole."""
    if len(pieces) == 1:
        return [pieces[0].shipment_id]
    ids = []
    for k, piece in enumerate(pieces, 1):
        suffix = f"-{k}"
        ids.append(piece.shipment_id[: BSN02_MAX - len(suffix)] + suffix)
    whole = pieces[0].gross_weight
    if whole is None:
        return ids
    units = [sum((line.quantity for line in p.orders[0].all_lines()), Decimal(0)) for p in pieces]
    total = sum(units, Decimal(0))
    left = whole
    for k, piece in enumerate(pieces):
        if k == len(pieces) - 1:
            piece.gross_weight = left
        else:
            part = whole * units[k] / total if total else whole / len(pieces)
            piece.gross_weight = part.quantize(Decimal("0.01"), ROUND_HALF_UP)
            left -= piece.gross_weight
    return ids


def consolidated(pieces: Sequence[Shipment]) -> Shipment:
    """One 856's shipment for several POs on one bill of lading: the first piece's header, every PO's order
    level, the weight and lading quantity each piece declared, added up once."""
    first = pieces[0]
    out = first.model_copy(deep=True)
    out.orders = [o.model_copy(deep=True) for p in pieces for o in p.orders]
    weights = [p.gross_weight for p in pieces if p.gross_weight is not None]
    if len(weights) == len(pieces) and len({p.weight_uom for p in pieces}) == 1:
        out.gross_weight = sum(weights, Decimal(0))
    else:
        out.gross_weight = out.weight_uom = None
    counts = [p.lading_quantity for p in pieces]
    if all(c is not None for c in counts) and len({p.packaging_code for p in pieces}) == 1:
        out.lading_quantity = sum(c for c in counts if c is not None)
    else:
        out.packaging_code, out.lading_quantity = None, None
    for p in pieces[1:]:
        out.parties += [party for party in p.parties if party.role not in {q.role for q in out.parties}]
        out.references += [r for r in p.references if r not in out.references]
        out.tracking_numbers += [t for t in p.tracking_numbers if t not in out.tracking_numbers]
    return out


def consolidation_key(one: Shipment, shipper: str) -> tuple[str, str, str]:
    """POs with the same key go in one 856 for a buyer that consolidates: one bill of lading (else one shipment)
    to one ship-to, since the 856 names its ship-to once, at the shipment level."""
    ship_to = next((p for p in one.parties if p.role == "ST"), None)
    where = (
        f"{ship_to.id_qualifier}:{ship_to.id}" if ship_to and ship_to.id else (ship_to.name or "") if ship_to else ""
    )
    return (shipper, f"BM:{one.bill_of_lading}" if one.bill_of_lading else f"ID:{one.shipment_id}", where)
