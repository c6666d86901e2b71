"""``crossdock x12 to-json``: one JSON document written while the file is decoded, never all of it in memory.

The document's keys come in a fixed order (``orders`` first) but a file's sets come in any order, so orders
go to the output as they are decoded and every other kind waits in a spool (in memory up to ``SPOOL_MEMORY``,
then in a temporary file) that is copied out at the end. The text is the same, byte for byte, as
``json.dumps(decode_file(...), indent=2)`` followed by a newline: the format the command has always printed.
"""

from __future__ import annotations

import json
import shutil
from contextlib import ExitStack
from itertools import chain
from tempfile import SpooledTemporaryFile
from typing import IO, Any, TextIO

from pydantic_core import to_json

from crossdock.core.models import Model, Order
from crossdock.mappings.x12.documents import EXTRA_KEYS, OUTPUT_KEYS, document_json, iter_entries
from crossdock.mappings.x12.reader import Source

SPOOL_MEMORY = 1 << 20
STREAMED = OUTPUT_KEYS[0]
ITEM_INDENT = "\n    "  # an item of a top-level list sits two levels deep


def render(item: Model | dict[str, Any]) -> str:
    """``json.dumps(document_json(item), indent=2)`` (or of the dict), made by pydantic-core, several times faster.

    An order's ``ship_to`` (which ``document_json`` adds) is spliced in after its last field. The two agree on
    ASCII text; ``json`` escapes every other character (and DEL) as ``\\uXXXX`` where pydantic-core writes it as
    is, so such an item is left to ``json``.
    """
    if isinstance(item, dict):
        text = to_json(item, indent=2).decode()
    else:
        text = item.model_dump_json(indent=2)
        if isinstance(item, Order):
            ship_to = item.ship_to
            tail = ship_to.model_dump_json(indent=2).replace("\n", "\n  ") if ship_to else "null"
            text = f'{text[:-2]},\n  "ship_to": {tail}\n}}'
    if not text.isascii() or "\x7f" in text:
        return json.dumps(item if isinstance(item, dict) else document_json(item), indent=2)
    return text


def write_documents(source: Source, out: TextIO, *, encoding: str = "latin-1") -> int:
    """Write the file's documents to ``out`` as they are decoded; returns how many sets were rejected.

    Raises NotX12Error (or OSError) before writing anything when the file is not X12 (or cannot be read).
    """
    entries = iter_entries(source, encoding=encoding)
    first = next(entries, None)  # reads the ISA: a file that is not X12 fails here, with nothing written
    counts = dict.fromkeys((*OUTPUT_KEYS, *EXTRA_KEYS), 0)
    with ExitStack() as stack:
        spools: dict[str, IO[str]] = {}
        out.write(f'{{\n  "{STREAMED}": [')
        for key, item in chain([first] if first else [], entries):
            text = ("," if counts[key] else "") + ITEM_INDENT + render(item).replace("\n", ITEM_INDENT)
            counts[key] += 1
            if key == STREAMED:
                out.write(text)
                continue
            if key not in spools:
                spools[key] = stack.enter_context(SpooledTemporaryFile(SPOOL_MEMORY, "w+", encoding="ascii"))
            spools[key].write(text)
        _close_list(out, counts[STREAMED])
        for key in (*OUTPUT_KEYS[1:], *EXTRA_KEYS):
            if key in EXTRA_KEYS and not counts[key]:
                continue
            out.write(f',\n  "{key}": [')
            if key in spools:
                spools[key].seek(0)
                shutil.copyfileobj(spools[key], out)
            _close_list(out, counts[key])
    out.write("\n}\n")
    return counts["rejected"]


def _close_list(out: TextIO, items: int) -> None:
    out.write("\n  ]" if items else "]")
