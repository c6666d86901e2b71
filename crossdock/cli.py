"""The ``crossdock`` command."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crossdock.core.errors import ConfigError, CrossdockError, NotX12Error

if TYPE_CHECKING:
    from crossdock.core.config import Config
    from crossdock.core.hub import Hub


def _x12_validate(args: argparse.Namespace) -> int:
    from crossdock.mappings.x12.report import validate_file

    results = []
    for path in args.files:
        try:
            results.append(validate_file(Path(path), name=path, encoding=args.encoding))
        except OSError as exc:
            from crossdock.mappings.x12.report import FileResult

            results.append(FileResult(file=path, error=f"cannot read: {exc.strerror}"))
    if args.json:
        print(json.dumps({"files": [r.to_dict() for r in results]}, indent=2))
    else:
        for r in results:
            _print_result(r)
    if any(r.error is not None for r in results):
        return 2
    return 0 if all(r.ok for r in results) else 1


def _print_result(result: object) -> None:
    from crossdock.mappings.x12.report import FileResult

    assert isinstance(result, FileResult)
    if result.error:
        print(f"{result.file}: not X12: {result.error}")
        return
    print(f"{result.file}: {'ok' if result.ok else 'REJECTED'}")
    for ir in result.interchanges:
        ic = ir.interchange
        print(f"  interchange {ic.control} {ic.sender_id} -> {ic.receiver_id}")
        for e in ic.errors:
            print(f"    {e}")
        for gr in ir.groups:
            print(f"    group {gr.group.control} {gr.group.functional_id} {gr.group.version}")
            for e in gr.group.errors:
                print(f"      {e}")
            for s in gr.sets:
                print(f"      {s.code} {s.control}: {s.status}")
                for e in s.errors:
                    print(f"        {e}")


def _one_file(args: argparse.Namespace, produce: Callable[[Path], str]) -> int:
    """Print what ``produce`` makes of the file; a file that is unreadable or not X12 exits 2 with why."""
    try:
        text = produce(Path(args.file))
    except NotX12Error as exc:
        print(f"crossdock: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"crossdock: {args.file}: cannot read: {exc.strerror}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


def _x12_to_json(args: argparse.Namespace) -> int:
    from crossdock.mappings.x12.documents import decode_file

    return _one_file(args, lambda path: json.dumps(decode_file(path, encoding=args.encoding), indent=2) + "\n")


def _x12_ack(args: argparse.Namespace) -> int:
    from crossdock.mappings.x12.ack import AckKind, acknowledge_file

    kind: AckKind = "999" if args.ack999 else "997"
    return _one_file(args, lambda path: acknowledge_file(path, kind=kind, encoding=args.encoding))


def _encoding_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--encoding", default="latin-1", help="partner text encoding (default latin-1)")


DEFAULT_CONFIG = "crossdock.yaml"
_LOG_LEVELS = {"run": "INFO", "demo": "ERROR"}


def _config_path(args: argparse.Namespace) -> str:
    return str(args.config or os.environ.get("CROSSDOCK_CONFIG") or DEFAULT_CONFIG)


def _load(args: argparse.Namespace) -> Config:
    from crossdock.core.config import load_config

    return load_config(_config_path(args))


@contextmanager
def _hub(args: argparse.Namespace) -> Iterator[Hub]:
    from crossdock.core.hub import Hub

    hub = Hub(_load(args))
    try:
        yield hub
    finally:
        hub.close()


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def _check(args: argparse.Namespace) -> int:
    from crossdock.core.config import check_config, load_config

    path = _config_path(args)
    problems = check_config(path)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{path}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    config = load_config(path)
    print(
        f"{path}: ok ({len(config.partners)} partner(s), {len(config.sources)} source(s), "
        f"{len(config.sinks)} sink(s), {len(config.routing.rules)} routing rule(s))"
    )
    return 0


def _schema(_: argparse.Namespace) -> int:
    from crossdock.core.config import config_schema

    _print_json(config_schema())
    return 0


def _demo(args: argparse.Namespace) -> int:
    from crossdock.demo import run_demo

    return run_demo(Path(args.dir))


def _run(args: argparse.Namespace) -> int:
    from crossdock.scheduler import run_forever

    return run_forever(_load(args))


def _serve(args: argparse.Namespace) -> int:
    import signal
    import threading

    from crossdock.server import make_server, serve_in_background

    with _hub(args) as hub:
        server = make_server(hub, args.host, args.port)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        serve_in_background(server)
        host, port = server.server_address[:2]
        print(f"crossdock serving on http://{host!s}:{port}", flush=True)
        stop.wait()
        server.shutdown()
        server.server_close()
    return 0


def _poll(args: argparse.Namespace) -> int:
    from crossdock.core.poller import poll
    from crossdock.core.workers import worker_id

    with _hub(args) as hub:
        if args.source not in hub.config.sources:
            print(f"crossdock: no source named {args.source!r} in {_config_path(args)}", file=sys.stderr)
            return 2
        owner = worker_id()
        report = poll(hub, args.source, owner)
        if report.skipped:
            print(f"{args.source}: skipped: {report.skipped}")
            return 1
        if report.error:
            print(f"{args.source}: error: {report.error}", file=sys.stderr)
        failed = [p for p in report.processed if p.state != "processed"]
        print(f"{args.source}: {report.received} new document(s), {report.already} already stored")
        for p in report.processed:
            line = f"  document {p.document_id}: {p.state}"
            if p.orders_new or p.orders_changed or p.orders_unchanged:
                line += f", orders {p.orders_new} new, {p.orders_changed} changed, {p.orders_unchanged} unchanged"
            if p.error:
                line += f": {p.error}"
            print(line)
        if not args.no_dispatch:
            sent = hub.dispatcher(owner).drain()
            print(f"outbox: {sent.sent} sent, {sent.retried} to retry, {sent.dead} dead")
            for error in sent.errors:
                print(f"  {error}")
        return 1 if failed or report.error else 0


def _status(args: argparse.Namespace) -> int:
    from crossdock.core.queries import Queries

    with _hub(args) as hub, hub.store.transaction() as conn:
        counts = Queries(hub.store).counts(conn)
        problems = Queries(hub.store).problems(conn)
    if args.json:
        _print_json({"counts": counts, **problems})
        return 0
    for name, by_state in counts.items():
        shown = ", ".join(f"{state} {n}" for state, n in sorted(by_state.items())) or "none"
        print(f"{name}: {shown}")
    for src in problems["failing_sources"]:
        print(f"SOURCE {src['source']} failed at {src['at']}: {src['error']}")
    for doc in problems["failed_documents"]:
        print(
            f"{doc['state'].upper()} document {doc['id']} {doc['remote_name'] or ''} from {doc['endpoint']}: "
            f"{doc['error']}"
        )
    for doc in problems["flagged_documents"]:
        print(f"FLAGGED document {doc['id']} {doc['remote_name'] or ''}: {doc['flags']}")
    for doc in problems["unacknowledged_documents"]:
        state = "OVERDUE" if doc["ack_state"] in ("overdue", "waiting") else "REJECTED"
        print(
            f"{state} {doc['kind']} document {doc['id']} {doc['remote_name']} to {doc['partner']}: "
            + (doc["ack_detail"] or f"no 997 by {doc['ack_due_at']}")
        )
    for ship in problems["held_shipments"]:
        print(f"HELD shipment {ship['external_id']} from {ship['partner']}: {ship['error']}")
    for doc in problems["unsent_documents"]:
        print(f"UNSENT document {doc['id']} {doc['remote_name']}: {doc['error']}")
    for d in problems["dead_deliveries"]:
        print(f"DEAD delivery {d['id']} ({d['purpose']} to {d['sink']}, {d['attempts']} attempts): {d['last_error']}")
    for d in problems["retrying_deliveries"]:
        print(
            f"RETRYING delivery {d['id']} ({d['purpose']} to {d['sink']}, attempt {d['attempts']}, next at "
            f"{d['next_attempt_at']}): {d['last_error']}"
        )
    for d in problems["overdue_deliveries"]:
        print(
            f"OVERDUE delivery {d['id']} ({d['purpose']} to {d['sink']}, since {d['created_at']}): "
            f"{d['last_error'] or 'not sent yet'}"
        )
    return 0


def _orders(args: argparse.Namespace) -> int:
    from crossdock.core.queries import Queries

    with _hub(args) as hub, hub.store.transaction() as conn:
        q = Queries(hub.store)
        if args.orders_command == "show":
            found = q.order(conn, args.order)
            if found is None:
                print(f"crossdock: no order {args.order}", file=sys.stderr)
                return 1
            if args.json:
                _print_json(found)
            else:
                _show_order(found)
            return 0
        rows = q.orders(conn, po=args.po, partner=args.partner, status=args.status, limit=args.limit)
    if args.json:
        _print_json(rows)
    else:
        for r in rows:
            print(
                f"{r['id']:>6}  {r['partner']:<16} {r['po_number']:<22} {r['status']:<10} r{r['revision']}  "
                f"{r['updated_at']}"
            )
    return 0


def _show_order(found: dict[str, Any]) -> None:
    data = found["data"]
    print(
        f"order {found['id']}: {found['po_number']} from {found['partner']} ({found['channel']}), "
        f"{found['status']}, revision {found['revision']}"
    )
    ship_to = next((p for p in data.get("parties", []) if p.get("role") == "ST"), None)
    if ship_to:
        address = ship_to.get("address") or {}
        print(
            f"  ship to: {ship_to.get('name')}, {address.get('city')} {address.get('state')} "
            f"{address.get('postal_code')}"
        )
    for line in data.get("lines", []):
        ids = " ".join(f"{k}:{v}" for k, v in line.get("product_ids", {}).items())
        print(f"  line {line.get('line_number')}: {line['quantity']} {line['uom']} @ {line.get('unit_price')}  {ids}")
    for d in found["deliveries"]:
        print(
            f"  delivery {d['id']}: {d['purpose']} to {d['sink']}: {d['state']}"
            + (f" ({d['last_error']})" if d["last_error"] else "")
        )
    for e in found["events"]:
        print(f"  {e['at']}  {e['kind']:<9} {e['message']}")


def _documents(args: argparse.Namespace) -> int:
    from crossdock.core.queries import Queries

    with _hub(args) as hub, hub.store.transaction() as conn:
        q = Queries(hub.store)
        if args.documents_command == "show":
            if args.raw:
                data = q.data(conn, args.document)
                if data is None:
                    print(f"crossdock: no document {args.document}", file=sys.stderr)
                    return 1
                sys.stdout.buffer.write(data)
                return 0
            found = q.document(conn, args.document)
            if found is None:
                print(f"crossdock: no document {args.document}", file=sys.stderr)
                return 1
            if args.json:
                _print_json(found)
            else:
                for key in (
                    "id",
                    "direction",
                    "kind",
                    "partner",
                    "endpoint",
                    "remote_name",
                    "size",
                    "sha256",
                    "state",
                    "error",
                    "flags",
                    "interchange_control",
                    "parent_id",
                    "created_at",
                ):
                    if found.get(key) is not None:
                        print(f"{key}: {found[key]}")
                for d in found["deliveries"]:
                    print(f"delivery {d['id']}: {d['purpose']} to {d['sink']}: {d['state']}")
                for c in found["children"]:
                    print(f"caused document {c['id']}: {c['kind']} {c['remote_name']} ({c['state']})")
                for e in found["events"]:
                    print(f"{e['at']}  {e['kind']:<9} {e['message']}")
            return 0
        rows = q.documents(
            conn, direction=args.direction, partner=args.partner, state=args.state, name=args.name, limit=args.limit
        )
    if args.json:
        _print_json(rows)
    else:
        for r in rows:
            print(
                f"{r['id']:>6}  {r['direction']:<3} {r['kind'] or '-':<6} {r['partner'] or '-':<14} "
                f"{r['state']:<11} {r['remote_name'] or ''}"
            )
    return 0


def _replay(args: argparse.Namespace) -> int:
    from crossdock.core.pipeline import replay

    with _hub(args) as hub:
        result = replay(hub, args.document)
    print(f"document {result.document_id}: {result.state}" + (f": {result.error}" if result.error else ""))
    print(
        f"  orders {result.orders_new} new, {result.orders_changed} changed, {result.orders_unchanged} unchanged; "
        f"{result.deliveries} deliveries, {result.acks} acknowledgment(s) queued"
    )
    return 0 if result.state == "processed" else 1


def _inventory(args: argparse.Namespace) -> int:
    from crossdock.core.inventory import publish

    with _hub(args) as hub:
        print(f"{args.feed}: {publish(hub, args.feed)}")
        sent = hub.dispatcher().drain()
    print(f"outbox: {sent.sent} sent, {sent.retried} to retry, {sent.dead} dead")
    return 0


def _resend(args: argparse.Namespace) -> int:
    from crossdock.core.reconcile import resend

    with _hub(args) as hub:
        new_id = resend(hub, args.document)
    print(f"document {args.document} queued again as document {new_id}, with new control numbers")
    return 0


def _retry(args: argparse.Namespace) -> int:
    from crossdock.core.queries import Queries

    with _hub(args) as hub, hub.store.transaction() as conn:
        ok = Queries(hub.store).retry(conn, args.delivery)
    if not ok:
        print(f"crossdock: delivery {args.delivery} is not dead or pending", file=sys.stderr)
        return 1
    print(f"delivery {args.delivery} queued again")
    return 0


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-c", "--config", help=f"configuration file (default $CROSSDOCK_CONFIG or {DEFAULT_CONFIG})")


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crossdock", description="Integration hub for order flows.")
    sub = parser.add_subparsers(dest="command", required=True)
    x12 = sub.add_parser("x12", help="read, validate and acknowledge X12 files").add_subparsers(
        dest="x12_command", required=True
    )

    p = x12.add_parser("validate", help="validate files; exit 0 accepted, 1 rejected, 2 not X12")
    p.add_argument("--json", action="store_true", help="print one JSON report")
    _encoding_option(p)
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=_x12_validate)

    p = x12.add_parser("to-json", help="print the canonical documents of a file as JSON")
    _encoding_option(p)
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=_x12_to_json)

    p = x12.add_parser("ack", help="print the 997 (or 999) acknowledging a file")
    p.add_argument("--999", dest="ack999", action="store_true", help="write a 999 instead of a 997")
    _encoding_option(p)
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=_x12_ack)

    p = sub.add_parser("check", help="check a configuration file; every problem with file, line and key")
    _config_option(p)
    p.set_defaults(func=_check)
    config = sub.add_parser("config", help="configuration tools").add_subparsers(dest="config_command", required=True)
    p = config.add_parser("schema", help="print the JSON Schema of the configuration file")
    p.set_defaults(func=_schema)

    p = sub.add_parser("demo", help="run the offline demo: sample 850s in, orders routed, 997s and 855s back")
    p.add_argument("--dir", default="crossdock-demo", help="folder for the demo's files (default crossdock-demo)")
    p.set_defaults(func=_demo)

    p = sub.add_parser("run", help="poll sources and send deliveries on their schedules until SIGTERM")
    _config_option(p)
    p.set_defaults(func=_run)

    p = sub.add_parser("serve", help="answer the http sources' endpoints until SIGTERM (run does this too)")
    _config_option(p)
    p.add_argument("--host", help="address to listen on (default: server.host)")
    p.add_argument("--port", type=int, help="port (default: server.port)")
    p.set_defaults(func=_serve)

    p = sub.add_parser("poll", help="read one source once, process what came in, and send what is due")
    _config_option(p)
    p.add_argument("source", metavar="SOURCE")
    p.add_argument("--no-dispatch", action="store_true", help="do not send the deliveries it queued")
    p.set_defaults(func=_poll)

    p = sub.add_parser("status", help="counts by state, failed documents, dead letters, overdue deliveries")
    _config_option(p)
    _json_option(p)
    p.set_defaults(func=_status)

    orders = sub.add_parser("orders", help="list and show orders").add_subparsers(dest="orders_command", required=True)
    p = orders.add_parser("list", help="orders, newest first")
    _config_option(p)
    _json_option(p)
    p.add_argument("--po", help="PO number (* wildcards)")
    p.add_argument("--partner")
    p.add_argument("--status")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=_orders)
    p = orders.add_parser("show", help="one order with its deliveries and history")
    _config_option(p)
    _json_option(p)
    p.add_argument("order", metavar="ORDER", help="order id or PO number")
    p.set_defaults(func=_orders)

    docs = sub.add_parser("documents", help="list and show documents in and out").add_subparsers(
        dest="documents_command", required=True
    )
    p = docs.add_parser("list", help="documents, newest first")
    _config_option(p)
    _json_option(p)
    p.add_argument("--direction", choices=["in", "out"])
    p.add_argument("--partner")
    p.add_argument("--state")
    p.add_argument("--name", help="remote file name (* wildcards)")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=_documents)
    p = docs.add_parser("show", help="one document with its deliveries, lineage and history")
    _config_option(p)
    _json_option(p)
    p.add_argument("document", metavar="DOCUMENT", type=int)
    p.add_argument("--raw", action="store_true", help="print the stored bytes exactly")
    p.set_defaults(func=_documents)

    p = sub.add_parser("replay", help="run a stored inbound document through the flow again")
    _config_option(p)
    p.add_argument("document", metavar="DOCUMENT", type=int)
    p.set_defaults(func=_replay)

    p = sub.add_parser("inventory", help="send an inventory feed now: its 846s and JSON stock feed")
    _config_option(p)
    p.add_argument("feed", metavar="FEED")
    p.set_defaults(func=_inventory)

    p = sub.add_parser("resend", help="send an X12 document again with new control numbers (lineage kept)")
    _config_option(p)
    p.add_argument("document", metavar="DOCUMENT", type=int)
    p.set_defaults(func=_resend)

    p = sub.add_parser("retry", help="queue a dead delivery again")
    _config_option(p)
    p.add_argument("delivery", metavar="DELIVERY", type=int)
    p.set_defaults(func=_retry)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("CROSSDOCK_LOG_LEVEL", _LOG_LEVELS.get(args.command, "WARNING")),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        print(f"crossdock: configuration: {exc}", file=sys.stderr)
        return 2
    except CrossdockError as exc:
        print(f"crossdock: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`crossdock ... | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())
