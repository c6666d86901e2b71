"""Checks shared by the writer tests: what crossdock writes reads back cleanly, by us and by pyx12."""

from __future__ import annotations

import io

import pyx12.rawx12file

from crossdock.mappings.x12.envelope import TransactionSet as ReadSet
from crossdock.mappings.x12.reader import parse
from crossdock.mappings.x12.validator import status, validate


def read_back(data: bytes) -> ReadSet:
    """Our reader and validator accept what we wrote, and pyx12's tokenizer splits it the same way."""
    (ic,) = parse(data)
    assert ic.errors == [] and all(g.errors == [] for g in ic.groups)
    (ts,) = ic.groups[0].transactions
    findings = validate(ts)
    assert [str(e) for e in findings if e.is_error] == []
    assert status(ts) == "accepted", [str(e) for e in findings]
    raw = list(pyx12.rawx12file.RawX12File(io.StringIO(data.decode("latin-1"))))
    assert len(raw) == len(ts.segments) + 4 == data.count(b"~")
    return ts
