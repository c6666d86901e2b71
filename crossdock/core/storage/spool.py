"""The lines of an order too large to hold, kept as their JSON in a temporary file while the order is read.

A 50 MB 850 maps to about 97,000 lines; as ``OrderLine`` objects they took about 1 KB each, and the order's JSON
built from them a dict per line, the text and its bytes on top (``bench/README.md``, one large file). Spooled,
each line is written as the JSON the order's JSON holds for it (``store.to_json`` of ``document_json``:
compact, ASCII with ``\\u`` escapes), so the order's JSON is its head, these lines and its tail, written out
piece by piece (``order_json.OrderText``) and never whole in memory.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable, Iterator
from tempfile import SpooledTemporaryFile

from pydantic import TypeAdapter

from crossdock.core.models import OrderLine

SPOOL_MEMORY = 1 << 20  # held in memory up to this many bytes, then in a temporary file
CHUNK = 1 << 20
_LINE: TypeAdapter[OrderLine] = TypeAdapter(OrderLine)


def line_json(line: OrderLine) -> bytes:
    """One line as the order's JSON holds it, made by pydantic-core.

    The two agree on ASCII text; ``json`` escapes every other character (and DEL) as ``\\uXXXX`` where
    pydantic-core writes it as is, so such a line is left to ``json`` (as ``tojson.value_json`` does).
    """
    text = _LINE.dump_json(line)
    if text.isascii() and b"\x7f" not in text:
        return text
    return json.dumps(line.model_dump(mode="json"), separators=(",", ":"), default=str).encode("ascii")


class SpooledLines:
    """An order's lines as their JSON, comma-separated as in the order's ``"lines"`` list, in a temporary file.

    Their positions are 1 to ``count``, in order: a streamed mapping numbers them as it reads them.
    """

    def __init__(self) -> None:
        self.file = SpooledTemporaryFile(max_size=SPOOL_MEMORY, mode="w+b")  # noqa: SIM115 (closed by close())
        self.count = 0
        self.size = 0
        self._starts = array("q")

    def add(self, lines: Iterable[OrderLine]) -> None:
        write, starts = self.file.write, self._starts
        for line in lines:
            if self.count:
                write(b",")
                self.size += 1
            text = line_json(line)
            starts.append(self.size)
            write(text)
            self.size += len(text)
            self.count += 1

    @property
    def positions(self) -> range:
        return range(1, self.count + 1)

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        """The lines' JSON in pieces of ``size`` bytes."""
        self.file.seek(0)
        while piece := self.file.read(size):
            yield piece

    def lines(self) -> Iterator[OrderLine]:
        """The lines again, one at a time (for what needs ``OrderLine`` objects: a 940, an 855, a split)."""
        ends = [*self._starts[1:], self.size + 1]
        self.file.seek(0)
        for start, end in zip(self._starts, ends, strict=True):
            self.file.seek(start)
            yield OrderLine.model_validate_json(self.file.read(end - 1 - start))

    def close(self) -> None:
        self.file.close()
