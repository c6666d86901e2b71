"""A large 850 read as a stream gives exactly what reading it whole gives: the same segments, the same findings
and acknowledgment, and the same order JSON, its lines spooled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.core.errors import NotX12Error
from crossdock.core.models import Order
from crossdock.core.storage.order_json import OrderText
from crossdock.core.storage.store import to_json
from crossdock.mappings.x12 import reader
from crossdock.mappings.x12.hub import InboundFile, order_dict, read
from crossdock.mappings.x12.patterns import segment_regex, set_matcher, structure_matcher
from crossdock.mappings.x12.reader import Streaming, iter_events, read_transactions
from crossdock.mappings.x12.specs import get_spec
from tests.conftest import CORPUS
from tests.hub.edi import interchange, large_order

SAMPLES = [path.read_bytes() for path in sorted((CORPUS / "x12" / "850").glob("*.edi"))]
CREATED = dt.datetime(2026, 12, 7, 9, 0)


@contextmanager
def small_windows(size: int) -> Iterator[None]:
    """The reader splits a few segments at a time, so that even a small set is handed on in many batches."""
    with mock.patch.object(reader, "FIRST_WINDOW", size), mock.patch.object(reader, "LAST_WINDOW", size):
        yield


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A corpus 850 with bytes flipped, cut, inserted or deleted: findings of every kind, in sets read in batches."""
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        at = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(min_value=0, max_value=255))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at : at + draw(st.integers(min_value=1, max_value=20))]
    return bytes(data)


def outcome(inbound: InboundFile) -> list[object]:
    """Everything a file's reading gives the hub, each order as the JSON the store keeps."""
    found: list[object] = [inbound.ack("997", interchange=1, group=1, transaction=1, usage="P", created=CREATED)]
    for ic in inbound.interchanges:
        found.append((ic.control, ic.ok, ic.errors))
        for group in ic.groups:
            found.append((group.control, group.errors))
            for ts in group.sets:
                found.append((ts.code, ts.control, ts.status, ts.errors, ts.decode_error))
                if ts.lines is not None:
                    assert isinstance(ts.document, Order) and ts.document.lines == []
                    found.append(OrderText(order_dict(ts.document), ts.lines).text())
                elif isinstance(ts.document, Order):
                    found.append(to_json(order_dict(ts.document)))
                else:
                    found.append(ts.document)
    return found


def streamed_sets(inbound: InboundFile) -> int:
    return sum(1 for ic in inbound.interchanges for g in ic.groups for ts in g.sets if ts.lines is not None)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(), st.integers(min_value=1, max_value=6), st.integers(min_value=8, max_value=200))
def test_a_set_read_in_batches_is_read_as_the_whole_set(data: bytes, batch: int, window: int) -> None:
    try:
        whole = read(data, batch=None)
    except NotX12Error:
        return
    with small_windows(window):
        streamed = read(data, batch=batch)
    assert outcome(streamed) == outcome(whole)


def test_the_corpus_850s_read_in_batches_are_read_as_whole() -> None:
    streamed = 0
    for data in SAMPLES:
        try:
            whole = read(data, batch=None)
        except NotX12Error:
            continue
        with small_windows(16):
            inbound = read(data, batch=1)
        assert outcome(inbound) == outcome(whole)
        streamed += streamed_sets(inbound)
    assert streamed >= 40


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=6), st.integers(min_value=8, max_value=300), st.integers(16, 400))
def test_the_reader_hands_on_every_segment_once_and_in_order(batch: int, chunk: int, window: int) -> None:
    data = (CORPUS / "x12" / "850" / "bots_mervyns_3po_crlf.edi").read_bytes()  # CR/LF after each terminator
    whole = [(ts.texts, ts.offsets, [str(e) for e in ts.errors]) for ts in read_transactions(data)]
    got: list[tuple[list[str], list[int], list[str]]] = []
    handed: dict[int, tuple[list[str], list[int]]] = {}
    with small_windows(window):
        for kind, obj in iter_events(data, chunk_size=chunk, streaming=Streaming(frozenset({"850"}), batch)):
            if kind == "segments":
                assert isinstance(obj, reader.TransactionSet) and obj.texts
                texts, offsets = handed.setdefault(id(obj), ([], []))
                assert [s.position for s in obj.segments] == list(
                    range(len(texts) + 1, len(texts) + len(obj.texts) + 1)
                )
                texts += obj.texts
                offsets += obj.offsets
            elif kind == "transaction":
                assert isinstance(obj, reader.TransactionSet)
                texts, offsets = handed.pop(id(obj), ([], []))
                got.append((texts + obj.texts, offsets + obj.offsets, [str(e) for e in obj.errors]))
    assert got == whole


def test_a_large_850_is_read_as_a_stream_into_the_same_order() -> None:
    data = interchange([large_order("PO-LARGE", 3000)])  # 21,000 segments: more than a batch
    streamed = read(data)
    assert streamed_sets(streamed) == 1
    (ts,) = streamed.interchanges[0].groups[0].sets
    assert ts.lines is not None and ts.lines.count == 3000
    assert [line.position for line in ts.lines.lines()][-3:] == [2998, 2999, 3000]
    assert outcome(streamed) == outcome(read(data, batch=None))


def test_the_ids_match_the_structure_exactly_when_the_text_matches_the_set_pattern() -> None:
    """What lets a set read in batches skip the walk: with every segment matching its own pattern, the ids match
    the structure exactly when the whole text matches the set pattern."""
    compared = {True: 0, False: 0}
    for path in sorted((CORPUS / "x12").rglob("*.edi")):
        try:
            sets = list(read_transactions(path))
        except NotX12Error:
            continue
        for ts in sets:
            spec = get_spec(ts.code, ts.group.version)
            if spec is None or not all(
                spec.segments.get(s.id) is None or segment_regex(spec.segments[s.id], ts.delimiters).fullmatch(s.text)
                for s in ts.segments
            ):
                continue
            present = frozenset(ts.tags)
            whole = bool(set_matcher(spec, ts.delimiters, present)(ts.body))
            ids = bool(structure_matcher(spec, present)("\n".join(ts.tags) + "\n"))
            assert ids == whole, (path.name, ts.control)
            compared[whole] += 1
    assert compared[True] > 100 and compared[False] > 0, compared
