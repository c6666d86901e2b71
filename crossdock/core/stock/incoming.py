"""Stock in: on-hand figures per SKU and location, each with the time it was true, from an 846 (a partner's
X12, or a stock source's file), a CSV or JSON stock file or endpoint, a 3PL's API (ShipBob) or an ERP's
(Odoo's ``stock.quant``). Raw bytes are stored first like every inbound document; a file that does not read is
kept, failed with the reason; the figures go into the ledger, where an older one never replaces a newer one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Connection

from crossdock.core import registry
from crossdock.core.configuration.stock import StockSourceConfig
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import CrossdockError, DecodeError
from crossdock.core.hub import Hub
from crossdock.core.masking import masked
from crossdock.core.models import InventoryItem, InventorySnapshot
from crossdock.core.stock.ledger import Figure, record_figures
from crossdock.core.storage.store import sha256

ON_HAND = ("33", "17", "QA", "QH")  # QTY01 read in this order: available for sale, on hand, ...
MAX_STOCK_FILE = 200_000_000


def _quantity(item: InventoryItem) -> Decimal | None:
    return next((item.quantities[q] for q in ON_HAND if q in item.quantities), None)


def snapshot_figures(
    snapshot: InventorySnapshot, location: str, as_of: dt.datetime, source: str, document_id: int | None
) -> list[Figure]:
    """The snapshot's items as figures: the SKU is the item's VN (else SK, BP, IN, UP), eaches rounded down."""
    out = []
    for item in snapshot.items:
        sku = next((item.product_ids[q] for q in ("VN", "SK", "BP", "IN", "UP") if item.product_ids.get(q)), None)
        qty = _quantity(item)
        if sku is None or qty is None:
            continue
        out.append(Figure(sku[:128], location, max(0, int(qty)), as_of, source, document_id))
    return out


def record_846(conn: Connection, snapshot: InventorySnapshot, partner: str, document_id: int, made: str | None) -> str:
    """An 846 a partner sent through an X12 source: its figures at the partner's location, as of the time its
    group was made (GS04/GS05), else its report date. Returns what happened, for the document's log."""
    as_of = dt.datetime.strptime(made, "%Y%m%d%H%M") if made else dt.datetime.combine(snapshot.report_date, dt.time())
    figures = snapshot_figures(snapshot, partner, as_of, "846", document_id)
    kept = record_figures(conn, figures)
    return f"846 {snapshot.report_id}: {len(kept)} of {len(figures)} figure(s) newer than those held"


def _api_config(hub: Hub, name: str, kind: str) -> object:
    config = hub.config.sinks.get(name) or hub.config.sources.get(name)
    if config is None or getattr(config, "type", None) != kind:
        raise CrossdockError(f"no {kind} sink or source named {name!r} in the configuration")
    return config


def _read(hub: Hub, source: StockSourceConfig, name: str) -> bytes:
    if source.shipbob is not None:
        levels = registry.connector("shipbob", "inventory_levels")
        return bytes(levels(name, _api_config(hub, source.shipbob, "shipbob")))
    if source.odoo is not None:
        quants = registry.connector("odoo", "stock_quants")
        return bytes(quants(name, _api_config(hub, source.odoo, "odoo")))
    if source.file is not None:
        try:
            with open(source.file, "rb") as f:
                data = f.read(MAX_STOCK_FILE + 1)
        except OSError as exc:
            raise CrossdockError(f"stock source {name}: cannot read {source.file}: {exc.strerror}") from None
    else:
        assert source.url is not None
        secret = resolve_secret(source.auth)
        headers = {source.auth_header: secret} if secret is not None else {}
        fetch = registry.connector("http", "fetch")
        try:
            data = fetch(source.url, headers=headers, timeout=source.timeout)
        except CrossdockError as exc:
            raise CrossdockError(masked(f"stock source {name}: {exc}", source)) from None
    if len(data) > MAX_STOCK_FILE:
        raise CrossdockError(f"stock source {name}: more than {MAX_STOCK_FILE} bytes: refused")
    return bytes(data)


def _decode(data: bytes, source: StockSourceConfig, name: str, doc_id: int) -> list[InventorySnapshot]:
    today = dt.datetime.now(dt.UTC).date()
    if source.shipbob is not None or source.odoo is not None:
        if source.shipbob is not None:
            read_api = registry.mapping("shipbob_stock").snapshot_from_levels
        else:
            read_api = registry.mapping("odoo_stock").snapshot_from_quants
        return [read_api(data, report_id=f"{name}-{doc_id}", report_date=today, name=name)]
    kind = source.format
    if kind == "auto":
        start = data.lstrip()[:3]
        kind = "x12" if start == b"ISA" else "json" if start[:1] in (b"[", b"{") else "csv"
    if kind == "x12":
        read = registry.mapping("x12").read(data, name=name)
        found = [
            ts.document
            for ic in read.interchanges
            for group in ic.groups
            for ts in group.sets
            if isinstance(ts.document, InventorySnapshot)
        ]
        bad = [
            f"{ts.code} {ts.control}: {ts.decode_error or '; '.join(ts.errors[:3])}"
            for ic in read.interchanges
            for group in ic.groups
            for ts in group.sets
            if ts.status == "rejected" or ts.decode_error
        ]
        if bad or not found:
            raise DecodeError(f"{name}: {'; '.join(bad[:3]) or 'no 846 in the file'}")
        return found
    mapping = registry.mapping("stockjson" if kind == "json" else "stockcsv")
    read_file = mapping.snapshot_from_json if kind == "json" else mapping.snapshot_from_csv
    return [read_file(data, source.columns, report_id=f"{name}-{doc_id}", report_date=today, name=name)]


def pull(hub: Hub, name: str) -> str:
    """Read the stock source now: store its bytes, then record its figures (as of now: when they were read)."""
    source = hub.config.stock.sources.get(name)
    if source is None:
        raise CrossdockError(f"no stock source named {name!r} in the configuration")
    read_at = dt.datetime.now(dt.UTC)
    data = _read(hub, source, name)
    digest = sha256(data)
    where = str(
        source.file or source.url or f"{'shipbob' if source.shipbob else 'odoo'}:{source.shipbob or source.odoo}"
    )
    store = hub.store
    with store.transaction() as conn:
        doc_id = store.add_document(
            conn,
            direction="in",
            data=data,
            digest=digest,
            state="received",
            endpoint=f"stock:{name}",
            remote_name=where.rstrip("/").rsplit("/", 1)[-1],
            identity=f"{where}@{digest}@{read_at.isoformat()}",
            kind="stock",
        )
    try:
        snapshots = _decode(data, source, where, doc_id)
        return record(hub, doc_id, snapshots, source.location, read_at, f"stock:{name}")
    except CrossdockError as exc:  # DecodeError, or a figure out of bounds: the raw bytes stay, failed
        with store.transaction() as conn:
            store.update_document(conn, doc_id, state="failed", error=str(exc))
            store.log(conn, "failed", f"stock source {name}: {exc}", document_id=doc_id)
        raise CrossdockError(f"stock source {name}: {exc}") from None


def record(
    hub: Hub, doc_id: int, snapshots: Sequence[InventorySnapshot], location: str, as_of: dt.datetime, source: str
) -> str:
    """Record a stored document's figures and mark it processed, in one transaction."""
    figures = [f for s in snapshots for f in snapshot_figures(s, location, as_of, source, doc_id)]
    with hub.store.transaction() as conn:
        kept = record_figures(conn, figures)
        hub.store.update_document(conn, doc_id, state="processed")
        said = f"{len(kept)} of {len(figures)} figure(s) recorded at {location} (older ones left alone)"
        hub.store.log(conn, "stock", f"{source}: {said}", document_id=doc_id)
    return said
