"""A partner configured ``lenient`` has its slipped PO accepted with errors (AK5 E) and routed; without it the
same file is rejected (issue 19, item 9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.core.storage.schema import orders
from tests.hub.conftest import base_config, write_config
from tests.hub.edi import interchange, order
from tests.hub.test_pipeline import count, dispatch, drop, partner_files


def po4_before_pid() -> bytes:
    po = order("PO-SLIP")
    po.lines[0].description, po.lines[0].pack = "STONEWARE MUG", 12
    data = interchange([po])
    assert b"PID*F****STONEWARE MUG~\nPO4*12" in data
    return data.replace(b"PID*F****STONEWARE MUG~\nPO4*12~", b"PO4*12~\nPID*F****STONEWARE MUG~")


def lenient_hub(tmp_path: Path, store_url: str, lenient: object) -> Hub:
    data = base_config(tmp_path, store_url)
    data["partners"]["northwind"]["lenient"] = lenient
    return Hub(write_config(tmp_path, data))


@pytest.mark.parametrize("lenient", [True, ["po4_before_pid"]])
def test_a_lenient_partners_slip_is_accepted_with_errors_and_routed(
    tmp_path: Path, store_url: str, lenient: object
) -> None:
    hub = lenient_hub(tmp_path, store_url, lenient)
    try:
        drop(hub, "po.edi", po4_before_pid())
        poll(hub, "drop", "me")
        dispatch(hub)
        assert count(hub, orders) == 1
        ack = next(data for name, data in partner_files(tmp_path).items() if "-997-" in name).decode()
        assert "AK5*E" in ack
    finally:
        hub.close()


def test_without_lenient_the_slip_is_rejected(tmp_path: Path, store_url: str) -> None:
    hub = lenient_hub(tmp_path, store_url, ["msg_in_n9"])
    try:
        drop(hub, "po.edi", po4_before_pid())
        poll(hub, "drop", "me")
        dispatch(hub)
        assert count(hub, orders) == 0
        ack = next(data for name, data in partner_files(tmp_path).items() if "-997-" in name).decode()
        assert "AK5*R" in ack
    finally:
        hub.close()


def test_an_unknown_slip_is_a_configuration_error(tmp_path: Path, store_url: str) -> None:
    with pytest.raises(Exception, match="unknown slips typo"):
        lenient_hub(tmp_path, store_url, ["typo"])
