"""Reading who a mail is from, and what the receiving server's Authentication-Results say, without a server."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from crossdock.connectors.mailauth import (
    UnreadableSender,
    aligned,
    authentication_results,
    from_address,
    mailbox,
    parse_authentication_results,
)


def parsed(raw: str) -> EmailMessage:
    message = email.message_from_bytes(raw.encode(), _class=EmailMessage, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.parametrize(
    ("field", "address"),
    [
        ("edi@partner.test <mallory@evil.test>", "mallory@evil.test"),
        ('"edi@partner.test" <mallory@evil.test>', "mallory@evil.test"),
        ("=?utf-8?q?edi=40partner.test?= <mallory@evil.test>", "mallory@evil.test"),
        ("Buyer <Buyer@Partner.test>", "buyer@partner.test"),
        ("edi@partner.test", "edi@partner.test"),
        ("edi@partner.test (mallory@evil.test)", "edi@partner.test"),
        ('"Doe, John <x@evil.test>" <j@partner.test>', "j@partner.test"),
        (" (note) <edi@partner.test> (more)", "edi@partner.test"),
    ],
)
def test_the_mailbox_is_the_address_in_angle_brackets(field: str, address: str) -> None:
    assert mailbox(field) == address


@pytest.mark.parametrize(
    ("field", "why"),
    [
        ("edi@partner.test, mallory@evil.test", "more than one address"),
        ("Doe, John <j@partner.test>", "more than one address"),
        ("Partners: edi@partner.test;", "a group"),
        ("<mallory@evil.test> edi@partner.test", "text after its address"),
        ("<a@partner.test><b@evil.test>", "cannot be read"),
        ("a@b@partner.test", "cannot be read"),
        ('"mallory@evil.test"@partner.test', "cannot be read"),
        ("edi@partner.test>", "cannot be read"),
        ("", "cannot be read"),
    ],
)
def test_anything_but_one_plain_mailbox_is_not_read(field: str, why: str) -> None:
    with pytest.raises(UnreadableSender, match=why):
        mailbox(field)


def test_one_from_field_exactly() -> None:
    assert from_address(parsed("From: Edi <EDI@partner.test>\r\nTo: a@us.test\r\n\r\nx")) == "edi@partner.test"
    with pytest.raises(UnreadableSender, match="no From field"):
        from_address(parsed("To: a@us.test\r\n\r\nx"))
    with pytest.raises(UnreadableSender, match="2 From fields"):
        from_address(parsed("From: edi@partner.test\r\nFrom: m@evil.test\r\n\r\nx"))


def test_a_folded_from_field_is_read_whole() -> None:
    assert from_address(parsed("From: Buyer\r\n <edi@partner.test>\r\n\r\nx")) == "edi@partner.test"


def test_authentication_results_are_parsed_with_quotes_comments_and_versions() -> None:
    server, results = parse_authentication_results(
        'mx.us.test 1; dkim=pass (good; sig) header.d=partner.test header.s="s;1"; '
        'spf = pass smtp.mailfrom=edi@partner.test; dmarc/1=fail reason="p=reject" header.from=partner.test'
    )
    assert server == "mx.us.test"
    assert [(r.method, r.result, r.properties) for r in results] == [
        ("dkim", "pass", {"header.d": "partner.test", "header.s": "s;1"}),
        ("spf", "pass", {"smtp.mailfrom": "edi@partner.test"}),
        ("dmarc", "fail", {"header.from": "partner.test"}),
    ]
    assert parse_authentication_results('"mx.us.test"; none') == ("mx.us.test", [])
    _, (quoted,) = parse_authentication_results('mx.us.test; dkim=fail reason="header.d=partner.test" header.d=e.test')
    assert quoted.properties == {"header.d": "e.test"}, "a property quoted in a reason is not read"


def test_per_method_the_topmost_field_of_the_trusted_server_counts() -> None:
    message = parsed(
        "Authentication-Results: mx.us.test; dmarc=pass header.from=partner.test\r\n"
        "Authentication-Results: mx.us.test; dkim=fail header.d=partner.test\r\n"
        "Authentication-Results: mx.evil.test; spf=pass\r\n"
        "Authentication-Results: mx.us.test; dkim=pass header.d=partner.test; dmarc=pass header.from=x.test\r\n"
        "From: edi@partner.test\r\n\r\nbody"
    )
    found = authentication_results(message, "MX.US.TEST")
    assert {m: [r.result for r in rs] for m, rs in found.items()} == {"dmarc": ["pass"], "dkim": ["fail"]}
    assert found["dmarc"][0].properties == {"header.from": "partner.test"}


def test_alignment_is_the_domain_or_a_dotted_parent() -> None:
    assert aligned("partner.test", "partner.test")
    assert aligned("partner.test", "mail.partner.test")
    assert not aligned("test", "partner.test")
    assert not aligned("artner.test", "partner.test")
    assert not aligned("", "partner.test")
