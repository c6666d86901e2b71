"""824 application advice and 864 text message -> ``ApplicationAdvice``: the documents a buyer judged (OTI) or
wrote about (MIT), with the reasons (TED with its NTE/RED) or the text (MSG)."""

from __future__ import annotations

from crossdock.core.acknowledgments.advices import AdviceNote, AdvisedDocument, ApplicationAdvice
from crossdock.core.errors import DecodeError
from crossdock.mappings.x12.envelope import TransactionSet
from crossdock.mappings.x12.values import integer, padded, text, x12_date

MAX_NOTES = 200  # reasons kept per document: what a person reads, bounded whatever the buyer sends


def advice_from_824(ts: TransactionSet) -> ApplicationAdvice:
    advice = ApplicationAdvice(kind="824")
    item: AdvisedDocument | None = None
    for e in ts.element_lists():
        tag = e[0]
        if tag == "BGN":
            e = padded(e, 3)
            advice.purpose, advice.reference, advice.date = text(e[1]), text(e[2]), x12_date(e[3])
        elif tag == "OTI":
            e = padded(e, 10)
            item = AdvisedDocument(
                status=text(e[1]),
                reference_qualifier=text(e[2]),
                reference=text(e[3]),
                group_control=text(e[8]),
                transaction_control=text(e[9]),
                transaction_set=text(e[10]),
            )
            advice.items.append(item)
        elif item is None or len(item.notes) >= MAX_NOTES:
            continue
        elif tag == "TED":
            e = padded(e, 8)
            item.notes.append(
                AdviceNote(
                    code=text(e[1]),
                    text=text(e[2]),
                    segment_id=text(e[3]),
                    segment_position=integer(e[4]),
                    element_position=integer(e[5]),
                    bad_value=text(e[7]),
                )
            )
        elif tag in ("NTE", "RED") and item.notes:
            note = text(padded(e, 2)[2] if tag == "NTE" else e[1])
            last = item.notes[-1]
            if note:
                last.text = f"{last.text} {note}" if last.text else note
    if not advice.items:
        raise DecodeError(f"824 {ts.control} names no document (no OTI)", offset=ts.offset)
    return advice


def advice_from_864(ts: TransactionSet) -> ApplicationAdvice:
    advice = ApplicationAdvice(kind="864")
    item: AdvisedDocument | None = None
    for e in ts.element_lists():
        tag = e[0]
        if tag == "BMG":
            e = padded(e, 2)
            advice.purpose, advice.reference = text(e[1]), text(e[2])
        elif tag == "MIT":
            e = padded(e, 2)
            item = AdvisedDocument(reference=text(e[1]), description=text(e[2]))
            advice.items.append(item)
        elif tag == "MSG" and item is not None and len(item.notes) < MAX_NOTES:
            line = text(padded(e, 1)[1])
            if line:
                item.notes.append(AdviceNote(text=line))
    if not advice.items:
        raise DecodeError(f"864 {ts.control} holds no message (no MIT)", offset=ts.offset)
    return advice
