"""The ``crossdock`` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from crossdock.core.errors import NotX12Error


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
