"""824 application advice and 864 text message -> ApplicationAdvice (issue 19, item 8)."""

from __future__ import annotations

from datetime import date

import pytest

from crossdock.core.errors import DecodeError
from crossdock.mappings.x12.advice824 import advice_from_824, advice_from_864
from crossdock.mappings.x12.documents import decode_file
from crossdock.mappings.x12.reader import read_transactions
from crossdock.mappings.x12.validator import status, validate


def interchange(functional_id: str, body: list[str], version: str = "004010", control: int = 9) -> bytes:
    parties = f"ZZ*{'NORTHWIND':<15}*ZZ*{'CROSSDOCK':<15}"
    isa = f"ISA*00*{' ' * 10}*00*{' ' * 10}*{parties}*261207*1200*U*00401*{control:09d}*0*P*>"
    segments = [isa, f"GS*{functional_id}*NORTHWIND*CROSSDOCK*20261207*1200*{control}*X*{version}", *body]
    segments += [f"GE*1*{control}", f"IEA*1*{control:09d}"]
    return ("~\n".join(segments) + "~\n").encode()


def advice_824(gs: str = "3", st: str = "0001", reference: str = "PO-1") -> list[str]:
    body = [
        "ST*824*0001",
        "BGN*00*ADV-1*20261207",
        f"OTI*TR*PO*{reference}*CROSSDOCK*NORTHWIND*20261207*1200*{gs}*{st}*855",
        "TED*024*PRICE DOES NOT MATCH*BAK*2**353*99",
        "NTE*GEN*CALL YOUR BUYER",
        "OTI*TA*PO*PO-2",
    ]
    return [*body, f"SE*{len(body) + 1}*0001"]


def text_864(reference: str = "INV-7") -> list[str]:
    body = ["ST*864*0001", "BMG*00*INVOICE ERRORS", f"MIT*{reference}*PRICE", "MSG*INVOICE PRICE DIFFERS FROM PO"]
    return [*body, "MSG*RESEND WITHIN 5 DAYS", f"SE*{len(body) + 2}*0001"]


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_824_names_each_document_its_verdict_and_why(version: str) -> None:
    (ts,) = read_transactions(interchange("AG", advice_824(), version))
    validate(ts)
    assert status(ts) == "accepted", [str(e) for e in ts.errors]
    advice = advice_from_824(ts)
    assert (advice.kind, advice.purpose, advice.reference, advice.date) == ("824", "00", "ADV-1", date(2026, 12, 7))
    rejected, accepted = advice.items
    assert (rejected.status, rejected.verdict, rejected.reference) == ("TR", "rejected", "PO-1")
    assert (rejected.group_control, rejected.transaction_control, rejected.transaction_set) == ("3", "0001", "855")
    (why,) = rejected.notes
    assert (why.code, why.segment_id, why.segment_position, why.bad_value) == ("024", "BAK", 2, "99")
    assert why.text == "PRICE DOES NOT MATCH CALL YOUR BUYER"
    assert accepted.verdict == "accepted" and accepted.notes == []


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_864_is_its_messages_by_reference(version: str) -> None:
    (ts,) = read_transactions(interchange("TX", text_864(), version))
    validate(ts)
    assert status(ts) == "accepted", [str(e) for e in ts.errors]
    advice = advice_from_864(ts)
    (item,) = advice.items
    assert (advice.kind, advice.reference, item.reference, item.description) == (
        "864",
        "INVOICE ERRORS",
        "INV-7",
        "PRICE",
    )
    assert [n.text for n in item.notes] == ["INVOICE PRICE DIFFERS FROM PO", "RESEND WITHIN 5 DAYS"]


def test_to_json_lists_application_advices() -> None:
    found = decode_file(interchange("AG", advice_824()))
    assert [a["kind"] for a in found["application_advices"]] == ["824"]


def test_an_824_without_oti_is_not_mapped() -> None:
    (ts,) = read_transactions(interchange("AG", ["ST*824*0001", "BGN*00*ADV-1*20261207", "SE*3*0001"]))
    with pytest.raises(DecodeError, match="no OTI"):
        advice_from_824(ts)
