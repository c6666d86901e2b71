"""What the hub needs from the X12 engine, in one pass and as plain values: read, acknowledge, answer.

``read`` validates every set and maps the ones crossdock has a mapping for, keeping the validation result
so that ``InboundFile.ack`` writes the 997/999 without reading the bytes again. Groups of functional
acknowledgments are never acknowledged (a 997 for a 997 starts a loop with some partners' translators).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from crossdock.core.errors import CrossdockError, DecodeError
from crossdock.core.fulfilment.models import Invoice, Shipment
from crossdock.core.models import (
    ChangeAcknowledgment,
    InterchangeAcknowledgment,
    InventorySnapshot,
    Model,
    Order,
    OrderAcknowledgment,
)
from crossdock.core.storage.spool import SpooledLines
from crossdock.mappings.x12 import writer
from crossdock.mappings.x12.ack import AckControls, AckKind, acknowledge
from crossdock.mappings.x12.asn856 import build_856
from crossdock.mappings.x12.delimiters import Delimiters
from crossdock.mappings.x12.documents import decoder_for, document_json
from crossdock.mappings.x12.envelope import FunctionalGroup, Interchange, TransactionSet
from crossdock.mappings.x12.inventory846 import build_846
from crossdock.mappings.x12.invoice810 import build_810
from crossdock.mappings.x12.order_answers import (
    backorder_acknowledgment,
    cancellation_acknowledgment,
    po_acknowledgment,
)
from crossdock.mappings.x12.poack855 import build_855, scheduled_ship
from crossdock.mappings.x12.poca865 import build_865
from crossdock.mappings.x12.reader import Source, iter_events
from crossdock.mappings.x12.report import FileResult, GroupResult, InterchangeResult, SetResult
from crossdock.mappings.x12.sscc import sscc18
from crossdock.mappings.x12.streamed import BATCH, StreamedSet, streaming
from crossdock.mappings.x12.ta1 import interchange_acknowledgments
from crossdock.mappings.x12.text import AUTO as AUTO
from crossdock.mappings.x12.text import Charset
from crossdock.mappings.x12.validator import status, validate

NOT_ACKNOWLEDGED = frozenset({"FA"})


@dataclass(slots=True)
class InboundSet:
    code: str
    control: str
    status: str  # accepted, accepted_with_errors, rejected
    errors: list[str]
    document: Model | None = None
    decode_error: str | None = None
    lines: SpooledLines | None = None  # a large order's lines, read as a stream (``document.lines`` is empty)


@dataclass(slots=True)
class InboundGroup:
    functional_id: str
    control: str
    sender: str
    receiver: str
    version: str
    errors: list[str]
    sets: list[InboundSet] = field(default_factory=list)
    date: str = ""  # GS04 and GS05, as sent: when the partner made the group (a version's time)
    time: str = ""


@dataclass(slots=True)
class InboundInterchange:
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    control: str
    usage: str
    ok: bool
    errors: list[str]
    groups: list[InboundGroup] = field(default_factory=list)
    acknowledgments: list[InterchangeAcknowledgment] = field(default_factory=list)  # its TA1s


@dataclass(slots=True)
class InboundFile:
    interchanges: list[InboundInterchange]
    result: FileResult

    def _acknowledged(self) -> FileResult:
        kept = FileResult(file=self.result.file)
        for ir in self.result.interchanges:
            groups = [g for g in ir.groups if g.group.functional_id not in NOT_ACKNOWLEDGED]
            if groups or (ir.interchange.errors and not _acknowledgment_only(ir.interchange)):
                kept.interchanges.append(InterchangeResult(ir.interchange, groups))
        return kept

    def ack_counts(self) -> tuple[int, int]:
        """(interchanges, groups) the acknowledgment will use numbers for; (0, 0) when none is due."""
        kept = self._acknowledged()
        return len(kept.interchanges), sum(len(ir.groups) for ir in kept.interchanges)

    def ack(
        self, kind: AckKind, *, interchange: int, group: int, transaction: int, usage: str, created: datetime
    ) -> bytes | None:
        kept = self._acknowledged()
        if not kept.interchanges:
            return None
        controls = AckControls(interchange=interchange, group=group, transaction=transaction)
        return acknowledge(kept, kind, controls=controls, created=created, usage=usage).encode("latin-1")


def _acknowledgment_only(ic: Interchange) -> bool:
    """An interchange of TA1s and nothing else: answering it, even to reject it, starts a loop."""
    return not ic.groups and any(seg.id == "TA1" for seg in ic.service_segments)


def _messages(errors: list[object]) -> list[str]:
    return [str(e) for e in errors]


def read(
    data: Source,
    *,
    encoding: str = AUTO,
    name: str | None = None,
    batch: int | None = BATCH,
    max_interchanges: int | None = None,
    lenient: frozenset[str] = frozenset(),
) -> InboundFile:
    """Validate and map every set of ``data``; raises NotX12Error when it is not an X12 interchange.

    ``lenient`` names the slips (``walk.SLIPS``) accepted with a warning instead of rejecting the set.

    An 850 of ``batch`` segments or more (None: none) is read as a stream, its lines spooled (``streamed.py``).
    A file of more than ``max_interchanges`` interchanges is refused as the one past the bound begins
    (DecodeError): what it holds, and its 997, would grow with it without end.
    """
    result = FileResult(file=name or "<bytes>")
    out: list[InboundInterchange] = []
    groups: dict[int, tuple[GroupResult, InboundGroup]] = {}
    streams: dict[int, StreamedSet] = {}
    for kind, obj in iter_events(
        data, encoding=encoding, name=name, streaming=streaming(batch) if batch is not None else None
    ):
        if kind == "interchange":
            assert isinstance(obj, Interchange)
            if max_interchanges is not None and len(out) >= max_interchanges:
                raise DecodeError(
                    f"the file holds more than {max_interchanges} interchanges (max_interchanges): refused, "
                    "not acknowledged; split it, or raise max_interchanges and run `crossdock replay`",
                    source=name,
                )
            result.interchanges.append(InterchangeResult(obj))
            out.append(
                InboundInterchange(
                    obj.sender_qualifier,
                    obj.sender_id,
                    obj.receiver_qualifier,
                    obj.receiver_id,
                    obj.control,
                    obj.usage,
                    True,
                    [],
                )
            )
        elif kind == "group":
            assert isinstance(obj, FunctionalGroup)
            gr = GroupResult(obj)
            ig = InboundGroup(obj.functional_id, obj.control, obj.sender, obj.receiver, obj.version, [])
            ig.date, ig.time = obj.gs.get(4).strip(), obj.gs.get(5).strip()
            groups[id(obj)] = (gr, ig)
            result.interchanges[-1].groups.append(gr)
            out[-1].groups.append(ig)
        elif kind == "segments":
            assert isinstance(obj, TransactionSet)
            streams.setdefault(id(obj), StreamedSet(obj, lenient)).feed(obj)
        elif kind == "transaction":
            assert isinstance(obj, TransactionSet)
            stream = streams.pop(id(obj), None)
            if stream is not None:
                document, lines, decode_error = stream.finish(obj)
            else:
                validate(obj, lenient)
            state = status(obj)
            gr, ig = groups[id(obj.group)]
            gr.sets.append(SetResult(obj.code, obj.control, state, obj.errors))
            item = InboundSet(obj.code, obj.control, state, _messages(list(obj.errors)))
            if stream is not None:
                item.document, item.lines, item.decode_error = document, lines, decode_error
            elif state != "rejected":
                found = decoder_for(obj.code)
                if found is not None:
                    try:
                        item.document = found[1](obj)
                    except CrossdockError as exc:
                        item.decode_error = str(exc)
            ig.sets.append(item)
    for ir, ii in zip(result.interchanges, out, strict=True):
        ii.ok = ir.ok
        ii.errors = _messages(list(ir.interchange.errors))
        ii.acknowledgments = interchange_acknowledgments(ir.interchange)
        for gr, ig in zip(ir.groups, ii.groups, strict=True):
            ig.errors = _messages(list(gr.group.errors))
    return InboundFile(out, result)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """Envelope values for one outbound interchange, decided by the hub from the partner's configuration."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    application_sender: str
    application_receiver: str
    version: str
    usage: str
    interchange: int
    group: int
    transaction: int
    created: datetime
    element: str = "*"
    segment: str = "~"
    component: str = ">"
    repetition: str = "^"
    newline: bool = True
    encoding: str = "latin-1"
    charset: Charset = "extended"  # the X12 character set the partner takes: its text is limited to it


def write_855(
    order: Order, out: Outgoing, *, lead_days: int | None = None, ship_dates: bool = False, price_basis: bool = False
) -> bytes:
    """One interchange carrying the 855 for ``order``; with ``ship_dates`` each line says when it is scheduled to
    ship (``poack855.scheduled_ship``: the order's requested ship date, else today plus ``lead_days``)."""
    ship_date = scheduled_ship(order, out.created.date(), lead_days) if ship_dates else None
    ack = po_acknowledgment(order, out.created, ship_date=ship_date, price_basis=price_basis)
    return interchange(out, "PR", [build_855(ack, f"{out.transaction:04d}")])


def write_855_change(
    order: Order, shipped: Mapping[int, Decimal], out: Outgoing, closed: Collection[int] = ()
) -> bytes:
    """One interchange carrying the 855 change that reports the backordered rest of ``order`` (and the lines the
    warehouse closed short, as what they came to)."""
    ts = build_855(backorder_acknowledgment(order, shipped, out.created, closed), f"{out.transaction:04d}")
    return interchange(out, "PR", [ts])


def write_855_cancellation(order: Order, cut: Mapping[int, Decimal], out: Outgoing) -> bytes:
    """One interchange carrying the 855 change for lines of ``order`` that will not ship."""
    ts = build_855(cancellation_acknowledgment(order, cut, out.created), f"{out.transaction:04d}")
    return interchange(out, "PR", [ts])


def write_change_answer(answer: ChangeAcknowledgment | OrderAcknowledgment, out: Outgoing) -> bytes:
    """One interchange answering a buyer's 860: an 865 change by change, or an 855 change (BAK01 04)."""
    if isinstance(answer, ChangeAcknowledgment):
        return interchange(out, "CA", [build_865(answer, f"{out.transaction:04d}")])
    return interchange(out, "PR", [build_855(answer, f"{out.transaction:04d}")])


def write_856(shipment: Shipment, out: Outgoing, profile: str, bill_of_lading_at: str = "shipment") -> bytes:
    """One interchange carrying the 856 ship notice for ``shipment`` in the partner's HL profile."""
    return interchange(out, "SH", [build_856(shipment, f"{out.transaction:04d}", profile, bill_of_lading_at)])


def write_810(invoice: Invoice, out: Outgoing) -> bytes:
    """One interchange carrying the 810 invoice."""
    return interchange(out, "IN", [build_810(invoice, f"{out.transaction:04d}", out.version)])


def set_count(data: bytes) -> int:
    """How many transaction sets an interchange crossdock wrote holds."""
    text = data.decode("latin-1")
    element, terminator = text[3], text[105]
    return sum(1 for segment in text.split(terminator) if segment.lstrip("\r\n").startswith("ST" + element)) or 1


def renumber(data: bytes, interchange: int, group: int, transaction: int) -> bytes:
    """An interchange crossdock wrote, with new ISA13/IEA02, GS06/GE02 and ST02/SE02 (one per set, counting up).

    Only for our own fixed-width ISA: the element separator is byte 4 and the terminator byte 106.
    """
    text = data.decode("latin-1")
    element, terminator = text[3], text[105]
    out: list[str] = []
    current = transaction - 1
    for segment in text.split(terminator):
        body = segment.lstrip("\r\n")
        lead = segment[: len(segment) - len(body)]
        parts = body.split(element)
        tag = parts[0]
        if tag == "ISA":
            parts[13] = f"{interchange:09d}"
        elif tag == "IEA":
            parts[2] = f"{interchange:09d}"
        elif tag in ("GS", "GE"):
            parts[6 if tag == "GS" else 2] = str(group)
        elif tag == "ST":
            current += 1
            parts[2] = f"{current:04d}"
        elif tag == "SE":
            parts[2] = f"{current:04d}"
        out.append(lead + element.join(parts))
    return terminator.join(out).encode("latin-1")


def write_810s(invoices: list[Invoice], out: Outgoing) -> bytes:
    """One interchange carrying several 810s (a day's invoices), numbered from ``out.transaction`` up."""
    sets = [build_810(invoice, f"{out.transaction + i:04d}", out.version) for i, invoice in enumerate(invoices)]
    return interchange(out, "IN", sets)


def write_846(snapshot: InventorySnapshot, out: Outgoing) -> bytes:
    """One interchange carrying the 846 inventory advice."""
    return interchange(out, "IB", [build_846(snapshot, f"{out.transaction:04d}")])


def package_label(gs1_prefix: str, serial: int, extension: str = "0") -> str:
    """The SSCC-18 for one of our packages: extension digit, GS1 company prefix, serial, mod-10 check digit."""
    return sscc18(gs1_prefix, serial, extension)


def order_from_dict(data: dict[str, Any]) -> Order:
    """The canonical order back from the JSON the store keeps."""
    data = {k: v for k, v in data.items() if k != "ship_to"}
    return Order.model_validate(data)


def interchange(out: Outgoing, functional_id: str, sets: list[writer.TransactionSet]) -> bytes:
    """One interchange of ``sets`` in the envelope ``out`` describes: every writer here and in ``warehouse`` ends so."""
    five = out.version.startswith("005")
    d = Delimiters(out.element, out.component, out.segment, out.repetition if five else None)
    env = writer.Envelope(
        sender_qualifier=out.sender_qualifier,
        sender_id=out.sender_id,
        receiver_qualifier=out.receiver_qualifier,
        receiver_id=out.receiver_id,
        interchange_control=out.interchange,
        group_control=out.group,
        functional_id=functional_id,
        version=out.version,
        application_sender=out.application_sender,
        application_receiver=out.application_receiver,
        usage=out.usage,
        created=out.created,
    )
    return writer.write_interchange(env, sets, d, newline=out.newline, encoding=out.encoding, charset=out.charset)


def order_dict(order: Order) -> dict[str, Any]:
    """The canonical order as JSON-ready data: what the store keeps and destinations receive."""
    return document_json(order)
