"""A partner's 855 settings reach the 855 the hub sends for a routed order (issue 19 item 10)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from crossdock.core.hub import Hub
from crossdock.core.models import DateRef
from tests.hub.conftest import write_config
from tests.hub.edi import interchange, order
from tests.hub.test_ship_flow import config, cycle, files


def test_scheduled_ship_date_and_price_basis_per_partner(tmp_path: Path, store_url: str) -> None:
    settings = {"send_855": True, "ack_ship_date": True, "ack_lead_days": 2, "ack_price_basis": True}
    hub = Hub(write_config(tmp_path, config(tmp_path, store_url, **settings)))
    po = order("PO-1")
    po.dates = [DateRef(qualifier="010", date=dt.date(2026, 11, 25))]
    try:
        cycle(hub, "po.edi", interchange([po]))
        (ack,) = files(tmp_path / "partner-inbox", "855")
        assert b"PO1*0001*5*EA*12.5*PE*VN*MUG-BLU~" in ack
        assert b"ACK*IA*5*EA*068*20261125~" in ack
    finally:
        hub.close()
