"""The Partners page: each partner's, source's and sink's settings as configured (every secret masked), each
source's last poll, each partner's acknowledgment states, and the compliance figures of each partner and
channel (``core/acknowledgments/compliance.py``) over a chosen period (30 days unless the page asks for another)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select

from crossdock.core.acknowledgments.compliance import (
    DEFAULT_ASN_DUE,
    DEFAULT_FULFILMENT_DUE,
    PartnerFigures,
    compliance,
)
from crossdock.core.hub import Hub
from crossdock.core.masking import masked
from crossdock.core.storage.queries import utc_text
from crossdock.core.storage.schema import cursors

WINDOW_DAYS = 30
PERIODS = (1, 7, 30, 90, 365)  # the periods the page offers


def _settings(model: BaseModel) -> str:
    """Settings as JSON text; ``${VAR}`` references are shown as such, and any resolved secret is masked."""
    return masked(json.dumps(model.model_dump(mode="json", exclude_none=True), indent=2, default=str), model)


def partners_view(hub: Hub, days: int = WINDOW_DAYS) -> dict[str, Any]:
    config = hub.config
    days = days if days in PERIODS else WINDOW_DAYS
    with hub.store.transaction() as conn:
        figures = compliance(conn, config, days)
        polls = {
            r.name.removeprefix("poll:"): json.loads(r.value)
            for r in conn.execute(select(cursors).where(cursors.c.name.like("poll:%")).limit(1000))
        }
    return {
        "partners": [
            {
                "name": name,
                "settings": _settings(p),
                "acks": figures.partners.get(name, PartnerFigures()).states,
                "compliance": figures.partners.get(name, PartnerFigures()),
                "asn_due": p.asn_due_within or DEFAULT_ASN_DUE,
            }
            for name, p in config.partners.items()
        ],
        "channels": sorted(figures.channels.items()),
        "sources": [
            {
                "name": name,
                "settings": _settings(s),
                "at": utc_text((polls.get(name) or {}).get("at")),
                "error": str((polls.get(name) or {}).get("error") or "")[:500],
            }
            for name, s in config.sources.items()
        ],
        "sinks": [{"name": name, "settings": _settings(s)} for name, s in config.sinks.items()],
        "window": days,
        "periods": PERIODS,
        "fulfilment_due": DEFAULT_FULFILMENT_DUE,
    }
