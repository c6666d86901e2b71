"""Buyer notice templates and values: what a buyer or channel wrote never escapes its place."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossdock.connectors.smtp import SmtpSink
from crossdock.core.configuration.notices import LANGUAGES, CustomerNotices
from crossdock.core.errors import DecodeError, PermanentError
from crossdock.core.notices.models import EVENTS, NOTICE, Notice
from crossdock.core.notices.templates import templates
from crossdock.core.ports import Outbound
from crossdock.mappings.notices import BLOCK_LINES, FIELDS, block, one_line, parse_template, render, tracking_link
from tests.peers import SmtpServer, smtp_sink_config


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_shipped_language_has_every_event_and_fills_it(language: str) -> None:
    found = templates(CustomerNotices(sink="mail", language=language, events=list(EVENTS)))
    assert sorted(found) == sorted(EVENTS) and "delivered" in found
    for template in found.values():
        subject, text, html = render(template, dict.fromkeys(FIELDS, "VALUE"))
        assert "VALUE" in subject and "VALUE" in text and "$" not in text and html is None


@given(st.dictionaries(st.sampled_from(sorted(FIELDS)), st.text(max_size=400)))
def test_a_subject_is_one_bounded_line_whatever_the_values(values: dict[str, str]) -> None:
    subject_line = "Subject: ${store_name} ${buyer_name} ${po_number}\n\n${lines}\n"
    subject, _, html = render(parse_template(subject_line, "<p>${buyer_name}</p>", "t"), values)
    assert "\n" not in subject and "\r" not in subject and len(subject) <= 200
    assert html is not None and "<" not in html.removeprefix("<p>").removesuffix("</p>").replace("<br>", "")


def test_one_line_drops_controls_and_bidi_overrides_and_cuts() -> None:
    assert one_line("Ann\r\nBcc: x@y\x1b[31m\u202eevil") == "Ann Bcc: x@y [31m evil"
    assert len(one_line("x" * 1000)) == 200


def test_a_block_is_capped_in_lines() -> None:
    rows = block(f"row {i}" for i in range(500)).split("\n")
    assert len(rows) == BLOCK_LINES and rows[-1] == f"... and {500 - BLOCK_LINES + 1} more"


def test_a_tracking_number_is_quoted_into_the_carrier_page() -> None:
    assert tracking_link("UPSN", "1Z 9?&x", {}) == "https://www.ups.com/track?tracknum=1Z%209%3F%26x"
    assert tracking_link("ACME", "T1", {"ACME": "https://acme.test/t/{number}"}) == "https://acme.test/t/T1"
    assert tracking_link("NOBODY", "T1", {}) == "T1"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Hello ${po_number}\n", "line 1 must be 'Subject: ...'"),
        ("Subject: x\n\nCost: 5$ each\n", r"a '\$' that is not a \$\{name\} placeholder \(line 1\)"),
        ("Subject: ${nope}\n\nhi\n", r"the subject names unknown value\(s\) nope"),
    ],
)
def test_a_bad_template_is_refused_naming_file_and_line(text: str, said: str) -> None:
    with pytest.raises(DecodeError, match=said):
        parse_template(text, None, "mine/received.txt")


def test_tracking_pages_must_be_https_with_one_number() -> None:
    with pytest.raises(ValueError, match="https:// address with"):
        CustomerNotices(sink="mail", tracking_urls={"ACME": "http://acme.test/{number}"})


def _notice(to: str = "ann@example.test") -> Outbound:
    notice = Notice(to=to, subject="Your order", text="Hello", event="received", po_number="PO-1")
    data = Notice.model_validate(notice.model_dump()).model_dump(mode="json")
    return Outbound("notice-PO-1-received.json", json.dumps(data).encode(), "key-1", purpose=NOTICE)


def test_a_sink_not_set_for_customers_refuses_a_notice(smtp_server: SmtpServer) -> None:
    sink = SmtpSink("partners", smtp_sink_config(smtp_server))
    with pytest.raises(PermanentError, match="not set to mail buyers"):
        sink.send(_notice())
    assert smtp_server.messages == []


@pytest.mark.parametrize("to", ["a@x.test, b@x.test", "Ann <a@x.test>", "a@x.test\r\nBcc: b@x.test", "nobody"])
def test_a_notice_goes_to_one_plain_address_or_nowhere(smtp_server: SmtpServer, to: str) -> None:
    sink = SmtpSink("buyers", smtp_sink_config(smtp_server, to=[], customers=True))
    with pytest.raises(PermanentError, match="no single plain address"):
        sink.send(_notice(to))
    assert smtp_server.messages == []


def test_a_notice_reaches_its_buyer_only(smtp_server: SmtpServer) -> None:
    sink = SmtpSink("buyers", smtp_sink_config(smtp_server, customers=True))
    sink.send(_notice())
    (mail,) = smtp_server.messages
    assert mail.rcpt_tos == ["ann@example.test"] and mail.message["To"] == "ann@example.test"
