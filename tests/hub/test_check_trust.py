"""``crossdock check`` refuses configurations that let an outsider in: a mailbox anyone may mail orders to, a
DKIM or DMARC requirement without the server whose word counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crossdock.cli import main
from tests.hub.test_check import found, write
from tests.hub.test_config import MINIMAL

MAILBOX = """\
sources:
  mail:
    type: imap
    host: imap.example.com
    username: orders
    password: ${TRUST_TEST_PASSWORD}
"""


@pytest.fixture(autouse=True)
def _variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUST_TEST_PASSWORD", "imap-password")


def test_a_mailbox_without_allowed_senders_fails_check_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, MINIMAL + MAILBOX)

    code = main(["check", "-c", str(path)])

    err = capsys.readouterr().err
    assert code == 1
    assert f"{path}:10: sources.mail.allowed_senders: allowed_senders is required" in err
    assert "anyone who knows the mailbox's address could send orders" in err
    fixed = write(tmp_path, MINIMAL + MAILBOX + '    allowed_senders: ["edi@partner.example", "@acme.example"]\n')
    assert found(fixed) == []
    empty = write(tmp_path, MINIMAL + MAILBOX + "    allowed_senders: []\n")
    assert [key for _, key, _ in found(empty)] == ["sources.mail.allowed_senders"]


def test_allowed_senders_are_addresses_or_domains(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + MAILBOX + '    allowed_senders: ["partner.example", "Edi <edi@p.example>"]\n')
    ((_, key, message),) = found(path)
    assert key == "sources.mail.allowed_senders"
    assert "'partner.example' is neither an address (edi@partner.com) nor a domain (@partner.com)" in message


def test_dkim_and_dmarc_need_the_receiving_servers_authserv_id(tmp_path: Path) -> None:
    senders = '    allowed_senders: ["@partner.example"]\n'
    path = write(tmp_path, MINIMAL + MAILBOX + senders + "    require_dkim: true\n")
    ((_, key, message),) = found(path)
    assert key == "sources.mail" and "require_dkim and require_dmarc need authserv_id" in message
    idle = write(tmp_path, MINIMAL + MAILBOX + senders + "    authserv_id: mx.us.example\n")
    ((_, _, message),) = found(idle)
    assert "authserv_id is set but neither require_dkim nor require_dmarc" in message
    spaced = write(tmp_path, MINIMAL + MAILBOX + senders + "    authserv_id: mx us\n    require_dmarc: true\n")
    assert [key for _, key, _ in found(spaced)] == ["sources.mail.authserv_id"]
    good = write(tmp_path, MINIMAL + MAILBOX + senders + "    authserv_id: mx.us.example\n    require_dmarc: true\n")
    assert found(good) == []


# --- tokens others must present -----------------------------------------------------------------------------

POSTS = """\
sources:
  posts:
    type: http
    path: /inbound/acme
    token: ${TRUST_TEST_TOKEN}
"""


@pytest.mark.parametrize(("value", "said"), [("", "is empty"), ("t0ken", "holds 5 characters")])
def test_an_empty_or_short_bearer_token_fails_check_and_stops_serve_and_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, value: str, said: str
) -> None:
    """An http source whose token variable was set but empty accepted ``Authorization: Bearer `` (202)."""
    monkeypatch.setenv("TRUST_TEST_TOKEN", value)
    path = write(tmp_path, MINIMAL + POSTS)

    ((_, key, message),) = found(path)
    assert key == "sources.posts.token"
    assert message.startswith(f"${{TRUST_TEST_TOKEN}} {said}: a secret others must present needs at least 16")
    for command in ("serve", "run"):
        assert main(["-c", str(path), command, *(["--port", "0"] if command == "serve" else [])]) == 2
        err = capsys.readouterr().err
        assert f"crossdock: configuration: sources.posts.token: ${{TRUST_TEST_TOKEN}} {said}" in err
    assert not (tmp_path / "crossdock.db").exists(), "refused before the store was opened"
    monkeypatch.setenv("TRUST_TEST_TOKEN", "a-token-of-24-characters")
    assert found(path) == []


def test_a_short_webhook_secret_fails_check_without_showing_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUST_TEST_KEY", "ck_live_0123456789")
    monkeypatch.setenv("TRUST_TEST_SECRET", "cs_live_0123456789")
    monkeypatch.setenv("TRUST_TEST_HOOK", "hook-secret")
    shop = (
        "sources:\n  shop:\n    type: woocommerce\n    url: https://shop.example.com\n"
        "    consumer_key: ${TRUST_TEST_KEY}\n    consumer_secret: ${TRUST_TEST_SECRET}\n"
        "    webhook_secret: ${TRUST_TEST_HOOK}\n"
    )
    path = write(tmp_path, MINIMAL + shop)
    ((_, key, message),) = found(path)
    assert key == "sources.shop.webhook_secret" and "holds 11 characters" in message
    assert "hook-secret" not in message
    assert found(path, secrets=False) == [], "without the variables nothing is said of them"


# --- credentials in clear text ------------------------------------------------------------------------------


def test_an_imap_password_without_tls_to_another_machine_is_refused_everywhere(tmp_path: Path) -> None:
    from crossdock.core.configuration.config import ConfigProblems, load_config

    plain = MAILBOX + '    allowed_senders: ["@partner.example"]\n    security: none\n'
    path = write(tmp_path, MINIMAL + plain)
    ((_, key, message),) = found(path)
    assert key == "sources.mail.security"
    assert message.startswith("imap to imap.example.com without TLS (security: none) would send its password")
    with pytest.raises(ConfigProblems, match="in clear text"):
        load_config(path)  # so run and every other command refuse it too
    assert found(write(tmp_path, MINIMAL + plain.replace("imap.example.com", "127.0.0.1"))) == []


def with_sink(block: str) -> str:
    return MINIMAL.replace("routing:", block + "routing:")


def test_a_secret_sent_to_a_plain_http_url_is_refused_and_loopback_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUST_TEST_ERP", "Bearer erp-token-0123456789")
    sink = "  erp:\n    type: http\n    url: {url}\n    auth: ${{TRUST_TEST_ERP}}\n"
    path = write(tmp_path, with_sink(sink.format(url="http://erp.example.com/orders")))
    ((_, key, message),) = found(path)
    assert key == "sinks.erp.url"
    assert message == (
        "http://erp.example.com/orders is plain http, so auth would cross the network in clear text: use https"
    )
    assert found(write(tmp_path, with_sink(sink.format(url="http://127.0.0.1:8069/orders")))) == []
    assert found(write(tmp_path, with_sink(sink.format(url="https://erp.example.com/orders")))) == []
    bare = "  erp:\n    type: http\n    url: http://bob:pw@erp.example.com/orders\n"
    ((_, key, message),) = found(write(tmp_path, with_sink(bare)))
    assert "the credentials written in the URL" in message and "pw" not in message
    assert found(write(tmp_path, with_sink(bare.replace("bob:pw@", "")))) == [], "no secret, nothing to carry"


def test_mail_without_tls_and_a_server_on_every_interface_are_warned_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    smtp = (
        "  mailer:\n    type: smtp\n    host: smtp.example.com\n    port: 25\n    security: none\n"
        "    from_address: crossdock@acme.example\n    to: [ops@acme.example]\n"
    )
    path = write(tmp_path, with_sink(smtp) + "server:\n  host: 0.0.0.0\n")

    code = main(["check", "-c", str(path)])

    out, err = capsys.readouterr()
    assert code == 0 and "ok (" in out
    assert f"warning: {path}:11: sinks.mailer.security: smtp to smtp.example.com without TLS" in err
    assert f"warning: {path}:17: server.host: the server listens on every interface (0.0.0.0)" in err
    assert main(["check", "-c", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and [w["key"] for w in report["warnings"]] == ["sinks.mailer.security", "server.host"]


# --- the file itself ----------------------------------------------------------------------------------------


def test_a_yaml_alias_bomb_is_refused_before_anything_walks_it(tmp_path: Path) -> None:
    """400 bytes of aliases of aliases drove check to 9.4 GB: the expansion is counted over the shared graph."""
    rows = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    rows += [f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi", strict=True)]
    path = write(tmp_path, "\n".join(rows) + "\n")
    assert 300 < path.stat().st_size <= 400

    ((line, key, message),) = found(path)

    assert (line, key) == (None, "")
    assert message.startswith("YAML aliases (*name) would repeat 490,329,036 values, more than 100,000: refused")
    loop = write(tmp_path, "company: &c\n  isa_id: ACME\n  more: [*c]\n")
    assert [m for _, _, m in found(loop)] == ["a YAML alias refers to a value that holds it: the file would never end"]


def test_anchors_and_merge_keys_within_the_bound_still_load(tmp_path: Path) -> None:
    text = MINIMAL + "sources:\n"
    text += "  one: &drop\n    type: folder\n    path: .\n    min_age: 0\n"
    text += "".join(f"  drop{i}:\n    <<: *drop\n    pattern: '*.{i}'\n" for i in range(50))
    assert found(write(tmp_path, text)) == []
