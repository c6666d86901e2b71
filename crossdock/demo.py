"""``crossdock demo``: the whole cycle offline, in a folder of its own, explained as it goes.

It writes the demo configuration and a partner's outbox of sample 850s (two orders, a replacement of one
of them, the same file sent twice, and a file from a sender nobody configured), then polls, routes and
delivers once, and prints what came in, where each order went and what went back to the partner.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from crossdock.core.configuration.config import load_config
from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.workers import worker_id

MARKER = ".crossdock-demo"
SOURCE = "northwind-outbox"
# The partner to add for the demo's file from an unknown sender; its answers go to the demo's acme-inbox sink.
ACME = {"isa_qualifier": "ZZ", "isa_id": "ACMEWIDGETS", "reply_to": "acme-inbox"}


def command() -> str:
    """How to run crossdock again from here, as this run was started: ``crossdock`` when that is the one on PATH,
    else the script's path (``.venv/bin/crossdock`` from the checkout), else this Python with ``-m crossdock.cli``;
    so every hint the demo prints works when pasted as printed."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == "crossdock" and script.exists():
        on_path = shutil.which("crossdock")
        if on_path is not None and Path(on_path).resolve() == script.resolve():
            return "crossdock"
        return shlex.quote(_near(script))
    return f"{shlex.quote(_near(Path(sys.executable)))} -m crossdock.cli"


def _near(path: Path) -> str:
    """``path`` relative to the working folder when it is inside it (``.venv/bin/crossdock``), else absolute."""
    full = path.absolute()
    try:
        return str(full.relative_to(Path(os.getcwd())))
    except ValueError:
        return str(full)


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
    _hints(config_path, folder, [d for d in inbound if d["state"] == "failed"])
    return 0


def _hints(config_path: Path, folder: Path, failed: list[dict[str, Any]]) -> None:
    run, config = command(), shlex.quote(str(config_path))
    print("\nNEXT")
    print(f"    {run} status -c {config}")
    print(f"    {run} orders show NW-100232 -c {config}")
    print(f"    cat {shlex.quote(str(folder / 'warehouses' / 'west'))}/*.json")
    if failed:
        print(f"    {run} documents show {failed[0]['id']} -c {config}   # the unknown sender, kept for replay")
        print(f"\n    To take that file: add the partner under `partners:` in {config_path}")
        print("        acme:")
        print("".join(f"          {key}: {value}\n" for key, value in ACME.items()), end="")
        print("    then run it again, and send what that queued:")
        print(f"    {run} replay {failed[0]['id']} -c {config}")
        print(f"    {run} poll {SOURCE} -c {config}")
