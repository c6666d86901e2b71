"""Large 850s read as a stream: validated and mapped batch by batch, their lines spooled as JSON.

Held whole, a 50 MB 850 (97,000 lines) took 13 to 22 times its size to read: every segment's text and offset,
the set's raw text and the text its pattern is matched against, every segment's elements at once, and an
``OrderLine`` per line. Handed on in batches by the reader (``reader.Streaming``), a set is walked
(``walk.SetWalk``: the validator's authority, so the findings are the same as the whole set's) and mapped
(``po850.OrderBuilder``) as it comes, and each finished line goes to a ``SpooledLines``: the reader holds one
batch and the order only its head. A set is streamed only once it has ``BATCH`` segments, so every usual set
is read whole, the fast way.
"""

from __future__ import annotations

from crossdock.core.errors import CrossdockError
from crossdock.core.models import Order
from crossdock.core.storage.spool import SpooledLines
from crossdock.mappings.x12.envelope import TransactionSet
from crossdock.mappings.x12.po850 import OrderBuilder
from crossdock.mappings.x12.reader import Streaming
from crossdock.mappings.x12.validator import StreamedValidation, status, streamable

BATCH = 4096  # segments: about 0.5 MB of a set's text at a time
MAPPED = ("850",)  # the sets with a mapping fed in batches


def streaming(batch: int = BATCH) -> Streaming:
    """The sets to read in batches: those mapped that way whose every business rule has a streamed twin."""
    return Streaming(frozenset(code for code in MAPPED if streamable(code)), batch)


class StreamedSet:
    """One set handed on in batches: validated and mapped as each batch comes, its lines spooled."""

    def __init__(self, ts: TransactionSet, lenient: frozenset[str] = frozenset()) -> None:
        self.validation = StreamedValidation(ts, lenient)
        self.builder = OrderBuilder(ts.group.interchange.sender_id)
        self.lines = SpooledLines()
        self.failure: CrossdockError | None = None

    def feed(self, ts: TransactionSet) -> None:
        """Take the batch the set holds now."""
        elements = ts.element_lists()
        self.validation.feed(ts, elements)
        if self.failure is None:
            try:
                self.builder.feed(elements)
                self.lines.add(self.builder.take_finished())
            except CrossdockError as exc:  # the whole set's mapping would have failed here too
                self.failure = exc

    def finish(self, ts: TransactionSet) -> tuple[Order | None, SpooledLines | None, str | None]:
        """Take the last batch; the order and its lines, unless the set is rejected or cannot be mapped (then
        why: the whole set's ``decode_error``)."""
        self.feed(ts)
        self.validation.finish(ts)
        if status(ts) == "rejected" or self.failure is not None:
            self.lines.close()
            return None, None, None if self.failure is None else str(self.failure)
        try:
            order = self.builder.finish(ts)
        except CrossdockError as exc:
            self.lines.close()
            return None, None, str(exc)
        self.lines.add(self.builder.take_finished(every=True))
        return order, self.lines, None
