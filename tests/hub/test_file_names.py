"""One file name, one delivery. PO numbers ``A/1`` and ``A 1`` both cleaned to ``A_1``: in one dispatch round one
order was lost, every delivery of the round was dead-lettered, and files were left on disk for deliveries marked
dead. Now a cleaned value keeps a digest of itself, a name two deliveries share is keyed by the second, and a
file that cannot be renamed fails alone."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crossdock.connectors.folder import FolderSink
from crossdock.connectors.folder_config import FolderSinkConfig
from crossdock.connectors.names import RoundNames
from crossdock.connectors.sftp import SftpSink
from crossdock.core.configuration.config import RetryConfig
from crossdock.core.hub import Hub
from crossdock.core.outbox import Dispatcher
from crossdock.core.plan import safe_name
from crossdock.core.ports import X12_CONTENT_TYPE as X12
from crossdock.core.ports import Outbound, Sink
from crossdock.core.retry import RetryPolicy
from crossdock.core.storage import delivery_names
from crossdock.core.storage.delivery_names import Unnamed, keyed_name, name_deliveries
from crossdock.core.storage.schema import deliveries, documents
from crossdock.core.storage.store import Store
from tests.hub.conftest import base_config, receive, write_config
from tests.hub.edi import interchange, order
from tests.peers import SftpPeer, sftp_sink_config


def test_values_that_clean_to_the_same_name_keep_apart() -> None:
    values = ["A/1", "A 1", "A_1", "A\\1", ".", "..", "", "ＰＯ／．．／x", "x", "../x", "A_1--a5b3d27a"]
    names = [safe_name(v) for v in values]
    assert len(set(names)) == len(values), dict(zip(values, names, strict=True))
    assert safe_name("A_1") == "A_1" and safe_name("PO-1001") == "PO-1001", "a value that fits stays as it is"
    assert safe_name("A/1") == safe_name("A/1"), "stable"
    assert all(n.startswith(("A_1--", "x--")) for n in (safe_name("A/1"), safe_name(".."), safe_name("ＰＯ／．．／x")))
    assert all(n and n[0] not in "._" and "/" not in n for n in names)
    long = safe_name("7" * 500)
    assert len(long) == 80 + 10 and long != safe_name("7" * 501), "a long value is cut and keeps its digest"


def test_a_name_two_deliveries_share_in_a_round_is_keyed_by_the_second() -> None:
    names = RoundNames()
    assert names.claim("po.json", "aaaaaaaa11") == "po.json"
    assert names.claim("po.json", "bbbbbbbb22") == "po--bbbbbbbb.json"
    assert names.claim("po.json", "aaaaaaaa11") == "po.json", "a delivery sent again keeps its name"
    assert names.claim("po.json", "bbbbbbbb33") == "po--bbbbbbbb33.json", "more of the key when the start is taken"
    assert keyed_name("noext", "c0ffee0011") == "noext--c0ffee00"
    bounded = RoundNames(remembered=2)
    for n in range(3):
        bounded.claim(f"{n}.json", f"k{n}")
    assert bounded.claim("0.json", "other") == "0.json", "only the last names are remembered"


def test_a_folder_keeps_both_files_of_a_shared_name_and_an_earlier_rounds_file(tmp_path: Path) -> None:
    sink = FolderSink("out", FolderSinkConfig(type="folder", path=tmp_path))
    first = sink.send(Outbound("po.json", b'{"po": 1}', "aaaaaaaa11"))
    second = sink.send(Outbound("po.json", b'{"po": 2}', "bbbbbbbb22"))
    assert sink.flush() == {}
    assert (Path(first).name, Path(second).name) == ("po.json", "po--bbbbbbbb.json")
    third = sink.send(Outbound("po.json", b'{"po": 3}', "cccccccc33"))
    again = sink.send(Outbound("po.json", b'{"po": 1}', "aaaaaaaa11"))
    assert sink.flush() == {}
    assert Path(third).name == "po--cccccccc.json", "po.json is still there, another delivery's: not replaced"
    assert again == first, "the same delivery's bytes under its own name are replaced in place"
    assert {p.name: json.loads(p.read_bytes())["po"] for p in tmp_path.iterdir()} == {
        "po.json": 1,
        "po--bbbbbbbb.json": 2,
        "po--cccccccc.json": 3,
    }


def hub_for(tmp_path: Path, store_url: str) -> Hub:
    data = base_config(tmp_path, store_url)
    data["partners"]["northwind"]["send_855"] = False
    return Hub(write_config(tmp_path, data))


def sent(hub: Hub) -> dict[str, str]:
    with hub.store.transaction() as conn:
        rows = conn.execute(
            select(documents.c.remote_name, deliveries.c.state)
            .join(deliveries, deliveries.c.document_id == documents.c.id)
            .where(deliveries.c.purpose == "order")
        ).all()
    return {r.remote_name: r.state for r in rows}


def test_two_pos_that_clean_alike_are_two_files_and_the_round_is_sent(tmp_path: Path, store_url: str) -> None:
    hub = hub_for(tmp_path, store_url)
    try:
        receive(hub, interchange([order(po) for po in ("A/1", "A 1", "A_1", ".", "..", "x")]))
        report = hub.dispatcher().drain()
        assert (report.sent, report.retried, report.dead) == (7, 0, 0), "six orders and the 997"
        assert set(sent(hub).values()) == {"sent"}
    finally:
        hub.close()
    files = {p.name: json.loads(p.read_bytes())["po_number"] for p in (tmp_path / "west").iterdir()}
    assert sorted(files.values()) == [".", "..", "A 1", "A/1", "A_1", "x"], "every order has its own file"
    assert files[f"northwind-{safe_name('A/1')}-r1.json"] == "A/1"


def test_one_file_that_cannot_be_renamed_fails_alone(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = hub_for(tmp_path, store_url)
    try:
        receive(hub, interchange([order("PO-1"), order("PO-2"), order("PO-3")]))
        (tmp_path / "west" / "northwind-PO-2-r1.json").mkdir(parents=True)  # the rename of PO-2 cannot succeed
        (tmp_path / "west" / "northwind-PO-2-r1.json" / "keep").write_text("")
        monkeypatch.setattr(FolderSink, "_other_file", lambda self, data, name: False)  # a folder seen as free
        report = hub.dispatcher().run_once()
        assert (report.sent, report.retried, report.dead) == (3, 1, 0), "PO-1, PO-3 and the 997; PO-2 retries"
        assert sent(hub) == {
            "northwind-PO-1-r1.json": "sent",
            "northwind-PO-2-r1.json": "pending",
            "northwind-PO-3-r1.json": "sent",
        }
    finally:
        hub.close()
    written = sorted(p.name for p in (tmp_path / "west").iterdir())
    assert written == ["northwind-PO-1-r1.json", "northwind-PO-2-r1.json", "northwind-PO-3-r1.json"]
    assert not list((tmp_path / "west").glob(".*")), "no temporary file is left"


@pytest.mark.peers
def test_an_sftp_server_gets_one_file_per_delivery_and_a_bundle_that_fails_fails_alone(sftp_peer: SftpPeer) -> None:
    sink = SftpSink("wh", sftp_sink_config(sftp_peer, interchanges_per_file=2))
    edi = [Outbound("asn.edi", interchange([order(f"PO{n}")], control=n), f"key{n}-0000", X12) for n in (1, 2, 3)]
    try:
        first = sink.send(Outbound("po.json", b'{"po": 1}', "aaaaaaaa11"))
        second = sink.send(Outbound("po.json", b'{"po": 2}', "bbbbbbbb22"))
        bundles = [sink.send(d) for d in edi]
        (sftp_peer.path / "asn--key3-000.edi").mkdir()  # the second bundle's rename cannot succeed
        (sftp_peer.path / "asn--key3-000.edi" / "keep").write_text("")
        failed = sink.flush()
    finally:
        sink.close()
    assert [Path(p).name for p in (first, second, *bundles)] == [
        "po.json",
        "po--bbbbbbbb.json",
        "asn.edi",
        "asn.edi",
        "asn--key3-000.edi",
    ]
    assert list(failed) == ["key3-0000"], "the first bundle is in place; the second fails alone"
    assert {p.name for p in sftp_peer.path.iterdir() if p.is_file()} == {"po.json", "po--bbbbbbbb.json", "asn.edi"}
    assert (sftp_peer.path / "asn.edi").read_bytes() == edi[0].data + edi[1].data


def queue(store: Store, sink: str, name: str, data: bytes, key: str) -> None:
    with store.transaction() as conn:
        doc = store.add_document(conn, direction="out", data=data, state="queued", remote_name=name)
        store.enqueue(conn, key=key, sink=sink, purpose="order", document_id=doc)


def rounds(
    store: Store, make: Callable[[], Sink], sent: list[tuple[str, bytes, str]], between: Callable[[], None]
) -> None:
    """Each (name, bytes, key) queued and sent in a dispatch round of its own, by a sink of its own (another
    worker's, or one made after a restart, which knows nothing of earlier rounds), ``between`` run after each."""
    policy = RetryPolicy(RetryConfig(max_attempts=3, initial=0, maximum=0, jitter=0))
    for name, data, key in sent:
        queue(store, "out", name, data, key)
        sink = make()
        try:
            report = Dispatcher(store, partial(_same, sink), policy, owner="w1").run_once()
        finally:
            sink.close()
        assert (report.sent, report.dead, report.retried) == (1, 0, 0)
        between()


def _same(sink: Sink, name: str) -> Sink:
    return sink


SAME_NAME = [
    ("po.json", b'{"po": 1}', "aaaaaaaa11"),
    ("po.json", b'{"po": 2}', "bbbbbbbb22"),
    ("po.json", b'{"po": 3}', "cccccccc33"),
]


@pytest.mark.peers
def test_an_sftp_server_keeps_every_delivery_of_a_shared_name_across_rounds(store: Store, sftp_peer: SftpPeer) -> None:
    rounds(store, lambda: SftpSink("out", sftp_sink_config(sftp_peer)), SAME_NAME, lambda: None)
    files = {p.name: json.loads(p.read_bytes())["po"] for p in sftp_peer.path.iterdir() if p.is_file()}
    assert files == {"po.json": 1, "po--bbbbbbbb.json": 2, "po--cccccccc.json": 3}, "none written over another"


def test_a_folder_keeps_a_delivery_under_its_name_even_once_the_name_is_free_again(
    store: Store, tmp_path: Path
) -> None:
    """The partner picks up each file before the next round: a later delivery under the same name still gets its
    own, so an attempt repeated after a crash lands on the name the first attempt used."""
    config = FolderSinkConfig(type="folder", path=tmp_path / "out")
    picked: dict[str, int] = {}

    def pick_up() -> None:
        for p in (tmp_path / "out").iterdir():
            picked[p.name] = json.loads(p.read_bytes())["po"]
            p.unlink()

    rounds(store, lambda: FolderSink("out", config), SAME_NAME, pick_up)
    assert picked == {"po.json": 1, "po--bbbbbbbb.json": 2, "po--cccccccc.json": 3}
    with store.transaction() as conn:
        names = dict(conn.execute(select(deliveries.c.key, deliveries.c.file_name)).all())
    assert names == {"aaaaaaaa11": "po.json", "bbbbbbbb22": "po--bbbbbbbb.json", "cccccccc33": "po--cccccccc.json"}


def test_two_workers_never_name_two_deliveries_alike(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The unique index decides when two workers choose at once: a choice the other made first is made again."""
    for key in ("aaaaaaaa11", "bbbbbbbb22", "cccccccc33"):
        queue(store, "out", "po.json", b"{}", key)
    with store.transaction() as conn:
        ids = dict(conn.execute(select(deliveries.c.key, deliveries.c.id)).all())
        first = name_deliveries(conn, [Unnamed(ids["aaaaaaaa11"], "out", "aaaaaaaa11", "po.json")])
    assert first == {ids["aaaaaaaa11"]: "po.json"}
    monkeypatch.setattr(delivery_names, "_held", lambda conn, sinks, names: set())  # looked before the other wrote
    with store.transaction() as conn:
        late = [Unnamed(ids[k], "out", k, "po.json") for k in ("bbbbbbbb22", "cccccccc33")]
        assert name_deliveries(conn, late) == {
            ids["bbbbbbbb22"]: "po--bbbbbbbb.json",
            ids["cccccccc33"]: "po--cccccccc.json",
        }
    with store.transaction() as conn, pytest.raises(IntegrityError):
        conn.execute(deliveries.update().where(deliveries.c.key == "cccccccc33").values(file_name="po.json"))


KILLED_AFTER_FLUSH = """
import os, signal, sys
from crossdock.connectors.folder import FolderSink
from crossdock.core.configuration.config import RetryConfig
from crossdock.connectors.folder_config import FolderSinkConfig
from crossdock.core.outbox import Dispatcher
from crossdock.core.retry import RetryPolicy
from crossdock.core.storage.store import Store

sink = FolderSink("out", FolderSinkConfig(type="folder", path=sys.argv[2]))
flush = sink.flush


def flush_then_die():
    flush()
    os.kill(os.getpid(), signal.SIGKILL)  # the files are in place; their outcome is never recorded


sink.flush = flush_then_die
policy = RetryPolicy(RetryConfig(max_attempts=3, initial=0, maximum=0, jitter=0))
Dispatcher(Store.open(sys.argv[1]), lambda _: sink, policy).run_once()
"""


def test_a_send_repeated_after_a_kill_between_flush_and_outcome_lands_on_the_same_name(
    store: Store, store_url: str, tmp_path: Path
) -> None:
    """``crossdock`` killed after the folder sink's flush and before the outcome is recorded sends the batch again
    after the restart: under the names the first attempt used, replacing identical bytes, even when the partner
    picked up another file of that name meanwhile (the name was chosen afresh each round: the same interchange,
    ISA13 and all, then arrived twice under two names)."""
    out = tmp_path / "out"
    policy = RetryPolicy(RetryConfig(max_attempts=3, initial=0, maximum=0, jitter=0))
    sink = FolderSink("out", FolderSinkConfig(type="folder", path=out))
    first, second = interchange([order("PO-1")], control=1), interchange([order("PO-1", qty=9)], control=2)
    queue(store, "out", "northwind-855.edi", first, "aaaaaaaa11")
    assert Dispatcher(store, partial(_same, sink), policy).run_once().sent == 1
    queue(store, "out", "northwind-855.edi", second, "bbbbbbbb22")

    killed = subprocess.run([sys.executable, "-c", KILLED_AFTER_FLUSH, store_url, str(out)], check=False)
    assert killed.returncode == -signal.SIGKILL
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {
        "northwind-855.edi": first,
        "northwind-855--bbbbbbbb.edi": second,
    }
    (out / "northwind-855.edi").unlink()  # the partner picks up the first file

    report = Dispatcher(store, partial(_same, FolderSink("out", FolderSinkConfig(type="folder", path=out))), policy)
    assert report.run_once().sent == 1, "the killed process's claim released at once, and sent again"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {"northwind-855--bbbbbbbb.edi": second}


def test_a_batch_larger_than_one_statement_takes_is_named_in_chunks(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery_names, "CHUNK", 3)
    for n in range(7):
        queue(store, "out", "po.json", b"{}", f"{n}" * 10)
    with store.transaction() as conn:
        claimed = store.claim(conn, "w1", limit=100, lease=60)
    assert [c.name for c in claimed] == ["po.json", *(f"po--{n}{n}{n}{n}{n}{n}{n}{n}.json" for n in range(1, 7))]
