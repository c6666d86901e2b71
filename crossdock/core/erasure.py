"""Erasing one buyer's personal data from the store when the channel says the account is gone (eBay's
``MARKETPLACE_ACCOUNT_DELETION``, which every eBay application must honour).

The channel says which of its raw order documents are that buyer's and how to anonymise one (``Erasure``, from
the source: formats stay in mappings). Each of the source's stored raw orders that is the buyer's is anonymised
in place (its digest and size follow), and so is the order row of each of those order ids: every party's name,
other names, street lines, city and contacts, and the order's own contacts, become ``ERASED`` or go, as do the
notes that were the buyer's own words; ids, lines, money, dates, state, postal code and country stay, so the
order still adds up, ships and reconciles. Documents already sent elsewhere (a warehouse's copy) are not
changed: they are the destination's now, and retention ends them. One event says how many orders and documents
were changed, never whose.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from crossdock.core.hub import Hub
from crossdock.core.storage.schema import documents, orders
from crossdock.core.storage.store import to_json

ERASED = "erased"


@dataclass(frozen=True, slots=True)
class Erasure:
    """One buyer to forget: ``mine`` says whether a raw order is theirs, ``anonymise`` rewrites one in place."""

    channel: str
    why: str  # what the channel said, for the event (no personal data)
    mine: Callable[[Mapping[str, Any]], bool]
    anonymise: Callable[[dict[str, Any]], None]
    personal: Callable[[Mapping[str, Any]], set[str]]  # free texts of a raw order that an order's notes may hold


def erase(hub: Hub, source: str, erasure: Erasure) -> tuple[int, int]:
    """Anonymise ``erasure``'s buyer in ``source``'s raw orders and their orders, in one transaction; how many
    documents and orders changed."""
    store = hub.store
    prefix = f"{erasure.channel}:"
    changed_documents = 0
    order_ids: set[str] = set()
    texts: set[str] = set()
    with store.transaction() as conn:
        rows = conn.execute(
            select(documents.c.id, documents.c.identity, documents.c.data).where(
                documents.c.direction == "in",
                documents.c.endpoint == source,
                documents.c.identity.startswith(prefix),
                documents.c.data_ref.is_(None),
                documents.c.purged_at.is_(None),
            )
        ).all()
        for row in rows:
            try:
                payload = json.loads(bytes(row.data))
            except (ValueError, UnicodeDecodeError):
                continue
            if not isinstance(payload, dict) or not erasure.mine(payload):
                continue
            texts |= erasure.personal(payload)
            erasure.anonymise(payload)
            data = json.dumps(payload, separators=(",", ":"), default=str).encode()
            conn.execute(
                update(documents)
                .where(documents.c.id == row.id)
                .values(data=data, size=len(data), sha256=hashlib.sha256(data).hexdigest())
            )
            changed_documents += 1
            order_ids.add(str(row.identity).split(":")[1])
        found = conn.execute(
            select(orders.c.id, orders.c.data).where(
                orders.c.channel == erasure.channel,
                orders.c.partner == source,
                orders.c.external_id.in_(sorted(order_ids)),
            )
        ).all()
        for kept in found:
            order = json.loads(kept.data)
            anonymise_order(order, texts)
            store.update_order(conn, int(kept.id), data=to_json(order))
        store.log(
            conn,
            "erasure",
            f"{erasure.channel} {source}: {erasure.why}: personal data erased from {changed_documents} stored "
            f"document(s) and {len(found)} order(s)",
        )
    return changed_documents, len(found)


def anonymise_order(order: dict[str, Any], texts: Collection[str] = ()) -> None:
    """A canonical order's JSON without the people in it (as the module says): every party wherever it is (the
    order's, a line's, the ``ship_to`` beside them), the order's contacts, and notes that are one of ``texts``
    (a buyer's checkout note)."""
    _parties(order)
    order["contacts"] = []
    order["notes"] = [n for n in order.get("notes") or [] if n not in texts]


def _parties(value: Any) -> None:
    if isinstance(value, list):
        for inner in value:
            _parties(inner)
        return
    if not isinstance(value, dict):
        return
    if "role" in value and "address" in value:
        for key in ("name", "id"):
            if value.get(key):
                value[key] = ERASED
        value["extra_names"] = []
        value["contacts"] = []
        address = value.get("address")
        if isinstance(address, dict):
            address["lines"] = [ERASED] if address.get("lines") else []
            if address.get("city"):
                address["city"] = ERASED
        return
    for inner in value.values():
        _parties(inner)
