"""Stock out: a warehouse system's snapshot (a file it writes, or an endpoint it answers on) becomes an 846
for each partner, each item in the unit that partner orders it in (``stock_units``), and a JSON feed for sinks.

The snapshot's bytes are stored first like any inbound document; a snapshot already published (the same
bytes) is not sent again, so a schedule that fires while the warehouse has not written a new file sends
nothing twice.
"""

from __future__ import annotations

import json

from crossdock.core import registry
from crossdock.core.configuration.config import InventoryFeedConfig
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import CrossdockError, DecodeError
from crossdock.core.hub import Hub
from crossdock.core.masking import masked
from crossdock.core.partners import created_now, reserve
from crossdock.core.plan import Plan, delivery_key, outbound, safe_name
from crossdock.core.products import catalogue
from crossdock.core.stock.units import in_partner_units, ordered_lines
from crossdock.core.storage.store import sha256


def _read(feed: InventoryFeedConfig, feed_name: str) -> bytes:
    """The snapshot's bytes, from the file the warehouse system writes or the endpoint it answers on."""
    if feed.snapshot is not None:
        try:
            return feed.snapshot.read_bytes()
        except OSError as exc:
            raise CrossdockError(f"inventory {feed_name}: cannot read {feed.snapshot}: {exc.strerror}") from None
    assert feed.snapshot_url is not None
    secret = resolve_secret(feed.snapshot_auth)
    headers = {feed.snapshot_auth_header: secret} if secret is not None else {}
    fetch = registry.connector("http", "fetch")
    try:
        data: bytes = fetch(feed.snapshot_url, headers=headers, timeout=feed.snapshot_timeout)
    except CrossdockError as exc:
        raise CrossdockError(masked(f"inventory {feed_name}: {exc}", feed)) from None
    return data


def publish(hub: Hub, feed_name: str) -> str:
    """Read the feed's snapshot now and queue its 846s and JSON; returns what happened, in words."""
    feed = hub.config.inventory.get(feed_name)
    if feed is None:
        raise CrossdockError(f"no inventory feed named {feed_name!r} in the configuration")
    where = str(feed.snapshot or feed.snapshot_url)
    data = _read(feed, feed_name)
    digest = sha256(data)
    store = hub.store
    endpoint = f"inventory:{feed_name}"
    with store.transaction() as conn:
        same, earlier = store.find_inbound(conn, endpoint, f"{where}@{digest}", digest)
        earlier = same or earlier
        if earlier is not None:
            return f"{where} unchanged since document {earlier.id}: nothing sent"
        doc_id = store.add_document(
            conn,
            direction="in",
            data=data,
            digest=digest,
            state="received",
            endpoint=endpoint,
            remote_name=where.rstrip("/").rsplit("/", 1)[-1],
            identity=f"{where}@{digest}",
            kind="inventory",
        )
    today = created_now().date()
    try:
        is_json = data.lstrip()[:1] in (b"[", b"{")
        mapping = registry.mapping("stockjson" if is_json else "stockcsv")
        read = mapping.snapshot_from_json if is_json else mapping.snapshot_from_csv
        snapshot = read(data, feed.columns, report_id=f"{safe_name(feed_name)}-{doc_id}", report_date=today, name=where)
    except DecodeError as exc:
        with store.transaction() as conn:
            store.update_document(conn, doc_id, state="failed", error=str(exc))
            store.log(conn, "failed", str(exc), document_id=doc_id)
        raise
    x12 = registry.mapping("x12")
    plan = Plan()
    with store.transaction() as conn:
        products = catalogue(hub.config.products)
        for name in feed.partners:
            partner = hub.partners[name]
            theirs, kept = in_partner_units(snapshot, ordered_lines(conn, partner.name), products)
            for why in kept:
                plan.event("846", f"846 to {partner.name}: {why}; sent in the snapshot's unit", document=doc_id)
            controls = reserve(store, conn, partner.name)
            body = x12.write_846(theirs, x12.Outgoing(**partner.envelope(controls, created_now())))
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
