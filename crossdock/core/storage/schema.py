"""The store's tables: what crossdock keeps, declared once for the code and for the alembic migrations."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    insert_sentinel,
)
from sqlalchemy.engine import Dialect

Id = BigInteger().with_variant(Integer(), "sqlite")


class OrderData(TypeDecorator[str]):
    """An order's JSON: text, read back as text also where SQLite keeps it as a BLOB (a large order's JSON is
    written in pieces through SQLite's blob API, which can only write a BLOB: ``order_json.write_order_text``)."""

    impl = Text
    cache_ok = True

    def process_result_value(self, value: str | bytes | None, dialect: Dialect) -> str | None:
        return value.decode("utf-8") if isinstance(value, bytes) else value


metadata = MetaData()

documents = Table(
    "documents",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("direction", String(3), nullable=False),  # in / out
    Column("endpoint", String(64)),  # the source it came from or the sink it goes to
    Column("remote_name", String(1024)),
    Column("identity", String(1024)),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("kind", String(32)),  # x12, 997, 855, order-json ...
    Column("partner", String(64)),
    Column("sender", String(256)),
    Column("interchange_control", String(16)),
    Column("group_control", String(16)),
    Column("transaction_controls", String(256)),
    Column("state", String(16), nullable=False),
    Column("error", Text),
    Column("flags", String(256)),
    Column("parent_id", Id, ForeignKey("documents.id")),
    Column("ack_state", String(24)),  # outbound X12: waiting, accepted, accepted_with_errors, rejected, overdue
    Column("ack_due_at", DateTime),
    Column("ack_detail", Text),
    Column("ack_document_id", Id),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("purged_at", DateTime),  # retention emptied ``data`` then; the row, its digest and size stay
    Column("data_ref", String(16)),  # "order": ``data`` is empty, the bytes are the order's JSON (order_json.py)
    insert_sentinel("insert_sentinel"),  # lets one multi-row INSERT .. RETURNING give ids in order on SQLite too
    Index("ix_documents_identity", "endpoint", "identity"),
    Index("ix_documents_sha256", "sha256"),
    Index("ix_documents_interchange", "partner", "direction", "interchange_control"),
    Index("ix_documents_state_partner", "state", "direction", "partner"),  # also counts them for /metrics
    Index("ix_documents_ack", "ack_state", "ack_due_at"),
    Index("ix_documents_isa13", "interchange_control"),  # the console's search by control number
    Index("ix_documents_gs06", "group_control"),
    Index("ix_documents_st02", "transaction_controls"),
    Index("ix_documents_partner_id", "partner", "id"),  # a partner's documents, newest first
    Index("ix_documents_created", "created_at"),  # today's figures, searches by date
    Index("ix_documents_parent", "parent_id"),  # a document's thread
    Index("ix_documents_kind_id", "kind", "id"),  # the newest of a kind (the console's alerts)
    Index("ix_documents_created_acked", "created_at", "ack_state", "partner"),  # compliance: sent in a period
    Index("ix_documents_kind_created", "kind", "created_at", "partner"),  # compliance: 856s written in a period
)

orders = Table(
    "orders",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel", String(32), nullable=False),
    Column("partner", String(64), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("po_number", String(128), nullable=False),
    Column("status", String(24), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("version", String(64)),  # an X12 order's stored version (core/lifecycle/order_versions.py)
    Column("data", OrderData, nullable=False),
    Column("document_id", Id, ForeignKey("documents.id")),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    insert_sentinel("insert_sentinel"),
    UniqueConstraint("channel", "partner", "external_id", name="uq_orders_natural_key"),
    Index("ix_orders_po_number", "po_number"),
    Index("ix_orders_status", "status"),
    Index("ix_orders_document", "document_id"),  # the orders a document carries (the console's thread)
    Index("ix_orders_created", "created_at"),  # the console's search by date
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("sink", String(64), nullable=False),
    Column("purpose", String(16), nullable=False),  # order, 997, 999, 855, alert
    Column("order_id", Id, ForeignKey("orders.id")),
    Column("document_id", Id, ForeignKey("documents.id"), nullable=False),
    Column("state", String(16), nullable=False),  # pending, sent, dead, cancelled; held (the order is on hold)
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("lease_owner", String(128)),
    Column("lease_until", DateTime),
    Column("last_error", Text),
    Column("remote_ref", String(1024)),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    Column("file_name", String(1100)),  # the name it is written under, chosen once (delivery_names.py)
    Index("ix_deliveries_due", "state", "next_attempt_at"),
    Index("ix_deliveries_order", "order_id"),
    Index("ix_deliveries_document", "document_id"),
    Index("ux_deliveries_file_name", "sink", "file_name", unique=True),
    Index(  # 856s and channel calls of a period, counted from the index alone
        "ix_deliveries_purpose_created", "purpose", "created_at", "sink", "state", "sent_at", "document_id"
    ),
)

sequences = Table(
    "sequences",
    metadata,
    Column("scope", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

cursors = Table(
    "cursors",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("owner", String(128), nullable=False),
    Column("until", DateTime, nullable=False),
)

signin_failures = Table(  # the console's wrong passwords, per user name, for every worker's throttle
    "signin_failures",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False),
    Column("at", DateTime, nullable=False),
    Index("ix_signin_failures_name_at", "name", "at"),
    Index("ix_signin_failures_at", "at"),
)

events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("order_id", Id),
    Column("document_id", Id),
    Column("delivery_id", Id),
    Index("ix_events_order", "order_id"),
    Index("ix_events_document", "document_id"),
    Index(
        "ix_events_kind_at", "kind", "at"
    ),  # acknowledgments gone overdue in a period (core/acknowledgments/compliance.py)
)

shipments = Table(
    "shipments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", Id, ForeignKey("orders.id")),
    Column("partner", String(64), nullable=False),  # who shipped it: the warehouse or 3PL
    Column("external_id", String(128), nullable=False),
    Column("po_number", String(128), nullable=False),
    Column("state", String(16), nullable=False),  # recorded, held
    Column("error", Text),
    Column("data", Text, nullable=False),
    Column("document_id", Id, ForeignKey("documents.id")),
    Column("invoiced_at", DateTime),  # when an 810 billed it; empty until then
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("partner", "external_id", "po_number", name="uq_shipments_natural_key"),
    Index("ix_shipments_order", "order_id"),
    Index("ix_shipments_document", "document_id"),
)

order_holds = Table(  # an operator's hold (``crossdock orders hold``): the order gets no deliveries until released
    "order_holds",
    metadata,
    Column("order_id", Id, ForeignKey("orders.id"), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

carton_labels = Table(  # the SSCC-18 carton labels crossdock gave a destination with an order, before it shipped
    "carton_labels",
    metadata,
    Column("sscc", String(18), primary_key=True),  # given once, ever
    Column("channel", String(32), nullable=False),  # channel, partner, external_id: the order's natural key
    Column("partner", String(64), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("po_number", String(128), nullable=False),
    Column("sink", String(128), nullable=False),
    Column("label_set", Integer, nullable=False),  # 1, 2, ...: a new set each time the cartons change
    Column("carton", Integer, nullable=False),
    Column("data", Text, nullable=False),  # the CartonLabel's JSON
    Column("created_at", DateTime, nullable=False),
    Index("ix_carton_labels_order", "channel", "partner", "external_id", "sink"),
    Index("ix_carton_labels_po_number", "po_number"),
)

stock_levels = Table(  # the latest on-hand figure crossdock was given for a SKU at a location, and when it was true
    "stock_levels",
    metadata,
    Column("sku", String(128), primary_key=True),
    Column("location", String(64), primary_key=True),
    Column("on_hand", Integer, nullable=False),
    Column("as_of", DateTime, nullable=False),  # when the figure was true (UTC): an older figure never replaces it
    Column("source", String(64), nullable=False),  # the stock source or the document kind that gave it
    Column("document_id", Id),  # the stored raw document it came from, when there is one
    Column("updated_at", DateTime, nullable=False),
)

stock_movements = Table(  # units in or out since a figure (returns received sellable, adjustments): on top of it
    "stock_movements",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sku", String(128), nullable=False),
    Column("location", String(64), nullable=False),
    Column("delta", Integer, nullable=False),
    Column("at", DateTime, nullable=False),
    Column("reason", String(32), nullable=False),
    Column("reference", String(256), nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("sku", "location", "reason", "reference", name="uq_stock_movements_reference"),
    Index("ix_stock_movements_sku", "sku", "location", "at"),
)

stock_reserved = Table(  # what an open order holds of each SKU, written with the order (the oversell guard)
    "stock_reserved",
    metadata,
    Column("order_id", Id, ForeignKey("orders.id"), primary_key=True),
    Column("sku", String(128), primary_key=True),  # "" marks an order read that holds no catalogued SKU
    # the stock location of the destination shipping it (stock.ships_from); "": unknown, held at every location
    Column("location", String(64), primary_key=True, server_default=""),
    Column("quantity", Integer, nullable=False),  # in eaches, less what its shipments shipped
)

stock_told = Table(  # per channel and SKU: what it was last told (sent) and what is queued to tell it
    "stock_told",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("sku", String(128), primary_key=True),
    Column("told", Integer),
    Column("told_at", DateTime),
    Column("queued", Integer),
    Column("queued_key", String(64)),  # the delivery carrying it
    Column("queued_at", DateTime),
    Column("refused", Integer),  # the figure the channel refused for this SKU (not retried until it changes)
    Column("refused_said", String(300)),  # the channel's words
    Column("refused_at", DateTime),  # since when it refuses the SKU (one alert from then on)
    Index("ix_stock_told_queued", "queued_key"),
)

returns = Table(  # a buyer's return, from its channel or EDI buyer to its refund (core/returns/intake.py)
    "returns",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel", String(64), nullable=False),  # the source's name (an EDI buyer's: its partner name)
    Column("return_id", String(128), nullable=False),  # the channel's or partner's id: the natural key with channel
    Column("rma_number", String(128)),
    Column("po_number", String(128), nullable=False),
    Column("external_id", String(128)),
    Column("order_id", Id, ForeignKey("orders.id")),  # empty while held: no such order yet
    Column("warehouse", String(64)),  # the destination told to expect it (the one that shipped the order)
    Column("state", String(24), nullable=False),  # held, open, received, approval, refunded, closed, cancelled
    Column("reason", Text),  # why held, or what a receipt did not match
    Column("data", Text, nullable=False),  # the Return's JSON, as read last
    Column("received", Text),  # the ReceivedLines applied so far (JSON list)
    Column("refund", Text),  # the Refund waiting for approval, or the last one queued (JSON)
    Column("document_id", Id, ForeignKey("documents.id")),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("channel", "return_id", name="uq_returns_natural_key"),
    Index("ix_returns_rma_number", "rma_number"),
    Index("ix_returns_po_number", "po_number"),
    Index("ix_returns_state", "state"),
)

return_receipts = Table(  # what a warehouse said it received for a return (a 944, a receipt file, ShipBob)
    "return_receipts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, unique=True),  # a digest of the receipt: read twice, applied once
    Column("return_row", Id, ForeignKey("returns.id")),  # the return it matched; empty while held
    Column("warehouse", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # applied, held
    Column("error", Text),
    Column("data", Text, nullable=False),  # the ReturnReceipt's JSON
    Column("document_id", Id, ForeignKey("documents.id")),
    Column("created_at", DateTime, nullable=False),
)

as2_mdns = Table(  # AS2 receipts (as2_receipts.py): each MDN sent or received, kept as its bytes, beside its document
    "as2_mdns",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("direction", String(3), nullable=False),  # out: a message a sink sent; in: one a source received
    Column("endpoint", String(64), nullable=False),  # the sink's or source's name
    Column("message_id", String(255), nullable=False),  # the AS2 message's Message-ID (the MDN's Original-Message-ID)
    Column("document_id", Id, ForeignKey("documents.id")),
    Column("delivery_key", String(64)),  # out: the delivery that sent it; in: the async MDN's own delivery
    Column("state", String(16), nullable=False),  # out: awaiting, positive, negative, overdue; in: answered, queued,
    # refused (an asynchronous MDN not sent: its URL is not the partner's), then sent or dead (the outbox's outcome)
    Column("mic", String(160)),  # out: the MIC the MDN must return; in: the MIC we computed
    Column("disposition", Text),
    Column("due_at", DateTime),  # out, awaiting: when the partner's window closes
    Column("attempt", Integer, nullable=False, server_default="1"),  # out: which post of the message (retried: 2, ...)
    Column("mdn", LargeBinary),  # the MDN as sent or received: its Content-Type line, a blank line, its body
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("direction", "endpoint", "message_id", name="uq_as2_mdns_message"),
    Index("ix_as2_mdns_due", "state", "due_at"),
    Index("ix_as2_mdns_document", "document_id"),
)
