"""Routing: which destinations an order goes to, and with which of its lines.

Rules are tried in order and the first that matches takes the order, except a ``split`` rule: it takes only
the lines whose product ids match its SKU patterns and lets the remaining lines carry on down the list. What
no rule takes goes to the default destination; with no default, the order is held as unroutable, which is
an error a person must see, never a silent drop.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

from crossdock.core.configuration.config import Match, RoutingConfig
from crossdock.core.models import Order, OrderLine


@dataclass(frozen=True, slots=True)
class Assignment:
    """One destination and the positions of the lines it receives; ``split`` when that is not all of them."""

    sink: str
    positions: tuple[int, ...]
    rule: str
    split: bool = False


class Unroutable(Exception):
    def __init__(self, positions: list[int]) -> None:
        self.positions = positions
        super().__init__(f"no routing rule or default destination takes lines {positions}")


def _any(values: list[str] | None, candidates: list[str | None]) -> bool:
    if values is None:
        return True
    wanted = {v.casefold() for v in values}
    return any(c is not None and c.casefold() in wanted for c in candidates)


def _line_matches(patterns: list[str], line: OrderLine) -> bool:
    return any(fnmatch.fnmatchcase(v, p) for p in patterns for v in line.product_ids.values())


def _field(order: Order, name: str) -> str | None:
    value = getattr(order, name, None)
    return None if value is None else str(value)


def _order_matches(match: Match, order: Order, source: str | None) -> bool:
    ship_to = order.ship_to
    address = ship_to.address if ship_to else None
    if not _any(match.source, [source]) or not _any(match.partner, [order.partner]):
        return False
    if not _any(match.channel, [order.channel]):
        return False
    if not _any(match.country, [address.country if address else None]):
        return False
    if not _any(match.state, [address.state if address else None]):
        return False
    if match.postal_prefix is not None:
        postal = (address.postal_code or "") if address else ""
        if not any(postal.upper().startswith(p.upper()) for p in match.postal_prefix):
            return False
    for name, wanted in (match.fields or {}).items():
        values = [wanted] if isinstance(wanted, str) else wanted
        if _field(order, name) not in values:
            return False
    return True


def by_sku(config: RoutingConfig) -> bool:
    """Whether a rule looks at the lines' product ids (then routing needs every line)."""
    return any(rule.match.sku is not None for rule in config.rules)


def route(
    order: Order, config: RoutingConfig, source: str | None = None, positions: Sequence[int] | None = None
) -> list[Assignment]:
    """The destinations for ``order``; raises Unroutable when some lines have nowhere to go.

    ``positions`` are the lines' positions when they are not in ``order.lines`` (a large order's lines are
    spooled): then no rule may match by SKU (``by_sku``).
    """
    remaining = [line.position for line in order.lines] if positions is None else list(positions)
    count = len(remaining)
    by_position = {line.position: line for line in order.lines}
    out: list[Assignment] = []
    for i, rule in enumerate(config.rules):
        if not remaining:
            break
        name = rule.name or f"rule {i + 1}"
        if not _order_matches(rule.match, order, source):
            continue
        patterns = rule.match.sku
        if patterns is None:
            out.append(Assignment(rule.to, tuple(remaining), name))
            return _merge(out, count)
        if positions is not None:
            raise ValueError("routing by SKU needs the order's lines")
        taken = [p for p in remaining if _line_matches(patterns, by_position[p])]
        if not taken:
            continue
        if not rule.split:
            out.append(Assignment(rule.to, tuple(remaining), name))
            return _merge(out, count)
        out.append(Assignment(rule.to, tuple(taken), name))
        remaining = [p for p in remaining if p not in taken]
    if remaining or not count:
        if config.default is None:
            raise Unroutable(remaining)
        out.append(Assignment(config.default, tuple(remaining), "default"))
    return _merge(out, count)


def _merge(assignments: list[Assignment], line_count: int) -> list[Assignment]:
    """Two rules naming the same destination make one delivery; ``split`` marks a share of the lines."""
    merged: dict[str, tuple[int, ...]] = {}
    rules: dict[str, str] = {}
    for a in assignments:
        merged[a.sink] = merged.get(a.sink, ()) + a.positions
        rules[a.sink] = f"{rules[a.sink]} + {a.rule}" if a.sink in rules else a.rule
    return [
        Assignment(sink, tuple(sorted(positions)), rules[sink], split=len(positions) < line_count)
        for sink, positions in merged.items()
    ]
