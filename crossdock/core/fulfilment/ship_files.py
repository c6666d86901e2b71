"""A warehouse's ship file in (its CSV, its Shipment JSON, ShipBob's): shipments recorded and answered like a 945's."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from crossdock.core import registry
from crossdock.core.failures import PROCESSABLE, fail_document, reason_of
from crossdock.core.fulfilment.shipping import record_shipments
from crossdock.core.hub import Hub
from crossdock.core.plan import Plan, Processed


def ship_file(hub: Hub, document_id: int, data: bytes, name: str, source_name: str, source: Any) -> Processed:
    """A warehouse's CSV ship file or Shipment JSON: its shipments recorded and answered like a 945's."""
    shipper = source.partner or source_name
    try:
        if source.format == "csv-shipments":
            found = registry.mapping("shipcsv").shipments_from_csv(
                data, source.shipment_columns, name=name, weight_unit=source.weight_unit
            )
        elif source.format == "shipbob":
            found = registry.mapping("shipbob").shipments_from_shipbob(data, name=name)
        else:
            found = registry.mapping("shipjson").shipments_from_json(data, name=name)
    except Exception as exc:
        return fail_document(hub, document_id, reason_of(exc, name), shipper, source_name, name)
    try:
        with hub.store.transaction() as conn:
            state = hub.store.claim_document(conn, document_id)
            if state not in PROCESSABLE:
                return Processed(document_id, state)
            result = Processed(document_id, "processed")
            plan = Plan()
            problems = record_shipments(hub, conn, plan, document_id, found, shipper, result)
            plan.write(hub.store, conn)
            result.error = "; ".join(problems)[:4000] or None
            hub.store.update_document(
                conn, document_id, state=result.state, error=result.error, partner=shipper, kind=source.format
            )
    except SQLAlchemyError:
        raise
    except Exception as exc:  # rolled back: the document fails alone
        return fail_document(hub, document_id, reason_of(exc, name), shipper, source_name, name)
    return result
