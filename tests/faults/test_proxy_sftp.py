"""A fault proxy between ``crossdock run`` and the partner's sshd, which it both reads 850s from and uploads
997s and 855s to: resets, drops, refusals, cuts and delays at random moments lose and double nothing. Every
file is stored once and archived once, and each answer uploaded again is paid for by a broken connection."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from crossdock.core.storage.store import Store
from tests.faultproxy import FaultProxy
from tests.faults.dealer import FAULTS, broken, deal, when
from tests.faults.ground import FOLDER_SINK, Picker, check_ground
from tests.faults.hook import running_hook
from tests.faults.runs import Runs, drop, hub_config, po_number, settled, wait_for, write_config
from tests.hub.test_e2e_sftp import _pinned
from tests.peers import SftpPeer, sftp_block

pytestmark = [pytest.mark.faults, pytest.mark.peers]

ROUNDS = 12
PER_ROUND = 4


def test_a_faulty_path_to_the_partners_sshd_loses_and_doubles_nothing(
    tmp_path: Path, sftp_peer: SftpPeer, cutting_proxy: FaultProxy, rng: random.Random
) -> None:
    proxy = cutting_proxy
    out, inbox = sftp_peer.path / "out", sftp_peer.path / "in"
    via_proxy = {"port": proxy.port, "known_hosts": None, "host_key_fingerprint": _pinned(sftp_peer), "timeout": 3}
    names: list[str] = []
    dealt: list[str] = []
    with (
        running_hook() as hook,
        Picker({FOLDER_SINK: tmp_path / FOLDER_SINK, "in": inbox}, tmp_path / "picked") as picker,
    ):
        url = f"sqlite:///{tmp_path}/crossdock.db"
        data = hub_config(tmp_path, url, hook.url)
        data["sources"] = {
            "drop": {
                **sftp_block(sftp_peer, "out", min_age=0, pattern="*.edi"),
                **via_proxy,
                "schedule": {"every": 0.1},
            }
        }
        data["sinks"]["northwind-inbox"] = {**sftp_block(sftp_peer, "in"), **via_proxy}
        runs = Runs(tmp_path, write_config(tmp_path, data))
        store = Store.open(url)
        try:
            runs.start()
            for r in range(ROUNDS):
                names += drop(out, range(r * PER_ROUND, (r + 1) * PER_ROUND))
                moment = rng.choice([lambda: sorted(out.glob("*.edi")), lambda: sum(picker.taken["in"].values())])
                when(moment, 5)  # a file was just read, or an answer just uploaded
                fault = rng.choice(FAULTS)
                deal(proxy, rng, fault, cut=(2_000, 30_000))  # through the key exchange, into the transfers
                dealt.append(fault)
            proxy.heal()
            wait_for(lambda: settled(store, out, len(names)), runs, 90, "the files after the faults")
            assert len(runs.alive()) == 1, "the one process went through it all"
            pos = [po_number(n) for n in range(len(names))]
            cost = check_ground(store, pos, names, picker, hook, "in")
        finally:
            runs.stop()
            store.close()
    print(f"dealt {dealt}; broke {broken(proxy)} connections, refused {proxy.refused}: {cost}")
    archived = sorted(p.name for p in (out / "archive").rglob("*") if p.is_file())
    assert archived == sorted(names), "each file archived once, under its own name"
    assert cost.answer_rewrites <= broken(proxy)
