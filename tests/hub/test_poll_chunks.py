"""A file source is read in chunks bounded by files and by bytes: many small files share a chunk's costs, and a
chunk of large files stays small enough to hold."""

from __future__ import annotations

from crossdock.core.poller import CHUNK_BYTES, FILE_CHUNK, _batches
from crossdock.core.ports import Inbound


def _files(sizes: list[int]) -> list[Inbound]:
    return [Inbound(name=f"f{i}", data=b"x" * size, identity=f"f{i}") for i, size in enumerate(sizes)]


def test_small_files_fill_a_chunk_by_count_and_large_ones_by_bytes() -> None:
    small = [len(b) for b in _batches(iter(_files([450] * (FILE_CHUNK + 7))), FILE_CHUNK, None, None, CHUNK_BYTES)]
    assert small == [FILE_CHUNK, 7]
    big = CHUNK_BYTES // 4
    large = [len(b) for b in _batches(iter(_files([big] * 10)), FILE_CHUNK, None, None, CHUNK_BYTES)]
    assert large == [4, 4, 2]
    assert FILE_CHUNK > 100, "one-PO files share a chunk's transactions and lookups in more than 100s"
