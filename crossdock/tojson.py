"""``crossdock x12 to-json``: one JSON document written while the file is decoded, never all of it in memory.

The document's keys come in a fixed order (``orders`` first) but a file's sets come in any order, so orders
go to the output as they are decoded and every other kind waits in a spool (in memory up to ``SPOOL_MEMORY``,
then in a temporary file) that is copied out at the end. The bytes are the same as
``json.dumps(decode_file(...), indent=2)`` followed by a newline: the format the command has always printed.
"""

from __future__ import annotations

import json
import shutil
from contextlib import ExitStack
from itertools import chain
from tempfile import SpooledTemporaryFile
from typing import IO, Any

from pydantic import TypeAdapter
from pydantic_core import to_json

from crossdock.core.models import Model, Order
from crossdock.mappings.x12.documents import EXTRA_KEYS, OUTPUT_KEYS, RETURN_KEYS, document_json, iter_entries
from crossdock.mappings.x12.reader import Source

SPOOL_MEMORY = 1 << 20
STREAMED = OUTPUT_KEYS[0]
ITEM_DEPTH = 2  # an item of a top-level list: its fields are indented 6 spaces, its closing brace 4
ITEM_BREAK = b"\n" + b" " * 2 * ITEM_DEPTH


def nested(value: Any, depth: int) -> Any:
    """``value`` inside ``depth`` one-item lists."""
    for _ in range(depth):
        value = [value]
    return value


def _bounds(depth: int) -> slice:
    """Where a value sits in the indented JSON of itself nested in ``depth`` lists."""
    sample = json.dumps(nested(0, depth), indent=2)
    at = sample.index("0")
    return slice(at, at + 1 - len(sample))


BOUNDS = {depth: _bounds(depth) for depth in (ITEM_DEPTH, ITEM_DEPTH + 1)}


_ADAPTERS: dict[tuple[type[Model], int], TypeAdapter[Any]] = {}


def _adapter(cls: type[Model], depth: int) -> TypeAdapter[Any]:
    """An adapter for ``cls`` nested in ``depth`` lists."""
    found = _ADAPTERS.get((cls, depth))
    if found is None:
        shape: Any = cls
        for _ in range(depth):
            shape = list[shape]
        found = _ADAPTERS[cls, depth] = TypeAdapter(shape)
    return found


def value_json(item: Model | dict[str, Any], depth: int = ITEM_DEPTH) -> bytes:
    """``item`` as ``json.dumps(document, indent=2)`` writes it ``depth`` levels down, made by pydantic-core.

    pydantic-core indents a value as deep as the lists it is nested in, so the text needs no re-indenting.
    An order's ``ship_to`` (which ``document_json`` adds) is spliced in after its last field. The two agree on
    ASCII text; ``json`` escapes every other character (and DEL) as ``\\uXXXX`` where pydantic-core writes it
    as is, so such an item is left to ``json``.
    """
    where = BOUNDS[depth]
    if isinstance(item, dict):
        text = to_json(nested(item, depth), indent=2)[where]
    else:
        text = _adapter(type(item), depth).dump_json(nested(item, depth), indent=2)[where]
        if isinstance(item, Order):
            ship_to = value_json(item.ship_to, depth + 1) if item.ship_to else b"null"
            close = b"\n" + b"  " * depth + b"}"
            text = text[: -len(close)] + b",\n" + b"  " * (depth + 1) + b'"ship_to": ' + ship_to + close
    if not text.isascii() or b"\x7f" in text:
        data = item if isinstance(item, dict) else document_json(item)
        return json.dumps(nested(data, depth), indent=2)[where].encode("ascii")
    return text


def write_documents(source: Source, out: IO[bytes], *, encoding: str = "auto") -> int:
    """Write the file's documents to ``out`` as they are decoded; returns how many sets were rejected.

    Raises NotX12Error (or OSError) before writing anything when the file is not X12 (or cannot be read).
    """
    entries = iter_entries(source, encoding=encoding)
    first = next(entries, None)  # reads the ISA: a file that is not X12 fails here, with nothing written
    counts = dict.fromkeys((*OUTPUT_KEYS, *RETURN_KEYS, *EXTRA_KEYS), 0)
    with ExitStack() as stack:
        spools: dict[str, IO[bytes]] = {}
        out.write(f'{{\n  "{STREAMED}": ['.encode())
        for key, item in chain([first] if first else [], entries):
            target = out if key == STREAMED else spools.get(key)
            if target is None:
                target = spools[key] = stack.enter_context(SpooledTemporaryFile(SPOOL_MEMORY, "w+b"))
            target.write(b"," + ITEM_BREAK if counts[key] else ITEM_BREAK)
            target.write(value_json(item))
            counts[key] += 1
        _close_list(out, counts[STREAMED])
        for key in (*OUTPUT_KEYS[1:], *RETURN_KEYS, *EXTRA_KEYS):
            if key not in OUTPUT_KEYS and not counts[key]:
                continue
            out.write(f',\n  "{key}": ['.encode())
            if key in spools:
                spools[key].seek(0)
                shutil.copyfileobj(spools[key], out)
            _close_list(out, counts[key])
    out.write(b"\n}\n")
    return counts["rejected"]


def _close_list(out: IO[bytes], items: int) -> None:
    out.write(b"\n  ]" if items else b"]")
