"""What the store holds, as text for a person: status, orders and documents (``--json`` prints the data as is)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crossdock.core.plan import Processed

DOCUMENT_FIELDS = (
    "id",
    "direction",
    "kind",
    "partner",
    "endpoint",
    "remote_name",
    "size",
    "sha256",
    "state",
    "error",
    "flags",
    "interchange_control",
    "ack_state",
    "ack_detail",
    "parent_id",
    "created_at",
    "purged_at",
)


def status_lines(counts: dict[str, dict[str, int]], problems: dict[str, list[dict[str, Any]]]) -> list[str]:
    out = []
    for name, by_state in counts.items():
        shown = ", ".join(f"{state} {n}" for state, n in sorted(by_state.items())) or "none"
        out.append(f"{name}: {shown}")
    for src in problems["failing_sources"]:
        out.append(f"SOURCE {src['source']} failed at {src['at']}: {src['error']}")
    for doc in problems["failed_documents"]:
        out.append(
            f"{doc['state'].upper()} document {doc['id']} {doc['remote_name'] or ''} from {doc['endpoint']}: "
            f"{doc['error']}"
        )
    for doc in problems["duplicate_documents"]:
        out.append(f"DUPLICATE document {doc['id']} {doc['remote_name'] or ''}: {doc['error']}")
    for doc in problems["flagged_documents"]:
        out.append(f"FLAGGED document {doc['id']} {doc['remote_name'] or ''}: {doc['flags']}")
    for doc in problems["unacknowledged_documents"]:
        state = "OVERDUE" if doc["ack_state"] in ("overdue", "waiting") else "REJECTED"
        out.append(
            f"{state} {doc['kind']} document {doc['id']} {doc['remote_name']} to {doc['partner']}: "
            + (doc["ack_detail"] or f"no 997 by {doc['ack_due_at']}")
        )
    for ship in problems["held_shipments"]:
        out.append(f"HELD shipment {ship['external_id']} from {ship['partner']}: {ship['error']}")
    for doc in problems["unsent_documents"]:
        out.append(f"UNSENT document {doc['id']} {doc['remote_name']}: {doc['error']}")
    for doc in problems["held_documents"]:
        out.append(f"HELD document {doc['id']} {doc['remote_name']} to {doc['partner']}: {doc['error']}")
    for d in problems["dead_deliveries"]:
        out.append(
            f"DEAD delivery {d['id']} ({d['purpose']} to {d['sink']}, document {d['document_id']}, "
            f"{d['attempts']} attempts): {d['last_error']}"
        )
    for d in problems["retrying_deliveries"]:
        out.append(
            f"RETRYING delivery {d['id']} ({d['purpose']} to {d['sink']}, document {d['document_id']}, "
            f"attempt {d['attempts']}, next at "
            f"{d['next_attempt_at']}): {d['last_error']}"
        )
    for d in problems["overdue_deliveries"]:
        out.append(
            f"OVERDUE delivery {d['id']} ({d['purpose']} to {d['sink']}, document {d['document_id']}, "
            f"since {d['created_at']}): "
            f"{d['last_error'] or 'not sent yet'}"
        )
    return out


def order_list_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Orders under a header; ORDER is the order's number (``orders show``), not a document's."""
    head = f"{'ORDER':>6}  {'PARTNER':<16} {'PO':<22} {'STATUS':<17} {'REV':<4} UPDATED"
    return [head] + [
        f"{r['id']:>6}  {r['partner']:<16} {r['po_number']:<22} {r['status']:<17} {'r' + str(r['revision']):<4} "
        f"{r['updated_at']}"
        for r in rows
    ]


def order_lines(found: dict[str, Any]) -> list[str]:
    data = found["data"]
    out = [
        f"order {found['id']}: {found['po_number']} from {found['partner']} ({found['channel']}), "
        f"{found['status']}, revision {found['revision']}"
    ]
    ship_to = next((p for p in data.get("parties", []) if p.get("role") == "ST"), None)
    if ship_to:
        address = ship_to.get("address") or {}
        out.append(
            f"  ship to: {ship_to.get('name')}, {address.get('city')} {address.get('state')} "
            f"{address.get('postal_code')}"
        )
    for line in data.get("lines", []):
        ids = " ".join(f"{k}:{v}" for k, v in line.get("product_ids", {}).items())
        out.append(
            f"  line {line.get('line_number')}: {line['quantity']} {line['uom']} @ {line.get('unit_price')}  {ids}"
        )
    for d in found["deliveries"]:
        out.append(
            f"  delivery {d['id']}: {d['purpose']} to {d['sink']}: {d['state']}"
            + (f" ({d['last_error']})" if d["last_error"] else "")
        )
    out.extend(f"  {e['at']}  {e['kind']:<9} {e['message']}" for e in found["events"])
    return out


def document_lines(found: dict[str, Any]) -> list[str]:
    out = [f"{key}: {found[key]}" for key in DOCUMENT_FIELDS if found.get(key) is not None]
    out.extend(
        f"delivery {d['id']}: {d['purpose']} to {d['sink']}: {d['state']}"
        + (f" ({d['remote_ref']})" if d.get("remote_ref") else "")  # an AS2 sink's: the MDN's disposition and MIC
        for d in found["deliveries"]
    )
    out.extend(f"caused document {c['id']}: {c['kind']} {c['remote_name']} ({c['state']})" for c in found["children"])
    for m in found.get("mdns", []):
        said = f"MDN {m['direction']} for {m['message_id']} ({m['endpoint']}): {m['state']}"
        said += "".join(f"; {k} {m[k]}" for k in ("disposition", "mic") if m.get(k))
        said += f"; due {m['due_at']}" if m["state"] == "awaiting" and m.get("due_at") else ""
        out.append(said)
        out.extend(f"  | {line}" for line in (m.get("mdn") or "").splitlines())
    out.extend(f"{e['at']}  {e['kind']:<9} {e['message']}" for e in found["events"])
    return out


def document_list_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Documents under a header; DOCUMENT is the number ``documents show`` and ``replay`` take (not a delivery's)."""
    head = f"{'DOCUMENT':>8}  {'DIR':<3} {'KIND':<6} {'PARTNER':<14} {'STATE':<11} {'CREATED':<20} NAME"
    return [head] + [
        f"{r['id']:>8}  {r['direction']:<3} {r['kind'] or '-':<6} {r['partner'] or '-':<14} {r['state']:<11} "
        f"{r['created_at']:<20} {r['remote_name'] or ''}"
        for r in rows
    ]


def processed_dict(result: Processed) -> dict[str, Any]:
    """What running a document did, as ``replay --json`` prints it."""
    return {
        "document_id": result.document_id,
        "state": result.state,
        "error": result.error,
        "orders": {"new": result.orders_new, "changed": result.orders_changed, "unchanged": result.orders_unchanged},
        "deliveries": result.deliveries,
        "shipments": result.shipments,
        "acknowledgments": result.acks,
    }


def replay_lines(result: dict[str, Any]) -> list[str]:
    orders = result["orders"]
    return [
        f"document {result['document_id']}: {result['state']}" + (f": {result['error']}" if result["error"] else ""),
        f"  orders {orders['new']} new, {orders['changed']} changed, {orders['unchanged']} unchanged; "
        f"{result['deliveries']} deliveries, {result['acknowledgments']} acknowledgment(s) queued",
    ]


def validation_lines(result: Any) -> list[str]:
    """A ``crossdock x12 validate`` result (``FileResult``) in words, finding by finding."""
    from crossdock.mappings.x12.report import finding_text

    if result.error:
        return [f"{result.file}: not X12: {result.error}"]
    out = [f"{result.file}: {'ok' if result.ok else 'REJECTED'}"]
    for ir in result.interchanges:
        ic = ir.interchange
        out.append(f"  interchange {ic.control} {ic.sender_id} -> {ic.receiver_id}")
        out.extend(f"    {finding_text(e)}" for e in ic.errors)
        for gr in ir.groups:
            out.append(f"    group {gr.group.control} {gr.group.functional_id} {gr.group.version}")
            out.extend(f"      {finding_text(e)}" for e in gr.group.errors)
            for st in gr.sets:
                out.append(f"      {st.code} {st.control}: {st.status}")
                out.extend(f"        {finding_text(e)}" for e in st.errors)
    return out
