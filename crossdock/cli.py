"""The ``crossdock`` command."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from crossdock import as2_cli, commands, commands_stock, label_files, logs, returns_cli
from crossdock.console import cli as console_cli
from crossdock.core.errors import ConfigError, CrossdockError, NotX12Error
from crossdock.core.storage.states import DOCUMENT_STATES, ORDER_STATUSES
from crossdock.terminal import terminal_lines, terminal_safe


def _x12_validate(args: argparse.Namespace) -> int:
    from crossdock.core.guides import load_guide
    from crossdock.mappings.x12.guide import GuideError
    from crossdock.mappings.x12.guide_check import check_interchanges
    from crossdock.mappings.x12.report import add_guide_findings, validate_file

    try:
        guide = load_guide(args.guide) if args.guide else None
    except GuideError as exc:
        print(f"crossdock: {exc}", file=sys.stderr)
        return 2
    results = []
    for path in args.files:
        try:
            results.append(validate_file(Path(path), name=path, encoding=args.encoding))
            if guide is not None and results[-1].error is None:
                add_guide_findings(results[-1], check_interchanges(guide, Path(path).read_bytes()))
        except OSError as exc:
            from crossdock.mappings.x12.report import FileResult

            results.append(FileResult(file=path, error=f"cannot read: {exc.strerror}"))
    if args.json:
        print(json.dumps({"files": [r.to_dict() for r in results]}, indent=2))
    else:
        from crossdock.views import validation_lines

        for r in results:
            print("\n".join(validation_lines(r)))
    if any(r.error is not None for r in results):
        return 2
    return 0 if all(r.ok for r in results) else 1


def _one_file(args: argparse.Namespace, produce: Callable[[Path], int]) -> int:
    """Exit with what ``produce`` returns; a file that is unreadable or not X12 exits 2 with why."""
    try:
        return produce(Path(args.file))
    except NotX12Error as exc:
        print(f"crossdock: {exc}", file=sys.stderr)
    except BrokenPipeError:
        raise
    except OSError as exc:
        print(f"crossdock: {args.file}: cannot read: {exc.strerror}", file=sys.stderr)
    return 2


def _x12_to_json(args: argparse.Namespace) -> int:
    from crossdock.tojson import write_documents

    def produce(path: Path) -> int:
        sys.stdout.flush()
        rejected = write_documents(path, sys.stdout.buffer, encoding=args.encoding)
        if rejected:
            print(f'crossdock: {args.file}: {rejected} set(s) rejected, listed under "rejected"', file=sys.stderr)
        return 1 if rejected else 0

    return _one_file(args, produce)


def _x12_ack(args: argparse.Namespace) -> int:
    from crossdock.mappings.x12.ack import AckKind, acknowledge_file

    kind: AckKind = "999" if args.ack999 else "997"

    def produce(path: Path) -> int:
        sys.stdout.write(acknowledge_file(path, kind=kind, encoding=args.encoding))
        return 0

    return _one_file(args, produce)


def _encoding(name: str) -> str:
    """A text encoding Python can decode bytes with, checked before any file is read."""
    if name == "auto":  # UTF-8 where a value is UTF-8, Windows-1252 elsewhere (mappings/x12/text.py)
        return name
    try:
        b"ISA*".decode(name)  # not b"": Python decodes empty bytes without looking the codec up
    except UnicodeError:
        pass  # a text encoding, in which these four bytes do not decode
    except LookupError:
        raise argparse.ArgumentTypeError(
            f"unknown text encoding {name!r} (for example latin-1, utf-8, cp1252)"
        ) from None
    return name


def _encoding_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--encoding", default="auto", type=_encoding, help="partner text encoding (default auto: UTF-8 or Windows-1252)"
    )


_LOG_LEVELS = {"run": "INFO", "serve": "INFO", "demo": "ERROR"}


_CONFIG_HELP = f"configuration file (default $CROSSDOCK_CONFIG or {commands.DEFAULT_CONFIG})"


def _config_option(parser: argparse.ArgumentParser) -> None:
    """``-c`` after the subcommand; left unset when not given, so a ``-c`` before the subcommand stands."""
    parser.add_argument("-c", "--config", default=argparse.SUPPRESS, help=_CONFIG_HELP)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"crossdock {version('crossdock')}"
    except PackageNotFoundError:
        return "crossdock (not installed: no package metadata)"


def _limit(text: str) -> int:
    """``--limit``: a count of rows, 1 or more (0 or a negative LIMIT would list nothing, or everything)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of rows (1 or more)")
    return value


def _days(text: str) -> float:
    """``--older-than``: a number of days, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days (0 or more)")
    return value


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")


def _order_options(parser: argparse.ArgumentParser) -> None:
    _config_option(parser)
    _json_option(parser)
    parser.add_argument("po", metavar="PO", help="the order's PO number")
    parser.add_argument("--source", help="the source or partner it came from, when two have this PO number")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crossdock", description="Integration hub for order flows.")
    parser.add_argument("--version", action="version", version=_version())
    parser.add_argument("-c", "--config", help=_CONFIG_HELP)
    sub = parser.add_subparsers(dest="command", required=True)
    x12 = sub.add_parser("x12", help="read, validate and acknowledge X12 files").add_subparsers(
        dest="x12_command", required=True
    )

    p = x12.add_parser("validate", help="validate files; exit 0 accepted, 1 rejected, 2 not X12")
    p.add_argument("--json", action="store_true", help="print one JSON report")
    p.add_argument(
        "--guide",
        metavar="NAME",
        help="also check each set against a partner guide: a shipped one (bigbox-4010, bigbox-5010, "
        "marketplace-vendor) or a YAML file",
    )
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
    _json_option(p)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--no-secrets", action="store_true", help="do not look up the secrets' variables (CI); literal ones are refused"
    )
    mode.add_argument("--connect", action="store_true", help="also try the store and each source and sink once")
    p.set_defaults(func=commands.check)
    config = sub.add_parser("config", help="configuration tools").add_subparsers(dest="config_command", required=True)
    p = config.add_parser("schema", help="print the JSON Schema of the configuration file")
    p.set_defaults(func=commands.schema)

    p = sub.add_parser("demo", help="run the offline demo: sample 850s in, orders routed, 997s and 855s back")
    p.add_argument("--dir", default="crossdock-demo", help="folder for the demo's files (default crossdock-demo)")
    p.set_defaults(func=commands.demo)

    p = sub.add_parser("run", help="poll sources and send deliveries on their schedules until SIGTERM")
    _config_option(p)
    p.set_defaults(func=commands.run)

    p = sub.add_parser("serve", help="answer http sources and channel webhooks until SIGTERM (run does this too)")
    _config_option(p)
    p.add_argument("--host", help="address to listen on (default: server.host)")
    p.add_argument("--port", type=int, help="port (default: server.port)")
    p.set_defaults(func=commands.serve)

    p = sub.add_parser("poll", help="read one source once, process what came in, and send what is due")
    _config_option(p)
    p.add_argument("source", metavar="SOURCE")
    p.add_argument("--no-dispatch", action="store_true", help="do not send the deliveries it queued")
    _json_option(p)
    p.set_defaults(func=commands.poll)

    p = sub.add_parser("status", help="counts by state, failed documents, dead letters, overdue deliveries")
    _config_option(p)
    _json_option(p)
    p.set_defaults(func=commands.status)

    orders = sub.add_parser("orders", help="list, show, cancel, hold and release orders").add_subparsers(
        dest="orders_command", required=True
    )
    p = orders.add_parser("list", help="orders, newest first")
    _config_option(p)
    _json_option(p)
    p.add_argument("--po", help="PO number (* wildcards)")
    p.add_argument("--partner")
    p.add_argument("--status", choices=ORDER_STATUSES, metavar="STATUS", help=", ".join(ORDER_STATUSES))
    p.add_argument("--limit", type=_limit, default=50, help="rows at most (default 50)")
    p.set_defaults(func=commands.orders)
    p = orders.add_parser("show", help="one order with its deliveries and history")
    _config_option(p)
    _json_option(p)
    p.add_argument("order", metavar="ORDER", help="order id or PO number")
    p.set_defaults(func=commands.orders)
    p = orders.add_parser("cancel", help="cancel an order or lines of it, tell its destinations and its source")
    _order_options(p)
    p.add_argument("--lines", metavar="L1,L2[:QTY]", help="only these lines (number or position), QTY of one")
    p.add_argument("--reason", required=True, help="why: out_of_stock, buyer_request, merchant, ... or any text")
    p.set_defaults(func=commands.order_action)
    p = orders.add_parser("hold", help="hold an order: nothing more is delivered until it is released")
    _order_options(p)
    p.add_argument("--reason", required=True)
    p.set_defaults(func=commands.order_action)
    p = orders.add_parser("release", help="release a held order: its deliveries go and it is routed")
    _order_options(p)
    p.set_defaults(func=commands.order_action)

    docs = sub.add_parser("documents", help="list and show documents in and out").add_subparsers(
        dest="documents_command", required=True
    )
    p = docs.add_parser("list", help="documents, newest first")
    _config_option(p)
    _json_option(p)
    p.add_argument("--direction", choices=["in", "out"])
    p.add_argument("--partner")
    p.add_argument("--state", choices=DOCUMENT_STATES, metavar="STATE", help=", ".join(DOCUMENT_STATES))
    p.add_argument("--name", help="remote file name (* wildcards)")
    p.add_argument("--limit", type=_limit, default=50, help="rows at most (default 50)")
    p.set_defaults(func=commands.documents)
    p = docs.add_parser("show", help="one document with its deliveries, lineage and history")
    _config_option(p)
    _json_option(p)
    p.add_argument("document", metavar="DOCUMENT", type=int)
    p.add_argument("--raw", action="store_true", help="print the stored bytes exactly")
    p.set_defaults(func=commands.documents)

    p = sub.add_parser(
        "replay", help="run a stored inbound document through the flow again (or write a held day of 810s again)"
    )
    _config_option(p)
    _json_option(p)
    p.add_argument("document", metavar="DOCUMENT", type=int, help="document number (documents list)")
    p.add_argument(
        "--force",
        action="store_true",
        help="apply the partner's order version in it even when it is older than, or conflicts with, the stored one",
    )
    p.set_defaults(func=commands.replay)

    p = sub.add_parser("inventory", help="send an inventory feed now: its 846s and JSON stock feed")
    _config_option(p)
    p.add_argument("feed", metavar="FEED")
    p.set_defaults(func=commands.inventory)

    stock = sub.add_parser("stock", help="stock: push available-to-sell to the channels, read stock in, show a SKU")
    stock_sub = stock.add_subparsers(dest="stock_command", required=True)
    p = stock_sub.add_parser("push", help="queue what changed since each channel was last told, and send it")
    _config_option(p)
    _json_option(p)
    p.add_argument("--channel", action="append", metavar="NAME", help="only this channel (again for more)")
    p.add_argument("--dry-run", action="store_true", help="show what would be pushed; queue nothing")
    p.add_argument(
        "--retry-refused",
        action="store_true",
        help="push again the SKUs a channel refused (after fixing the catalogue or the listing), figure unchanged",
    )
    p.set_defaults(func=commands_stock.stock)
    p = stock_sub.add_parser("pull", help="read the stock sources now (on-hand figures in)")
    _config_option(p)
    p.add_argument("--source", action="append", metavar="NAME", help="only this stock source (again for more)")
    p.set_defaults(func=commands_stock.stock)
    p = stock_sub.add_parser("show", help="one SKU: each location's figure, reservations, each channel's figures")
    _config_option(p)
    _json_option(p)
    p.add_argument("sku", metavar="SKU")
    p.set_defaults(func=commands_stock.stock)

    p = sub.add_parser("resend", help="send an X12 document again with new control numbers (lineage kept)")
    _config_option(p)
    _json_option(p)
    p.add_argument("document", metavar="DOCUMENT", type=int, help="document number (documents list)")
    p.set_defaults(func=commands.resend)

    p = sub.add_parser("purge", help="remove what retention keeps no longer, in small batches, and give space back")
    _config_option(p)
    _json_option(p)
    p.add_argument("--older-than", type=_days, metavar="DAYS", help="one age for every kind (default: retention:)")
    p.add_argument("--dry-run", action="store_true", help="count what would go; change nothing")
    p.set_defaults(func=commands.purge)

    p = sub.add_parser("labels", help="write the SSCC-18 carton labels an order was sent with, as ZPL or PDF")
    _config_option(p)
    _json_option(p)
    p.add_argument("po", metavar="PO", help="the order's PO number")
    p.add_argument("--out", default=".", metavar="DIR", help="folder the label files go in (default: here)")
    p.add_argument("--format", choices=("zpl", "pdf"), default="zpl", help="zpl (thermal printers) or pdf")
    p.add_argument("--sink", help="only the labels this destination got")
    p.set_defaults(func=label_files.labels)

    returns_cli.add_commands(sub, _config_option, _json_option)
    as2_cli.add_commands(sub, _config_option, _json_option)
    console_cli.add_commands(sub)

    p = sub.add_parser("retry", help="queue a dead delivery again")
    _config_option(p)
    _json_option(p)
    p.add_argument("delivery", metavar="DELIVERY", type=int, help="delivery number (orders show, status)")
    p.set_defaults(func=commands.retry)
    logs.add_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(args, _LOG_LEVELS.get(args.command, "WARNING"))
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        print(terminal_lines(f"crossdock: configuration: {exc}".split("\n")), file=sys.stderr)
        return 2
    except CrossdockError as exc:
        print(terminal_safe(f"crossdock: {exc}"), file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`crossdock ... | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())
