"""``crossdock labels PO``: the SSCC-18 carton labels crossdock gave with an order, as files to print.

One file for each destination that got labels for the order (a sink with ``labels: sscc``), in ZPL for thermal
printers or PDF for desk printers, written whole under a temporary name and then renamed into ``--out``. The
labels are the ones the destination was last sent, so what prints is what the warehouse's 945 must echo and
what the 856's MAN*GM says.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from crossdock.commands import _hub, _show


def labels(args: argparse.Namespace) -> int:
    from crossdock.core import registry
    from crossdock.core.fulfilment.carton_labels import labels_of
    from crossdock.core.plan import safe_name

    with _hub(args, existing=True) as hub, hub.store.transaction() as conn:
        found = labels_of(conn, args.po, args.sink)
    if not found:
        where = f" for {args.sink}" if args.sink else ""
        _show(args, {"po_number": args.po, "files": []}, lambda _: [f"no carton labels{where} for PO {args.po}"])
        return 1
    write = getattr(registry.mapping("labels"), args.format)
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[dict[str, object]] = []
    for partner, sink, cartons in found:
        path = folder / f"{safe_name(partner)}-{safe_name(args.po)}-{safe_name(sink)}-labels.{args.format}"
        _replace(path, write(cartons))
        written.append({"partner": partner, "sink": sink, "labels": len(cartons), "file": str(path)})
    _show(
        args,
        {"po_number": args.po, "files": written},
        lambda r: [f"{f['file']}: {f['labels']} labels ({f['sink']}, {f['partner']})" for f in r["files"]],
    )
    return 0


def _replace(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole: a printer watching the folder never sees half a file."""
    part = path.with_name(f".{path.name}.part")
    part.write_bytes(data)
    os.replace(part, path)
