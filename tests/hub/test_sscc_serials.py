"""SSCC-18 serials: one sequence per GS1 prefix and extension digit for the whole company, never reused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crossdock.core.fulfilment.sscc_serials import Gs1Block, SerialsExhausted, allocate, block_for
from crossdock.core.hub import Hub
from crossdock.core.storage.store import Store
from crossdock.mappings.x12.asn856 import shipment_from_856
from crossdock.mappings.x12.sscc import is_valid_sscc
from tests.hub.conftest import write_config
from tests.hub.edi import interchange, order, ship_advice
from tests.hub.test_ship_flow import checked, config, cycle, files


def _two_buyers(tmp_path: Path, store_url: str, **company: Any) -> dict[str, Any]:
    cfg = config(tmp_path, store_url)
    cfg["company"].update(company)
    cfg["partners"]["globex"] = {
        **cfg["partners"]["northwind"],
        "isa_id": "GLOBEX",
        "reply_to": "globex-inbox",
    }
    cfg["sinks"]["globex-inbox"] = {"type": "folder", "path": str(tmp_path / "globex-inbox")}
    return cfg


def _ssccs(folder: Path) -> list[str]:
    return [
        p.sscc or "" for d in files(folder, "856") for o in shipment_from_856(checked(d)).orders for p in o.packages
    ]


def test_two_buyers_under_one_prefix_never_get_the_same_sscc(tmp_path: Path, store_url: str) -> None:
    hub = Hub(write_config(tmp_path, _two_buyers(tmp_path, store_url)))
    try:
        cycle(hub, "nw.edi", interchange([order("PO-1")]))
        cycle(hub, "gx.edi", interchange([order("PO-2")], sender="GLOBEX", control=2))
        cycle(hub, "945a.edi", ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")], control=50))
        cycle(hub, "945b.edi", ship_advice("PO-2", "SHIP-2", [("0001", 5, 5, "MUG-BLU")], control=51))
    finally:
        hub.close()
    (north,) = _ssccs(tmp_path / "partner-inbox")
    (glob,) = _ssccs(tmp_path / "globex-inbox")
    assert north != glob and is_valid_sscc(north) and is_valid_sscc(glob)
    assert {north[8:17], glob[8:17]} == {"000000001", "000000002"}  # consecutive serials of one sequence


def test_the_company_prefix_and_extension_digit_number_a_partner_without_its_own(
    tmp_path: Path, store_url: str
) -> None:
    cfg = _two_buyers(tmp_path, store_url, gs1_prefix="0871234", extension_digit="3")
    del cfg["partners"]["northwind"]["gs1_prefix"]
    hub = Hub(write_config(tmp_path, cfg))
    try:
        cycle(hub, "nw.edi", interchange([order("PO-1")]))
        cycle(hub, "945a.edi", ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")], control=50))
    finally:
        hub.close()
    (sscc,) = _ssccs(tmp_path / "partner-inbox")
    assert sscc.startswith("30871234000000001") and is_valid_sscc(sscc)


def test_the_company_sequence_starts_above_the_per_buyer_sequences_of_before(store: Store) -> None:
    block = Gs1Block("0614141")
    with store.transaction() as conn:
        store.next_numbers(conn, "northwind", "sscc", 12)  # what an earlier version drew for one buyer
        store.next_numbers(conn, "globex", "sscc", 5)
        first, second = allocate(store, conn, block, 2)
    assert (first[8:17], second[8:17]) == ("000000013", "000000014")


def test_a_used_up_serial_space_is_an_error_not_a_wrap_around(store: Store) -> None:
    block = Gs1Block("06141411234", "1")  # 11-digit prefix: five serial digits, 1 to 99999
    with store.transaction() as conn:
        store.start_above(conn, block.scope, "sscc", "gs1:%")
        store.next_numbers(conn, block.scope, "sscc", 99_997)
        assert [s[12:17] for s in allocate(store, conn, block, 2)] == ["99998", "99999"]
    used_up = pytest.raises(SerialsExhausted, match="06141411234 with extension digit 1 are used up")
    with used_up, store.transaction() as conn:
        allocate(store, conn, block, 1)
    with store.transaction() as conn:  # the failed reservation was rolled back with its transaction
        assert store.next_numbers(conn, block.scope, "sscc", 0) == 100_000


def test_a_partners_own_prefix_keeps_working_and_wins_over_the_companys(tmp_path: Path, store_url: str) -> None:
    cfg = _two_buyers(tmp_path, store_url, gs1_prefix="0871234")
    loaded = write_config(tmp_path, cfg)
    assert block_for(loaded, loaded.partners["northwind"]) == Gs1Block("0614141", "0")
    assert block_for(loaded) == Gs1Block("0871234", "0")
