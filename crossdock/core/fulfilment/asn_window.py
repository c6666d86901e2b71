"""One 856 for the POs of one bill of lading that the warehouse confirms in separate files
(``asn_consolidate_window``).

A buyer that consolidates gets one 856 for the POs of one file that share a bill of lading and a ship-to
(``asn_plan.consolidation_key``). With a window, that 856 waits in the outbox for it (its delivery's first
attempt is that far off). A later file from the same shipper with a PO on the same bill of lading to the same
ship-to, while the 856 still waits, writes no 856 of its own: the waiting one is written again with every PO's
order level, under the control numbers it already has (it was never sent), so the buyer gets one 856 and no gap.
Once the window has passed, or when the waiting 856 is due within ``MARGIN`` (the dispatcher may be sending it),
a later PO gets its own 856 as before. Only bill-of-lading keys wait: a shipment id is one file's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import Connection, and_, or_, select, update

from crossdock.core.fulfilment.asn_plan import consolidated, consolidation_key
from crossdock.core.fulfilment.models import Shipment
from crossdock.core.partners import Controls, Partner
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import deliveries, documents, orders, shipments

MARGIN = dt.timedelta(seconds=5)
RECENT_SHIPMENTS = 500  # the shipper's latest shipments a waiting 856's POs are looked for among


def window(buyer: Partner) -> dt.timedelta | None:
    """How long the buyer's consolidated 856s wait for later POs, or None when they do not."""
    seconds = buyer.config.asn_consolidate_window
    return dt.timedelta(seconds=seconds) if buyer.config.asn_consolidate and seconds else None


def waits(key: tuple[str, str, str] | None) -> bool:
    """Whether an 856 of this consolidation key may wait for later files: a bill of lading's only."""
    return key is not None and key[1].startswith("BM:")


@dataclass(slots=True)
class Waiting:
    """An 856 that waits in the outbox, and the shipments (of earlier files) it carries."""

    document_id: int
    controls: Controls
    shipments: list[Shipment]


def find_waiting(conn: Connection, buyer: Partner, key: tuple[str, str, str], this_file: int) -> Waiting | None:
    """The buyer's 856 for ``key`` still waiting to be sent, with the earlier files' shipments on that key."""
    span = window(buyer)
    if span is None or not waits(key):
        return None
    now = utcnow()
    rows = conn.execute(
        select(shipments.c.data, shipments.c.document_id)
        .join(orders, orders.c.id == shipments.c.order_id)
        .where(
            shipments.c.partner == key[0],
            shipments.c.state == "recorded",
            shipments.c.document_id != this_file,
            shipments.c.created_at >= now - span,
            orders.c.partner == buyer.name,
        )
        .order_by(shipments.c.id.desc())
        .limit(RECENT_SHIPMENTS)
    ).all()
    members: dict[int, list[Shipment]] = {}
    for row in rows:
        one = Shipment.model_validate(json.loads(row.data))
        if consolidation_key(one, key[0]) == key:
            members.setdefault(int(row.document_id), []).insert(0, one)
    if not members:
        return None
    found = conn.execute(
        select(
            documents.c.id,
            documents.c.parent_id,
            documents.c.interchange_control,
            documents.c.group_control,
            documents.c.transaction_controls,
        )
        .join(deliveries, deliveries.c.document_id == documents.c.id)
        .where(
            documents.c.direction == "out",
            documents.c.kind == "856",
            documents.c.partner == buyer.name,
            documents.c.parent_id.in_(sorted(members)),
            deliveries.c.state == "pending",
            deliveries.c.next_attempt_at > now + MARGIN,
            or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now),
        )
        .order_by(documents.c.id.desc())
        .limit(1)
        .with_for_update(of=deliveries)
    ).first()
    if found is None or not found.interchange_control or not found.group_control:
        return None
    carried = [one for parent in sorted(members) if parent >= found.parent_id for one in members[parent]]
    controls = Controls(int(found.interchange_control), int(found.group_control), int(found.transaction_controls))
    return Waiting(int(found.id), controls, carried)


def joined(waiting: Waiting, pieces: list[Shipment]) -> Shipment:
    """The shipment the waiting 856 describes once this file's POs join it."""
    return consolidated([*waiting.shipments, *pieces])


def rewrite(conn: Connection, waiting: Waiting, data: bytes) -> bool:
    """The waiting 856 as written again: its bytes replaced, its delivery and control numbers kept; False when
    it is no longer queued (then nothing changed)."""
    done = conn.execute(
        update(documents)
        .where(and_(documents.c.id == waiting.document_id, documents.c.state == "queued"))
        .values(data=data, sha256=hashlib.sha256(data).hexdigest(), size=len(data), updated_at=utcnow())
    )
    return bool(done.rowcount)
