"""A sales channel's orders in: each a document as its API or web hook gave it, mapped, then upserted and routed
like a partner's PO, a page of them in one transaction."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from crossdock.core import registry
from crossdock.core.failures import PROCESSABLE, fail_document, reason_of
from crossdock.core.hub import Hub
from crossdock.core.models import Order
from crossdock.core.orders import upsert_orders
from crossdock.core.plan import Plan, Processed
from crossdock.core.storage.store import OrderRace


def channel_orders(hub: Hub, rows: list[Any], source: str, checkpoint: tuple[str, str] | None) -> list[Processed]:
    """A sales channel's orders, each a document as its API gave it: mapped, then upserted and routed like a
    partner's PO, all in one transaction. The natural key is (channel, source, the channel's order id), so a
    re-poll, a webhook and a poll of the same order, or its versions arriving out of order, never make a
    second order. A document that does not map fails alone, its raw bytes kept."""
    channel = hub.config.sources[source].format
    mapping = registry.mapping(channel)
    options: dict[str, Any] = getattr(hub.config.sources[source], "mapping_options", dict)()  # its settings
    failed: dict[int, Processed] = {}
    decoded: list[tuple[int, list[Order]]] = []
    for row in rows:
        document_id = int(row.id)
        name = row.remote_name or f"document {document_id}"
        try:
            payload = json.loads(bytes(row.data), parse_float=Decimal)
            decoded.append((document_id, [mapping.order_from_payload(payload, name=name, **options)]))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            failed[document_id] = fail_document(hub, document_id, f"{name}: not JSON ({exc})", source, source, name)
        except Exception as exc:
            failed[document_id] = fail_document(hub, document_id, reason_of(exc, name), source, source, name)
    for attempt in range(3):
        results = dict(failed)
        try:
            with hub.store.transaction() as conn:
                states = hub.store.claim_documents(conn, [document_id for document_id, _ in decoded])
                for document_id, _ in decoded:
                    if states[document_id] not in PROCESSABLE:  # another worker recorded it meanwhile
                        results[document_id] = Processed(document_id, states[document_id])
                ready = [(d, found) for d, found in decoded if states[d] in PROCESSABLE]
                for group in _distinct_runs(ready):
                    orders = [order for _, found in group for order in found]
                    keys = [order.external_id or order.po_number for order in orders]
                    existing = hub.store.find_orders(conn, orders[0].channel, source, keys) if orders else {}
                    plan = Plan()
                    for document_id, found in group:
                        result = Processed(document_id, "processed")
                        upsert_orders(hub, conn, plan, document_id, source, found, source, result, existing)
                        results[document_id] = result
                    plan.write(hub.store, conn)
                recorded = [(d, results[d].state) for d, _ in decoded if states[d] in PROCESSABLE]
                hub.store.set_document_states(conn, recorded, source, channel)
                if checkpoint is not None:
                    hub.store.set_cursor(conn, *checkpoint)
            return [results[int(row.id)] for row in rows]
        except OrderRace:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _distinct_runs(decoded: list[tuple[int, list[Order]]]) -> list[list[tuple[int, list[Order]]]]:
    """The documents in runs where no order appears twice: a run's stored orders are looked up at once and its
    rows written at once, and a second version of an order waits for the next run, which sees the first."""
    runs: list[list[tuple[int, list[Order]]]] = []
    seen: set[str] = set()
    for document_id, found in decoded:
        keys = {order.external_id or order.po_number for order in found}
        if not runs or keys & seen:
            runs.append([])
            seen = set()
        runs[-1].append((document_id, found))
        seen |= keys
    return runs
