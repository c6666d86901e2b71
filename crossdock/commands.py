"""The hub's commands: each reads the configuration, opens the store, does one thing and says what it did."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crossdock.core.configuration.config import Config
    from crossdock.core.hub import Hub


DEFAULT_CONFIG = "crossdock.yaml"


def _config_path(args: argparse.Namespace) -> str:
    return str(args.config or os.environ.get("CROSSDOCK_CONFIG") or DEFAULT_CONFIG)


def _load(args: argparse.Namespace) -> Config:
    from crossdock.core.configuration.config import load_config
    from crossdock.logs import watch

    config = load_config(_config_path(args))
    watch(config)  # its secrets never reach the log
    return config


@contextmanager
def _hub(args: argparse.Namespace, *, existing: bool = False, config: Config | None = None) -> Iterator[Hub]:
    """The hub of the command's configuration (``config`` when it is read already); ``existing``: only over a
    store an earlier command created."""
    from crossdock.opening import open_hub

    hub = open_hub(config or _load(args), _config_path(args), existing=existing)
    try:
        yield hub
    finally:
        hub.close()


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def _show(args: argparse.Namespace, data: Any, lines: Callable[[Any], list[str]]) -> None:
    """``--json`` prints the data as it is (JSON escapes control characters); otherwise its text lines, with every
    control character escaped: names, senders and errors come from outside."""
    from crossdock.terminal import terminal_lines

    if args.json:
        _print_json(data)
    else:
        print(terminal_lines(lines(data)))


def check(args: argparse.Namespace) -> int:
    """Every problem of the file at once; with ``--connect`` each connector tried once. Exit 1 on any."""
    from crossdock.core.configuration.check import check_config
    from crossdock.core.connections import try_connections

    path = _config_path(args)
    checked = check_config(path, secrets=not args.no_secrets)
    config = checked.config if not checked.problems else None
    verdicts = try_connections(config) if config is not None and args.connect else []
    failed = [v for v in verdicts if v.state == "failed"]
    counts = (
        {
            "partners": len(config.partners),
            "sources": len(config.sources),
            "sinks": len(config.sinks),
            "routing_rules": len(config.routing.rules),
        }
        if config is not None
        else None
    )
    if args.json:
        _print_json(
            {
                "file": path,
                "ok": config is not None and not failed,
                "secrets_checked": not args.no_secrets,
                "problems": [p.to_dict() for p in checked.problems],
                "warnings": [w.to_dict() for w in checked.warnings],
                "counts": counts,
                "connections": [v.to_dict() for v in verdicts],
            }
        )
        return 0 if config is not None and not failed else 1
    for warning in checked.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for problem in checked.problems:
        print(problem, file=sys.stderr)
    if checked.problems:
        print(f"{path}: {len(checked.problems)} problem(s)", file=sys.stderr)
        if args.connect:
            print(f"{path}: no connection tried: fix the problems first", file=sys.stderr)
        return 1
    assert counts is not None
    print(
        f"{path}: ok ({counts['partners']} partner(s), {counts['sources']} source(s), "
        f"{counts['sinks']} sink(s), {counts['routing_rules']} routing rule(s))"
        + ("; secrets not looked up (--no-secrets)" if args.no_secrets else "")
    )
    for verdict in verdicts:
        print(verdict)
    if failed:
        print(f"{path}: {len(failed)} of {len(verdicts)} connection(s) failed", file=sys.stderr)
        return 1
    return 0


def schema(_: argparse.Namespace) -> int:
    from crossdock.core.configuration.config import config_schema

    _print_json(config_schema())
    return 0


def demo(args: argparse.Namespace) -> int:
    from crossdock.demo import run_demo

    return run_demo(Path(args.dir))


def run(args: argparse.Namespace) -> int:
    from crossdock.core import heap
    from crossdock.core.configuration.trust import refuse_weak_tokens
    from crossdock.logs import for_service
    from crossdock.opening import open_hub
    from crossdock.scheduler import run_forever

    config = _load(args)
    refuse_weak_tokens(config)
    for_service(config.logging)
    hub = open_hub(config, _config_path(args), existing=False)
    heap.settle()
    return run_forever(config, hub)


def serve(args: argparse.Namespace) -> int:

    from crossdock.core.configuration.trust import refuse_weak_tokens
    from crossdock.logs import for_service
    from crossdock.server import make_server, serve_in_background
    from crossdock.signals import Signals

    config = _load(args)
    refuse_weak_tokens(config)
    with _hub(args, config=config) as hub:
        for_service(hub.config.logging)
        server = make_server(hub, args.host, args.port)
        signals = Signals()
        serve_in_background(server)
        host, port = server.server_address[:2]
        print(f"crossdock serving on http://{host!s}:{port}", flush=True)
        signals.wait()
        server.shutdown()
        server.server_close()
    return 0


def poll(args: argparse.Namespace) -> int:
    from crossdock.core import heap
    from crossdock.core.poller import joined, poll
    from crossdock.core.storage.workers import worker_id
    from crossdock.progress import ProgressLine, poll_lines, poll_progress, poll_result
    from crossdock.terminal import terminal_lines, terminal_safe

    with _hub(args) as hub:
        if args.source not in hub.config.sources:
            print(f"crossdock: no source named {args.source!r} in {_config_path(args)}", file=sys.stderr)
            return 2
        owner = worker_id()
        heap.settle()
        with ProgressLine(sys.stderr) as line:
            report = poll(hub, args.source, owner, progress=lambda so_far: line.show(poll_progress(so_far)))
            waiting = _waiting(hub, args.source)
            age = float(getattr(hub.config.sources[args.source], "min_age", 0))
            if waiting and not (report.error or report.skipped) and 0 < age <= SECOND_LOOK_WAIT:
                # a file is read only when a second look, min_age later, finds it unchanged: take that look now
                line.show(f"{waiting} file(s) seen for the first time; looking again in {age:g} s", now=True)
                time.sleep(age)
                again = poll(hub, args.source, owner, progress=lambda so_far: line.show(poll_progress(so_far)))
                report = joined(report, again)
                waiting = _waiting(hub, args.source)
            sent = None
            if not (args.no_dispatch or report.skipped):
                line.show(f"{poll_progress(report)}; sending deliveries", now=True)
                sent = hub.dispatcher(owner).drain()
    result = poll_result(report, sent, waiting)
    if args.json:
        _print_json(result)
    elif report.skipped:
        print(terminal_safe(f"{args.source}: skipped: {report.skipped}"))
    else:
        if report.error:
            print(terminal_safe(f"{args.source}: error: {report.error}"), file=sys.stderr)
        print(terminal_lines(poll_lines(result)))
    return 1 if report.skipped or report.error or result["failed_documents"] else 0


SECOND_LOOK_WAIT = 60.0  # seconds a one-shot poll waits for its second look; a longer min_age is left to the next


def _waiting(hub: Hub, source: str) -> int:
    """How many files the source saw but has not read yet, waiting for their second look."""
    with hub.store.transaction() as conn:
        kept = hub.store.cursor(conn, f"looks:{source}")
    try:
        looks = json.loads(kept) if kept else {}
    except ValueError:
        return 0
    return len(looks) if isinstance(looks, dict) else 0


def _cut(shown: int, total: int) -> None:
    """Say on stderr when a list shows fewer rows than match (stdout stays the list, or its JSON)."""
    if total > shown:
        print(f"{shown:,} of {total:,} shown; --limit N shows more", file=sys.stderr)


def status(args: argparse.Namespace) -> int:
    from crossdock.core.storage.queries import Queries
    from crossdock.terminal import terminal_lines
    from crossdock.views import status_lines

    with _hub(args, existing=True) as hub, hub.store.transaction() as conn:
        counts = Queries(hub.store).counts(conn)
        problems = Queries(hub.store).problems(conn)
    if args.json:
        _print_json({"counts": counts, **problems})
    else:
        print(terminal_lines(status_lines(counts, problems)))
    return 0


def orders(args: argparse.Namespace) -> int:
    from crossdock.core.storage.queries import Queries
    from crossdock.views import order_lines, order_list_lines

    with _hub(args, existing=True) as hub, hub.store.transaction() as conn:
        q = Queries(hub.store)
        if args.orders_command == "show":
            found = q.order(conn, args.order)
            if found is None:
                print(f"crossdock: no order {args.order}", file=sys.stderr)
                return 1
            _show(args, found, order_lines)
            return 0
        filters = {"po": args.po, "partner": args.partner, "status": args.status}
        rows = q.orders(conn, **filters, limit=args.limit)
        total = q.order_count(conn, **filters) if len(rows) >= args.limit else len(rows)
    _show(args, rows, order_list_lines)
    _cut(len(rows), total)
    return 0


def order_action(args: argparse.Namespace) -> int:
    """``orders cancel``, ``hold`` and ``release``: one order changed, in one transaction."""
    from crossdock.core.lifecycle.operator_orders import cancel_order, hold_order, release_order

    with _hub(args, existing=True) as hub:
        if args.orders_command == "cancel":
            done = cancel_order(hub, args.po, source=args.source, lines=args.lines, reason=args.reason)
        elif args.orders_command == "hold":
            done = hold_order(hub, args.po, source=args.source, reason=args.reason)
        else:
            done = release_order(hub, args.po, source=args.source)
    result = {"command": args.orders_command, "po_number": args.po, "source": args.source, "done": done}
    _show(args, result, lambda r: [str(r["done"])])
    return 0


def documents(args: argparse.Namespace) -> int:
    from crossdock.core.storage.queries import Queries
    from crossdock.views import document_lines, document_list_lines

    with _hub(args, existing=True) as hub, hub.store.transaction() as conn:
        q = Queries(hub.store)
        if args.documents_command == "show":
            found = q.document(conn, args.document)
            data = q.data(conn, args.document) if args.raw else None
            if found is None:
                print(f"crossdock: no document {args.document}", file=sys.stderr)
                return 1
            if args.raw and found["purged_at"] is not None:
                from crossdock.core.storage.retention import purged_note

                print(f"crossdock: {purged_note(args.document, found['purged_at'])}", file=sys.stderr)
                return 1
            if data is not None:
                sys.stdout.buffer.write(data)
            else:
                _show(args, found, document_lines)
            return 0
        filters = {"direction": args.direction, "partner": args.partner, "state": args.state, "name": args.name}
        rows = q.documents(conn, **filters, limit=args.limit)
        total = q.document_count(conn, **filters) if len(rows) >= args.limit else len(rows)
    _show(args, rows, document_list_lines)
    _cut(len(rows), total)
    return 0


def replay(args: argparse.Namespace) -> int:
    from crossdock.core.pipeline import replay
    from crossdock.views import processed_dict, replay_lines

    with _hub(args, existing=True) as hub:
        result = processed_dict(replay(hub, args.document, force=args.force))
    _show(args, result, replay_lines)
    return 0 if result["state"] == "processed" else 1


def inventory(args: argparse.Namespace) -> int:
    from crossdock.core.stock.inventory import publish

    with _hub(args) as hub:
        print(f"{args.feed}: {publish(hub, args.feed)}")
        sent = hub.dispatcher().drain()
    print(f"outbox: {sent.sent} sent, {sent.retried} to retry, {sent.dead} dead")
    return 0


def resend(args: argparse.Namespace) -> int:
    from crossdock.core.acknowledgments.reconcile import resend

    with _hub(args, existing=True) as hub:
        new_id = resend(hub, args.document)
    result = {"document_id": args.document, "new_document_id": new_id}
    _show(
        args,
        result,
        lambda r: [f"document {args.document} queued again as document {new_id}, with new control numbers"],
    )
    return 0


def retry(args: argparse.Namespace) -> int:
    from crossdock.core.storage.queries import Queries

    with _hub(args, existing=True) as hub, hub.store.transaction() as conn:
        q = Queries(hub.store)
        done = q.retry(conn, args.delivery)
        is_document = done.state is None and q.document_exists(conn, args.delivery)
    if done.state is None:
        hint = (
            f" (deliveries and documents are numbered apart: document {args.delivery} is "
            f"`crossdock documents show {args.delivery}`)"
            if is_document
            else ""
        )
        print(f"crossdock: no delivery {args.delivery}{hint}", file=sys.stderr)
        return 1
    what = f"delivery {args.delivery} ({done.purpose} to {done.sink}, document {done.document_id})"
    if not done.queued:
        print(f"crossdock: {what} is {done.state}, not dead or pending: nothing to retry", file=sys.stderr)
        return 1
    result = {
        "delivery_id": args.delivery,
        "state_before": done.state,
        "state": "pending",
        "purpose": done.purpose,
        "sink": done.sink,
        "document_id": done.document_id,
    }
    _show(args, result, lambda r: [f"{what} queued again"])
    return 0


def purge(args: argparse.Namespace) -> int:
    from crossdock.core.storage.retention import purge as purge_store

    with _hub(args, existing=True) as hub:
        result = purge_store(
            hub.store,
            hub.config.retention,
            older_than_days=args.older_than,
            dry_run=args.dry_run,
            convert=True,
        )
    _show(args, result.to_dict(), lambda _: result.lines())
    return 0
