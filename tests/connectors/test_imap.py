"""ImapSource against a real Dovecot on loopback (scripts/peers up): attachments, quarantine, and settling."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from crossdock.connectors.imap import ImapSource, attachments, sender_allowed
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.ports import Inbound, Source
from tests.peers import ImapPeer, imap_source_config

peers = pytest.mark.peers

EDI = b"ISA*00*          *00*          *ZZ*ACME           *ZZ*US             *240101*1200*U*00401*000000001*0*P*>~\r\n"


def mail(sender: str, *files: tuple[str, bytes], subject: str = "orders") -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "orders@us.test"
    message["Subject"] = subject
    message.set_content("Please find our orders attached.\n")
    for name, data in files:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return message


def receive(source: ImapSource, settle: bool = False) -> list[Inbound]:
    with source.receive() as documents:
        found = list(documents)
        if settle:
            for document in found:
                document.settle()
    return found


@peers
def test_each_matching_attachment_is_a_document(imap_peer: ImapPeer) -> None:
    binary = bytes(range(256)) + b"\r\n\x00" + "ü".encode()
    imap_peer.append(
        mail("Buyer <Buyer@Partner.test>", ("PO1.EDI", EDI), ("terms.pdf", b"%PDF-1.4"), ("lines.csv", binary))
    )
    source = ImapSource("mail", imap_source_config(imap_peer, allowed_senders=["@partner.test"]))
    assert isinstance(source, Source)

    found = receive(source)

    assert [(d.name, d.data, d.quarantine, d.sender) for d in found] == [
        ("PO1.EDI", EDI, None, "buyer@partner.test"),
        ("lines.csv", binary, None, "buyer@partner.test"),
    ]
    ((uid, (flags, _)),) = imap_peer.messages().items()
    client = imap_peer.client()
    try:
        uidvalidity = client.select_folder(imap_peer.folder, readonly=True)[b"UIDVALIDITY"]
    finally:
        client.logout()
    base = f"imap://{imap_peer.host}/{imap_peer.folder}/{uidvalidity}/{uid}"
    assert [d.identity for d in found] == [f"{base}/0", f"{base}/2"]  # terms.pdf is named part 1
    assert "\\Seen" not in flags and "$Crossdock" not in flags


@peers
def test_not_settled_leaves_the_mail_unseen_and_unflagged(imap_peer: ImapPeer) -> None:
    imap_peer.append(mail("buyer@partner.test", ("po.edi", EDI)))
    source = ImapSource("mail", imap_source_config(imap_peer))

    first = receive(source)
    again = receive(source)

    assert [d.identity for d in first] == [d.identity for d in again]
    ((flags, _),) = imap_peer.messages().values()
    assert "\\Seen" not in flags
    assert "$Crossdock" not in flags


@peers
def test_a_mail_is_flagged_only_when_every_document_is_settled(imap_peer: ImapPeer) -> None:
    imap_peer.append(mail("buyer@partner.test", ("a.edi", EDI), ("b.edi", EDI)))
    source = ImapSource("mail", imap_source_config(imap_peer))

    with source.receive() as documents:
        first, second = list(documents)
        first.settle()
        ((flags, _),) = imap_peer.messages().values()
        assert "$Crossdock" not in flags
        second.settle()
        first.settle()  # settling twice changes nothing
    ((flags, _),) = imap_peer.messages().values()
    assert "$Crossdock" in flags
    assert "\\Seen" not in flags
    assert receive(source) == []


@peers
def test_processed_mail_moves_to_processed_folder(imap_peer: ImapPeer) -> None:
    imap_peer.append(mail("buyer@partner.test", ("a.edi", EDI)))
    imap_peer.append(mail("buyer@partner.test", ("b.edi", EDI)))
    done = f"{imap_peer.folder}/Done"
    source = ImapSource("mail", imap_source_config(imap_peer, processed_folder=done))

    with source.receive() as documents:
        found = list(documents)
        found[1].settle()

    assert [d.name for d in found] == ["a.edi", "b.edi"]
    (left,) = imap_peer.messages().values()
    assert left[1].get_filename() is None and [p.get_filename() for p in left[1].iter_attachments()] == ["a.edi"]
    (moved,) = imap_peer.messages(done).values()
    assert [p.get_filename() for p in moved[1].iter_attachments()] == ["b.edi"]
    assert [d.name for d in receive(source)] == ["a.edi"]


@peers
def test_unknown_sender_is_quarantined_whole_and_settle_moves_it(imap_peer: ImapPeer) -> None:
    message = mail("Mallory <mallory@elsewhere.test>", ("po.edi", EDI))
    imap_peer.append(message)
    source = ImapSource("mail", imap_source_config(imap_peer, allowed_senders=["buyer@partner.test", "@acme.test"]))

    (document,) = receive(source)
    assert document.quarantine == "mail from unknown sender mallory@elsewhere.test"
    assert document.sender == "mallory@elsewhere.test"
    assert document.data.replace(b"\r\n", b"\n") == message.as_bytes()
    assert len(imap_peer.messages()) == 1  # not settled: still there

    (document,) = receive(source, settle=True)
    assert imap_peer.messages() == {}
    ((flags, quarantined),) = imap_peer.messages(f"{imap_peer.folder}/Quarantine").values()
    assert quarantined["From"] == "Mallory <mallory@elsewhere.test>"
    assert "\\Seen" not in flags


@peers
def test_mail_without_a_matching_attachment_is_quarantined(imap_peer: ImapPeer) -> None:
    imap_peer.append(mail("buyer@acme.test", ("scan.pdf", b"%PDF")))
    source = ImapSource("mail", imap_source_config(imap_peer, allowed_senders=["@acme.test"]))
    (document,) = receive(source, settle=True)
    assert document.quarantine == "no EDI or CSV attachment"
    assert document.name.endswith(".eml")
    assert imap_peer.messages() == {}
    assert len(imap_peer.messages(f"{imap_peer.folder}/Quarantine")) == 1


@peers
def test_a_mail_whose_headers_break_the_email_package_is_quarantined_whole(imap_peer: ImapPeer) -> None:
    """CPython's header parser raises IndexError on this broken From: the mail is kept, not a poll's crash."""
    raw = mail("buyer@acme.test", ("po.edi", EDI)).as_bytes()
    raw = raw.replace(b"From: buyer@acme.test", b"From: Buyer <edi@\r\nnorthwind.example>")
    imap_peer.append(raw)
    source = ImapSource("mail", imap_source_config(imap_peer))
    (document,) = receive(source, settle=True)
    assert document.quarantine == "the From address cannot be read (Buyer <edi@)"
    assert document.name.endswith(".eml") and b"po.edi" in document.data
    assert imap_peer.messages() == {}
    assert len(imap_peer.messages(f"{imap_peer.folder}/Quarantine")) == 1


@peers
def test_a_wrong_password_is_permanent(imap_peer: ImapPeer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDOCK_TEST_IMAP_WRONG", "not-the-password")
    source = ImapSource("mail", imap_source_config(imap_peer, password="${CROSSDOCK_TEST_IMAP_WRONG}"))
    with pytest.raises(PermanentError, match="refused") as caught, source.receive():
        pass
    assert "not-the-password" not in str(caught.value)


@peers
def test_a_missing_folder_is_permanent(imap_peer: ImapPeer) -> None:
    source = ImapSource("mail", imap_source_config(imap_peer, folder=f"{imap_peer.folder}/Nope"))
    with pytest.raises(PermanentError, match="Nope"), source.receive() as documents:
        list(documents)


def test_nothing_answering_is_transient(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.peers import free_port

    monkeypatch.setenv("CROSSDOCK_TEST_IMAP_PW", "x")
    port = free_port()
    config = imap_source_config(
        ImapPeer("127.0.0.1", port, "u", "x", "INBOX", "CROSSDOCK_TEST_IMAP_PW"), quarantine_folder="Quarantine"
    )
    with pytest.raises(TransientError, match=f"127.0.0.1:{port}"), ImapSource("mail", config).receive():
        pass


def test_sender_rules() -> None:
    assert not sender_allowed("anyone@anywhere.test", []), "no list allows no one"
    assert sender_allowed("Buyer@Partner.test", ["buyer@partner.test"])
    assert sender_allowed("edi@partner.test", ["@Partner.test"])
    assert not sender_allowed("edi@notpartner.test", ["@partner.test"])
    assert not sender_allowed("edi@partner.test.evil", ["@partner.test"])
    assert not sender_allowed("", ["@partner.test"])


def test_attachment_globs_are_case_insensitive_and_names_lose_their_folders() -> None:
    message = mail("a@b.test", ("C:\\out\\PO.X12", b"1"), ("readme.md", b"2"), ("x.Csv", b"3"))
    assert attachments(message, ["*.x12", "*.csv"]) == [(0, "PO.X12", b"1"), (2, "x.Csv", b"3")]


@peers
def test_an_attachment_over_max_file_size_moves_its_mail_to_quarantine_unstored(imap_peer: ImapPeer) -> None:
    imap_peer.append(mail("buyer@partner.test", ("big.edi", b"x" * 2000)))
    imap_peer.append(mail("buyer@partner.test", ("small.edi", EDI)))
    source = ImapSource("mail", imap_source_config(imap_peer, max_file_size="1KB"))

    found = receive(source, settle=True)

    assert [d.name for d in found] == ["small.edi"], "the other mail is still read"
    (reason,) = source.refused
    assert "attachment big.edi of mail" in reason and "is 2000 bytes, more than max_file_size 1000 bytes" in reason
    ((_, kept),) = imap_peer.messages(f"{imap_peer.folder}/Quarantine").values()
    assert [p.get_filename() for p in kept.iter_attachments()] == ["big.edi"]


@peers
def test_a_mail_too_large_to_hold_an_attachment_under_the_bound_is_not_fetched(imap_peer: ImapPeer) -> None:
    imap_peer.append(mail("buyer@partner.test", ("huge.edi", b"y" * 1_200_000)))
    source = ImapSource("mail", imap_source_config(imap_peer, max_file_size=1000))

    assert receive(source) == []
    (reason,) = source.refused
    assert "more than max_file_size 1000 bytes" in reason and "moved to" in reason
    assert imap_peer.messages() == {}
    assert len(imap_peer.messages(f"{imap_peer.folder}/Quarantine")) == 1


@peers
def test_a_display_name_that_looks_like_an_address_is_not_the_sender(imap_peer: ImapPeer) -> None:
    """``From: edi@partner.test <mallory@evil.test>`` is mail from mallory: Python's parseaddr read edi@partner.test."""
    imap_peer.append(mail("edi@partner.test <mallory@evil.test>", ("po.edi", EDI)))
    imap_peer.append(mail("edi@partner.test, mallory@evil.test", ("po.edi", EDI)))
    raw = mail("edi@partner.test", ("po.edi", EDI)).as_bytes()
    imap_peer.append(raw.replace(b"From: edi@partner.test\n", b"From: edi@partner.test\nFrom: mallory@evil.test\n"))
    source = ImapSource("mail", imap_source_config(imap_peer, allowed_senders=["@partner.test"]))

    found = receive(source)

    assert [(d.quarantine, d.sender) for d in found] == [
        ("mail from unknown sender mallory@evil.test", "mallory@evil.test"),
        ("the From field holds more than one address (edi@partner.test, mallory@evil.test)", None),
        ("the mail has 2 From fields", None),
    ]
    assert all(d.name.endswith(".eml") for d in found), "quarantined whole, no attachment read"


def authenticated_mail(sender: str, *results: str) -> bytes:
    """A mail as the receiving server delivers it: its Authentication-Results fields on top, in this order."""
    raw = mail(sender, ("po.edi", EDI)).as_bytes().replace(b"\n", b"\r\n")
    return b"".join(f"Authentication-Results: {r}\r\n".encode() for r in results) + raw


@peers
def test_dkim_and_dmarc_count_only_from_the_receiving_server_on_top(imap_peer: ImapPeer) -> None:
    good = "mx.us.test; dkim=pass header.d=partner.test header.s=s1; dmarc=pass (p=reject) header.from=partner.test"
    forged = "mx.us.test; dkim=pass header.d=partner.test; dmarc=pass header.from=partner.test"
    imap_peer.append(authenticated_mail("edi@partner.test", good))
    imap_peer.append(authenticated_mail("edi@partner.test", forged.replace("mx.us.test", "mx.evil.test")))
    imap_peer.append(authenticated_mail("edi@partner.test", "mx.us.test; dkim=fail header.d=partner.test", forged))
    imap_peer.append(authenticated_mail("edi@partner.test", "mx.us.test; dkim=pass header.d=evil.test"))
    imap_peer.append(authenticated_mail("edi@sub.partner.test", "mx.us.test; dkim=pass header.d=partner.test"))
    imap_peer.append(authenticated_mail("edi@partner.test", "mx.us.test; dkim=pass header.d=test"))
    config = imap_source_config(
        imap_peer, allowed_senders=["@partner.test", "@sub.partner.test"], authserv_id="MX.us.test", require_dkim=True
    )

    found = receive(ImapSource("mail", config))

    assert [d.quarantine for d in found] == [
        None,
        "mail from edi@partner.test: no dkim result from MX.us.test (Authentication-Results)",
        "mail from edi@partner.test: MX.us.test found no dkim pass for partner.test (dkim=fail header.d=partner.test)",
        "mail from edi@partner.test: MX.us.test found no dkim pass for partner.test (dkim=pass header.d=evil.test)",
        None,
        "mail from edi@partner.test: MX.us.test found no dkim pass for partner.test (dkim=pass header.d=test)",
    ]
    assert found[0].name == "po.edi" and found[4].sender == "edi@sub.partner.test"


@peers
def test_dmarc_needs_a_pass_for_the_from_domain(imap_peer: ImapPeer) -> None:
    imap_peer.append(authenticated_mail("edi@partner.test", "mx.us.test; dmarc=pass header.from=partner.test"))
    imap_peer.append(authenticated_mail("edi@partner.test", "mx.us.test; dmarc=pass header.from=evil.test"))
    imap_peer.append(authenticated_mail("edi@partner.test", "mx.us.test; dkim=pass header.d=partner.test"))
    config = imap_source_config(imap_peer, authserv_id="mx.us.test", require_dmarc=True)

    found = receive(ImapSource("mail", config))

    assert [d.quarantine for d in found] == [
        None,
        "mail from edi@partner.test: mx.us.test found no dmarc pass for partner.test "
        "(dmarc=pass header.from=evil.test)",
        "mail from edi@partner.test: no dmarc result from mx.us.test (Authentication-Results)",
    ]
