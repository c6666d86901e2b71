"""What a buyer says about the content of a document we sent: an 824 application advice or an 864 text message.

A 997 says a document was readable; an 824 says whether the buyer's application took it (an ASN whose cartons do
not match the PO, an invoice with a wrong price), and some retailers send invoice errors as free text in an 864.
Each item names the document it is about, by its control numbers or its business reference
(``core.acknowledgments.advice_inbound`` ties it back, shows it on that document and raises one alert).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from crossdock.core.models_base import Model

# OTI01 application acknowledgment codes, in words
VERDICTS = {
    "TA": "accepted",
    "TC": "accepted with change",
    "TE": "accepted with error",
    "TP": "partially accepted",
    "TR": "rejected",
    "IA": "item accepted",
    "IE": "item accepted with error",
    "IR": "item rejected",
}


@dataclass(slots=True, kw_only=True)
class AdviceNote(Model):
    """One reason or line of text: a TED (its error code, the segment and element it points at, the bad value)
    with its NTE/RED text, or an 864 MSG line."""

    code: str | None = None  # TED01 application error condition code
    text: str | None = None
    segment_id: str | None = None
    segment_position: int | None = None
    element_position: int | None = None
    bad_value: str | None = None


@dataclass(slots=True, kw_only=True)
class AdvisedDocument(Model):
    """One OTI loop (824) or MIT loop (864): the document it is about, the verdict and the reasons."""

    status: str | None = None  # OTI01 (see VERDICTS); None in an 864
    reference_qualifier: str | None = None  # OTI02: BM bill of lading, IV invoice number, SI shipper's id ...
    reference: str | None = None  # OTI03, MIT01
    description: str | None = None  # MIT02
    group_control: str | None = None  # OTI08: our GS06
    transaction_control: str | None = None  # OTI09: our ST02
    transaction_set: str | None = None  # OTI10: 856, 810 ...
    notes: list[AdviceNote] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.status is None:
            return "a message"
        return VERDICTS.get(self.status, f"status {self.status}")


@dataclass(slots=True, kw_only=True)
class ApplicationAdvice(Model):
    kind: Literal["824", "864"]
    purpose: str | None = None  # BGN01 / BMG01
    reference: str | None = None  # BGN02, or BMG02 (the 864's description)
    date: dt.date | None = None  # BGN03
    items: list[AdvisedDocument] = field(default_factory=list)
