"""What crossdock asks ShipBob to cancel, and what ShipBob's orders and answers say about it. Pure: no I/O.

A cancel delivery names the ShipBob order by the reference crossdock created it under, and the shipments of it
crossdock recorded as shipped. An order can no longer be cancelled once a shipment has left or is being packed
(``PAST_CANCEL``); when every such shipment is one crossdock counted, the order's open shipments can still be
cancelled one by one (``left_shipments``), so a partly shipped order is replaced by what is left of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from crossdock.core.errors import PermanentError

PAST_CANCEL = frozenset({"Completed", "LabeledCreated"})


class CancelOrder(BaseModel):
    """What the sink cancels: the ShipBob order created under ``reference_id`` (a delivery key of crossdock)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    reference_id: str
    order_number: str
    shipped: list[str] = []  # the order's shipments crossdock recorded: kept, only the open ones are cancelled


def cancel_request(po_number: str, reference: str, shipped: Sequence[str] = ()) -> bytes:
    """The document of a cancel delivery: which ShipBob order to cancel (``POST /order/{id}:cancel``), and the
    shipments of it crossdock recorded (then only its open shipments are cancelled)."""
    cancel = CancelOrder(reference_id=reference, order_number=po_number, shipped=list(shipped))
    return cancel.model_dump_json(exclude_defaults=True).encode("utf-8")


def read_cancel(data: bytes, name: str) -> CancelOrder:
    try:
        return CancelOrder.model_validate_json(data)
    except ValidationError as exc:
        raise PermanentError(f"{name} is not a ShipBob cancel request: {exc}") from None


def shipped_already(order: dict[str, Any]) -> str | None:
    """Why a ShipBob order can no longer be cancelled (a shipment has left or is being packed), or None."""
    for shipment in order.get("shipments") or []:
        if isinstance(shipment, dict) and shipment.get("status") in PAST_CANCEL:
            return f"shipment {shipment.get('id')} is {shipment.get('status')}"
    status = order.get("status")
    return f"the order is {status}" if status in ("Fulfilled", "PartiallyFulfilled") else None


def left_shipments(order: dict[str, Any], counted: frozenset[str]) -> list[str] | None:
    """The ids of the order's shipments still open (to cancel one by one) when every shipment that has left or is
    being packed is one crossdock ``counted``; None when one that left is not (ShipBob shipped more than crossdock
    knows of: too late to replace the order)."""
    open_ids: list[str] = []
    for shipment in order.get("shipments") or []:
        if not isinstance(shipment, dict):
            continue
        status, shipment_id = shipment.get("status"), str(shipment.get("id"))
        if status in PAST_CANCEL and shipment_id not in counted:
            return None
        if status not in PAST_CANCEL and status != "Cancelled":
            open_ids.append(shipment_id)
    return open_ids


def cancel_refusals(answer: Any) -> list[str]:
    """The shipments ShipBob's cancel answer says it could not cancel, each with ShipBob's reason."""
    results = answer.get("canceled_shipment_results") if isinstance(answer, dict) else None
    return [
        f"shipment {r.get('shipment_id')}: {r.get('reason') or 'not cancelled'}"
        for r in results or []
        if isinstance(r, dict) and r.get("is_success") is False
    ]
