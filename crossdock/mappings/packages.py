"""What the channels that confirm a shipment package by package (Amazon, eBay) read the same way from a
Fulfilment: one Fulfilment per tracked package, and whole quantities per line. Pure: no I/O."""

from __future__ import annotations

import dataclasses

from crossdock.core.fulfilment.models import Fulfilment


def per_package(fulfilment: Fulfilment) -> list[Fulfilment]:
    """One Fulfilment per tracked package when the warehouse said which lines went in each (its ``packages``
    cover every tracking number); else the shipment as one package."""
    numbers = {n.strip() for n in fulfilment.tracking_numbers if n.strip()}
    packed = [p for p in fulfilment.packages if p.lines]
    if len(numbers) > 1 and packed and numbers <= {p.tracking_number for p in packed}:
        return [
            dataclasses.replace(fulfilment, tracking_numbers=[p.tracking_number], lines=p.lines, packages=[])
            for p in packed
        ]
    return [fulfilment]


def whole_quantities(fulfilment: Fulfilment, where: str, item: str) -> dict[str, int]:
    """The shipped quantity per line id (``line_number``), summed; ``item`` names the id in the channel's words.
    A line without an id, or a quantity that is not a positive whole number, is a ``ValueError``."""
    quantities: dict[str, int] = {}
    for i, line in enumerate(fulfilment.lines, 1):
        item_id = (line.line_number or "").strip()
        if not item_id:
            raise ValueError(f"{where}: line {i}: no {item} id (line_number)")
        if line.quantity <= 0 or line.quantity != line.quantity.to_integral_value():
            raise ValueError(f"{where}: {item} {item_id}: {line.quantity} is not a whole quantity to ship")
        quantities[item_id] = quantities.get(item_id, 0) + int(line.quantity)
    return quantities
