"""Configuration: typed, unknown keys rejected, secrets only by reference, every problem with its place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crossdock.core.configuration.blocks import CHANNELS
from crossdock.core.configuration.check import check_config
from crossdock.core.configuration.config import ConfigProblems, config_schema, load_config
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]

MINIMAL = """\
company:
  isa_id: ACME
sinks:
  wh:
    type: folder
    path: out
routing:
  default: wh
"""


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(path: Path) -> list[tuple[int | None, str, str]]:
    return [(p.line, p.path, p.message) for p in check_config(path).problems]


def test_a_minimal_file_loads_with_paths_relative_to_it(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    assert config.sinks["wh"].path == tmp_path / "out"  # type: ignore[union-attr]
    assert config.store_url == f"sqlite:///{tmp_path.resolve()}/crossdock.db"


def test_an_unknown_key_is_reported_with_its_line_and_path(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("    path: out\n", "    path: out\n    colour: red\n"))
    assert problems(path) == [(7, "sinks.wh.colour", "unknown key")]


def test_a_secret_written_in_the_file_is_refused(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + """\
sources:
  in:
    type: sftp
    host: h
    username: u
    password: hunter2
    known_hosts: kh
"""
    )
    (tmp_path / "kh").write_text("")
    ((line, key, message),) = problems(write(tmp_path, text))
    assert (line, key) == (14, "sources.in.password")
    assert "${" in message and "hunter2" not in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = """\
company: {}
sinks:
  wh:
    type: ftp
routing:
  hold: soon
"""
    found = problems(write(tmp_path, text))
    assert (1, "company.isa_id", "required key is missing") in found
    assert (
        4,
        "sinks.wh.type",
        "unknown type 'ftp': expected one of 'folder', 'sftp', 'smtp', 'http', 'odoo', 'shipbob', 'as2'"
        " (did you mean `sftp`?)",
    ) in found
    assert any(key == "routing.hold" and "not a duration" in msg and line == 6 for line, key, msg in found)


def test_names_that_point_nowhere_are_reported(tmp_path: Path) -> None:
    text = MINIMAL.replace("  default: wh\n", "  default: nowhere\n  rules:\n    - to: wh\n      split: true\n")
    text += "partners:\n  p:\n    isa_qualifier: ZZ\n    isa_id: P\n    reply_to: gone\n"
    text += "sources:\n  in:\n    type: folder\n    path: in\n    fulfilment_sink: lost\n"
    found = problems(write(tmp_path, text))
    assert (8, "routing.default", "no sink named 'nowhere'") in found
    assert (11, "routing.rules.0.split", "a split rule needs sku patterns to choose its lines") in found
    assert (16, "partners.p.reply_to", "no sink named 'gone'") in found
    assert (21, "sources.in.fulfilment_sink", "no sink named 'lost'") in found


def test_two_partners_with_one_isa_id_cannot_be_told_apart(tmp_path: Path) -> None:
    text = MINIMAL + "partners:\n  a: {isa_qualifier: ZZ, isa_id: X}\n  b: {isa_qualifier: ZZ, isa_id: X}\n"
    assert [k for _, k, _ in problems(write(tmp_path, text))] == ["partners.b.isa_id"]


def test_unset_secret_variables_are_reported_by_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = MINIMAL + "sources:\n  in:\n    type: sftp\n    host: h\n    username: u\n"
    text += "    password: ${NOT_SET_ANYWHERE}\n    known_hosts: kh\n"
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    (tmp_path / "kh").write_text("")
    assert problems(write(tmp_path, text)) == [
        (14, "sources.in.password", "environment variable NOT_SET_ANYWHERE is not set")
    ]
    monkeypatch.setenv("NOT_SET_ANYWHERE", "s3cret")
    assert problems(write(tmp_path, text)) == []
    assert resolve_secret("${NOT_SET_ANYWHERE}") == "s3cret"


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    ((line, _, message),) = problems(write(tmp_path, "company:\n  isa_id: [unclosed\n"))
    assert line == 3 and "not valid YAML" in message


def test_a_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    ((_, _, message),) = problems(tmp_path / "nope.yaml")
    assert message.startswith("cannot read")


def test_partner_files_are_read_and_their_problems_name_the_partner_file(tmp_path: Path) -> None:
    (tmp_path / "partners").mkdir()
    (tmp_path / "partners" / "good.yaml").write_text("isa_qualifier: ZZ\nisa_id: GOOD\n")
    (tmp_path / "partners" / "bad.yaml").write_text("isa_qualifier: ZZ\nisa_id: BAD\nack: '998'\n")
    path = write(tmp_path, MINIMAL + "partners_dir: partners\n")
    (problem,) = check_config(path).problems
    assert problem.file.endswith("bad.yaml") and problem.line == 3 and problem.path == "partners.bad.ack"
    (tmp_path / "partners" / "bad.yaml").unlink()
    assert set(load_config(path).partners) == {"good"}


def test_inline_partners_that_are_not_a_mapping_beside_a_partners_dir_are_a_problem(tmp_path: Path) -> None:
    (tmp_path / "partners").mkdir()
    (tmp_path / "partners" / "good.yaml").write_text("isa_qualifier: ZZ\nisa_id: GOOD\n")
    path = write(tmp_path, MINIMAL + "partners_dir: partners\npartners: [northwind]\n")
    (problem,) = check_config(path).problems
    assert (problem.path, problem.message) == ("partners", "must map each partner's name to its settings")
    assert problem.line == MINIMAL.count("\n") + 2


def test_schedules_and_delimiters_are_checked(tmp_path: Path) -> None:
    text = MINIMAL + "sources:\n  in:\n    type: folder\n    path: in\n    schedule: {every: 5m, cron: '* * * * *'}\n"
    text += "partners:\n  p:\n    isa_qualifier: ZZ\n    isa_id: P\n    delimiters: {element: '*', segment: '*'}\n"
    messages = {k: m for _, k, m in problems(write(tmp_path, text))}
    assert messages["sources.in.schedule"] == "give exactly one of every or cron"
    assert "must all differ" in messages["partners.p.delimiters"]


def test_the_shipped_configurations_check_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "BIGMART_SFTP_PASSWORD",
        "BIGMART_SFTP_KEY",
        "BIGMART_SFTP_KEY_PASSPHRASE",
        "ORDERS_IMAP_PASSWORD",
        "ACME3PL_SFTP_KEY",
        "WMS_TOKEN",
        "ACME_POST_TOKEN",
        "SMTP_PASSWORD",
        "SHIPBOB_TOKEN",
        "ODOO_API_KEY",
        "WOO_CONSUMER_KEY",
        "WOO_CONSUMER_SECRET",
        "WOO_WEBHOOK_SECRET",
        "WALMART_CLIENT_ID",
        "SHOPIFY_ACCESS_TOKEN",
        "SHOPIFY_CLIENT_SECRET",
        "SP_API_CLIENT_ID",
        "SP_API_CLIENT_SECRET",
        "SP_API_REFRESH_TOKEN",
        "BIGCOMMERCE_ACCESS_TOKEN",
        "BIGCOMMERCE_WEBHOOK_SECRET",
        "EBAY_CLIENT_ID",
        "EBAY_CLIENT_SECRET",
        "EBAY_REFRESH_TOKEN",
        "EBAY_VERIFICATION_TOKEN",
        "WALMART_CLIENT_SECRET",
        "WALMART_WEBHOOK_AUTH",
        "AS2_PRIVATE_KEY",
        "CROSSDOCK_CONSOLE_SECRET",
        "CONSOLE_VICTOR_HASH",
    ):
        monkeypatch.setenv(var, "a-test-value-long-enough-for-a-token")
    key = tmp_path / "id_ed25519"
    key.write_text("a key file")
    monkeypatch.setenv("BIGMART_SFTP_KEY", str(key))
    monkeypatch.setenv("ACME3PL_SFTP_KEY", str(key))
    # the example names the files and folders of its production host: only they are missing here
    found = check_config(ROOT / "config" / "example.yaml").problems
    assert {p.path for p in found} == {
        "sources.bigmart-sftp-in.known_hosts",
        "sources.acme-ship-files.path",
        "sources.shared-drop.path",
        "sources.shared-drop.notify.templates",
        "sinks.bigmart-sftp-out.known_hosts",
        "sinks.acme-3pl-sftp.known_hosts",
        "sources.walmart-as2.certificate",
        "sources.walmart-as2.partner_certificate",
        "sinks.walmart-as2-out.certificate",
        "sinks.walmart-as2-out.partner_certificate",
    }
    assert all(p.message.startswith(("no such file: ", "no such folder: ")) and p.line for p in found)
    demo = tmp_path / "demo" / "crossdock.yaml"
    (demo.parent / "northwind" / "outbox").mkdir(parents=True)
    demo.write_bytes((ROOT / "config" / "demo.yaml").read_bytes())
    assert check_config(demo).problems == []
    example = load_config(ROOT / "config" / "example.yaml")
    assert set(example.partners) == {"bigmart", "acme-3pl", "globex"}
    source_types = {"sftp", "imap", "folder", "http", "shipbob", "as2"} | set(CHANNELS)
    assert {s.type for s in example.sources.values()} == source_types
    assert {s.type for s in example.sinks.values()} == {"sftp", "folder", "smtp", "http", "odoo", "shipbob", "as2"}


def test_the_example_shows_every_key_of_every_block() -> None:
    """config/example.yaml is the reference: a key added to a model must be shown there too."""
    text = (ROOT / "config" / "example.yaml").read_text()
    schema = config_schema()
    for name, definition in schema["$defs"].items():
        for key in definition.get("properties", {}):
            assert f"{key}:" in text, f"config/example.yaml does not show {name}.{key}"


def test_the_schema_is_json_schema_with_every_connector_type() -> None:
    schema = json.loads(json.dumps(config_schema()))
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["additionalProperties"] is False
    types = {d["properties"]["type"]["const"] for d in schema["$defs"].values() if "type" in d.get("properties", {})}
    assert types == {"folder", "sftp", "imap", "smtp", "http", "odoo", "shipbob", "as2"} | set(CHANNELS)


def test_resolving_a_plain_value_as_a_secret_is_refused() -> None:
    with pytest.raises(ConfigError):
        resolve_secret("hunter2")
    with pytest.raises(ConfigProblems):
        load_config(Path("/nonexistent/crossdock.yaml"))


def test_durations_timeouts_and_mail_settings_are_checked(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + """\
sources:
  mail:
    type: imap
    host: imap.example
    username: u
    password: ${X}
    security: starttls
    allowed_senders: ["@partner.example"]
    timeout: 0
  drop:
    type: folder
    path: in
    min_age: true
"""
    )
    found = {k: m for _, k, m in problems(write(tmp_path, text))}
    assert "greater than 0" in found["sources.mail.timeout"]
    assert "not a duration" in found["sources.drop.min_age"]
    fixed = text.replace("    timeout: 0\n", "").replace("    min_age: true\n", "")
    config = load_config(write(tmp_path, fixed))
    assert config.sources["mail"].port == 143  # type: ignore[union-attr]
