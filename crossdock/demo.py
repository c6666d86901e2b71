"""``crossdock demo``: the whole cycle offline, in a folder of its own, explained as it goes.

It writes the demo configuration and a partner's outbox of sample 850s (two orders, a replacement of one
of them, the same file sent twice, and a file from a sender nobody configured), then polls, routes and
delivers once, and prints what came in, where each order went and what went back to the partner.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from crossdock.core.config import load_config
from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.core.queries import Queries
from crossdock.core.workers import worker_id

MARKER = ".crossdock-demo"
SOURCE = "northwind-outbox"


def _sample(name: str) -> str:
    return resources.files("crossdock.samples").joinpath(name).read_text(encoding="latin-1")


def _second_file(first: str) -> str:
    """A later interchange: one new order for Texas, and NW-100232 replaced (BEG01=05) with 10 pans, not 6."""
    text = first.replace("000001001", "000001002").replace("*1001*X*", "*1002*X*").replace("GE*2*1001", "GE*2*1002")
    new, replaced = text.split("ST*850*0002", 1)
    new = new.replace("BEG*00*SA*NW-100231**", "BEG*00*SA*NW-100240**").replace("DC 0042*92*0042", "DC 0077*92*0077")
    new = new.replace("1200 HARBOR BLVD", "88 COMMERCE ST").replace("N4*OAKLAND*CA*94607", "N4*DALLAS*TX*75201")
    replaced = replaced.replace("BEG*00*SA*NW-100232**", "BEG*05*SA*NW-100232**")
    return new + "ST*850*0002" + replaced.replace("PO1*0001*6*EA*149.99", "PO1*0001*10*EA*149.99")


def _unknown_sender(first: str) -> str:
    return first.replace("ZZ*NORTHWIND      ", "ZZ*ACMEWIDGETS    ").replace("GS*PO*NORTHWIND*", "GS*PO*ACMEWIDGETS*")


def prepare(folder: Path) -> Path:
    """A fresh demo folder with its configuration and the partner's files; returns the configuration path."""
    if folder.exists():
        if not (folder / MARKER).exists() and any(folder.iterdir()):
            raise SystemExit(f"crossdock demo: {folder} exists and is not a demo folder; choose another with --dir")
        shutil.rmtree(folder)
    outbox = folder / "northwind" / "outbox"
    outbox.mkdir(parents=True)
    (folder / MARKER).write_text("made by crossdock demo; deleted and rebuilt by the next run\n")
    config = folder / "crossdock.yaml"
    config.write_text(_sample("demo.yaml"), encoding="utf-8")
    first = _sample("northwind-850.edi")
    files = {
        "01-northwind-850.edi": first,
        "02-northwind-850.edi": _second_file(first),
        "03-northwind-850-sent-again.edi": first,
        "04-acme-850.edi": _unknown_sender(first),
    }
    for name, text in files.items():
        (outbox / name).write_text(text, encoding="latin-1")
    return config


def run_demo(folder: Path) -> int:
    config_path = prepare(folder)
    hub = Hub(load_config(config_path))
    try:
        owner = worker_id()
        report = poll(hub, SOURCE, owner)
        sent = hub.dispatcher(owner).drain()
        with hub.store.transaction() as conn:
            q = Queries(hub.store)
            inbound = sorted(q.documents(conn, direction="in"), key=lambda d: d["id"])
            orders = [q.order(conn, str(o["id"])) for o in sorted(q.orders(conn), key=lambda o: o["id"])]
            outbound = sorted(q.documents(conn, direction="out"), key=lambda d: d["id"])
    finally:
        hub.close()

    print(f"crossdock demo in {folder}/ (configuration: {config_path})\n")
    print(f"IN  {report.received} file(s) read from {SOURCE}:")
    for doc in inbound:
        print(f"    {doc['remote_name']:<32} {doc['state']}" + (f": {doc['error']}" if doc["error"] else ""))
    print("\nORDERS")
    for order in orders:
        assert order is not None
        data = order["data"]
        state: dict[str, str] = next(
            (p["address"] for p in data["parties"] if p["role"] == "ST" and p.get("address")), {}
        )
        print(
            f"    {order['po_number']} from {order['partner']} ship to {state.get('city')}, {state.get('state')}: "
            f"{order['status']}, revision {order['revision']}"
        )
        for d in order["deliveries"]:
            if d["purpose"] == "order":
                print(
                    f"        -> {d['sink']:<18} {d['state']}" + (" (superseded)" if d["state"] == "cancelled" else "")
                )
    print("\nOUT")
    for doc in outbound:
        where = f"{doc['endpoint']}/{doc['remote_name']}" if doc["endpoint"] else doc["remote_name"]
        print(f"    {doc['kind']:<6} {where:<58} {doc['state']}")
    print(f"\n    {sent.sent} deliveries sent, {sent.retried} to retry, {sent.dead} dead")
    print("\nNEXT")
    print(f"    crossdock status -c {config_path}")
    print(f"    crossdock orders show NW-100232 -c {config_path}")
    failed = [d for d in inbound if d["state"] == "failed"]
    if failed:
        print(
            f"    crossdock documents show {failed[0]['id']} -c {config_path}   # the unknown sender, kept for replay"
        )
    print(f"    cat {folder / 'warehouses' / 'west'}/*.json")
    return 0
