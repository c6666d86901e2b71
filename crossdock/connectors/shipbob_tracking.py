"""ShipBob's delivery estimate for a shipment, asked of its tracking API for the 856's DTM*017.

``GET /2026-01/shipments-tracking?ShipmentIds=<id>`` answers a JSON list of tracking records, each with the
shipment's ``tracking_number``, ``edd`` (the estimated delivery date and time, or null) and ``edd_source``; it
takes 1 to 25 ids a request. [api/tracking/get-tracking-by-shipment-ids] [unverified] whether each record names
its shipment id, and how several ids are spelled in the query: crossdock asks for one shipment a request and
takes the record with the shipment's tracking number (the only one, when it has none). A shipment's order
carries no estimate of its own (``estimated_fulfillment_date`` is when ShipBob hands it to the carrier, and
``delivery_date`` when it was delivered).

An answer that is no estimate (4xx, a body that is not a list) leaves the shipment without one, with a warning:
the 856 falls back to the buyer's ``asn_transit_days``. A retryable answer raises ``TransientError`` (from the
caller's ``call``), so the poll is tried again later and nothing is stored half-read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx

log = logging.getLogger("crossdock.shipbob")

Call = Callable[..., httpx.Response]
MAX_EDD = 40  # characters of an edd kept: an ISO date and time with its offset is 33


def estimate(call: Call, who: str, shipment: dict[str, Any]) -> dict[str, Any] | None:
    """``{"edd": ...}`` for the shipment, as ShipBob's tracking API estimates it, or None when it gives none."""
    shipment_id = str(shipment["id"])
    response = call("GET", "/shipments-tracking", query={"ShipmentIds": shipment_id})
    try:
        records = response.json() if response.is_success else None
    except ValueError:
        records = None
    if not isinstance(records, list):
        log.warning(
            "%s: shipment %s has no delivery estimate: %s answered %s",
            who,
            shipment_id,
            response.request.url.path,
            response.status_code,
        )
        return None
    tracking = (shipment.get("tracking") or {}).get("tracking_number")
    found = [r for r in records if isinstance(r, dict) and (tracking is None or r.get("tracking_number") == tracking)]
    edd = found[0].get("edd") if len(found) == 1 or (found and tracking) else None
    return {"edd": edd[:MAX_EDD]} if isinstance(edd, str) and edd else None
