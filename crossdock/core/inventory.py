"""Stock out: a warehouse system's snapshot file becomes an 846 for each partner and a JSON feed for sinks.

The snapshot's bytes are stored first like any inbound document; a snapshot already published (the same
bytes) is not sent again, so a schedule that fires while the warehouse has not written a new file sends
nothing twice.
"""

from __future__ import annotations

import json

from crossdock.core import registry
from crossdock.core.errors import CrossdockError, DecodeError
from crossdock.core.hub import Hub
from crossdock.core.partners import created_now, reserve
from crossdock.core.plan import Plan, delivery_key, outbound, safe_name
from crossdock.core.store import sha256


def publish(hub: Hub, feed_name: str) -> str:
    """Read the feed's snapshot now and queue its 846s and JSON; returns what happened, in words."""
    feed = hub.config.inventory.get(feed_name)
    if feed is None:
        raise CrossdockError(f"no inventory feed named {feed_name!r} in the configuration")
    try:
        data = feed.snapshot.read_bytes()
    except OSError as exc:
        raise CrossdockError(f"inventory {feed_name}: cannot read {feed.snapshot}: {exc.strerror}") from None
    digest = sha256(data)
    store = hub.store
    endpoint = f"inventory:{feed_name}"
    with store.transaction() as conn:
        same, earlier = store.find_inbound(conn, endpoint, f"{feed.snapshot}@{digest}", digest)
        earlier = same or earlier
        if earlier is not None:
            return f"{feed.snapshot} unchanged since document {earlier.id}: nothing sent"
        doc_id = store.add_document(
            conn,
            direction="in",
            data=data,
            digest=digest,
            state="received",
            endpoint=endpoint,
            remote_name=feed.snapshot.name,
            identity=f"{feed.snapshot}@{digest}",
            kind="inventory",
        )
    today = created_now().date()
    try:
        snapshot = registry.mapping("stockcsv").snapshot_from_csv(
            data,
            feed.columns,
            report_id=f"{safe_name(feed_name)}-{doc_id}",
            report_date=today,
            name=str(feed.snapshot),
        )
    except DecodeError as exc:
        with store.transaction() as conn:
            store.update_document(conn, doc_id, state="failed", error=str(exc))
            store.log(conn, "failed", str(exc), document_id=doc_id)
        raise
    x12 = registry.mapping("x12")
    plan = Plan()
    with store.transaction() as conn:
        for name in feed.partners:
            partner = hub.partners[name]
            controls = reserve(store, conn, partner.name)
            body = x12.write_846(snapshot, x12.Outgoing(**partner.envelope(controls, created_now())))
            file_name = f"{safe_name(partner.name)}-846-{today:%Y%m%d}-{controls.interchange:09d}.edi"
            outbound(
                plan, partner, body, file_name, "846", delivery_key("846", doc_id, partner.name), doc_id, None, controls
            )
        feed_json = json.dumps(snapshot.model_dump(mode="json"), separators=(",", ":")).encode()
        for sink in feed.sinks:
            ref = plan.document(
                {
                    "direction": "out",
                    "data": feed_json,
                    "state": "queued",
                    "endpoint": sink,
                    "kind": "stock",
                    "remote_name": f"stock-{safe_name(feed_name)}-{today:%Y%m%d}-{doc_id}.json",
                    "parent_id": doc_id,
                }
            )
            plan.delivery({"key": delivery_key("stock", doc_id, sink), "sink": sink, "purpose": "stock"}, ref, None)
        plan.write(store, conn)
        store.update_document(conn, doc_id, state="processed")
    return f"{len(snapshot.items)} item(s): 846 to {len(feed.partners)} partner(s), JSON to {len(feed.sinks)} sink(s)"
