"""``crossdock check`` finds every mistake in one pass, each with file, line and key: keys given twice, files
that are not UTF-8, passwords in the store's URL, unset variables, missing files and folders, near-miss keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crossdock.cli import main
from crossdock.core.configuration.check import check_config
from crossdock.core.configuration.config import Config, ConfigProblems, load_config
from crossdock.core.errors import ConfigError
from tests.hub.test_config import MINIMAL

SFTP_SOURCE = """\
sources:
  in:
    type: sftp
    host: h
    username: u
    password: ${CHECK_TEST_PASSWORD}
    known_hosts: kh
"""


def write(folder: Path, text: str | bytes, name: str = "c.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def found(path: Path, *, secrets: bool = True) -> list[tuple[int | None, str, str]]:
    return [(p.line, p.path, p.message) for p in check_config(path, secrets=secrets).problems]


@pytest.fixture(autouse=True)
def _variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHECK_TEST_PASSWORD", "s3cret")
    monkeypatch.delenv("CHECK_TEST_UNSET", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- keys given twice ---------------------------------------------------------------------------------------


def test_a_sink_given_twice_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    text = MINIMAL + "  wh:\n    type: folder\n    path: elsewhere\n"
    text = text.replace("routing:\n  default: wh\n", "") + "routing:\n  default: wh\n"
    path = write(tmp_path, text)
    ((line, key, message),) = found(path)
    assert (line, key) == (7, "sinks.wh")
    assert "on line 4 and on line 7" in message
    with pytest.raises(ConfigProblems, match="given twice"):
        load_config(path)  # nothing silently wins: run refuses the file too


def test_a_top_level_key_given_twice_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "company:\n  isa_id: OTHER\n")
    message = (
        "key 'company' is given twice, on line 1 and on line 9; YAML would keep only the second: remove or rename one"
    )
    assert found(path) == [(9, "company", message)]


def test_a_key_given_twice_in_a_partner_file_names_that_file(tmp_path: Path) -> None:
    write(tmp_path / "partners", "isa_qualifier: ZZ\nisa_id: P1\nisa_id: P2\n", "p.yaml")
    path = write(tmp_path, MINIMAL + "partners_dir: partners\n")
    (problem,) = check_config(path).problems
    assert problem.file.endswith("p.yaml") and problem.line == 3 and problem.path == "partners.p.isa_id"
    assert "line 2 and on line 3" in problem.message


def test_merge_keys_may_repeat_a_key_on_purpose(tmp_path: Path) -> None:
    text = MINIMAL + "retry: &r {max_attempts: 3}\noutbox:\n  <<: {batch: 5}\n  batch: 7\n"
    assert found(write(tmp_path, text)) == []


# --- not UTF-8 ----------------------------------------------------------------------------------------------


def test_a_file_that_is_not_utf8_names_the_line_and_column_of_the_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, MINIMAL.replace("isa_id: ACME", "isa_id: ACMÉ").encode("latin-1"))
    ((line, key, message),) = found(path)
    assert (line, key) == (2, "")
    assert message.startswith("not UTF-8: byte 0xC9 at line 2, column 14 (byte offset 22)")
    code, _, err = run(capsys, "check", "-c", str(path))
    assert code == 1 and f"{path}:2: not UTF-8" in err and "Traceback" not in err


def test_a_partner_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    write(tmp_path / "partners", "isa_qualifier: ZZ\nname: Caf\xe9\nisa_id: P\n".encode("latin-1"), "p.yaml")
    path = write(tmp_path, MINIMAL + "partners_dir: partners\n")
    (problem,) = check_config(path).problems
    assert problem.file.endswith("p.yaml") and problem.line == 2 and "byte 0xE9" in problem.message


def test_a_utf16_file_is_refused_at_its_first_byte(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.encode("utf-16"))
    ((line, _, message),) = found(path)
    assert line == 1 and "byte 0xFF at line 1, column 1 (byte offset 0)" in message


# --- secrets ------------------------------------------------------------------------------------------------


def test_a_password_written_in_the_store_url_is_refused(tmp_path: Path) -> None:
    for url in ("postgresql+psycopg://bob:hunter2@db.example/crossdock", "postgresql://db/x?password=hunter2"):
        path = write(tmp_path, MINIMAL + f"store:\n  url: {url}\n")
        ((line, key, message),) = found(path)
        assert (line, key) == (10, "store.url")
        assert "hunter2" not in message and "${CROSSDOCK_STORE_URL}" in message and "bob:${" in message


def test_a_store_url_by_reference_or_with_its_password_by_reference_is_fine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHECK_TEST_PASSWORD", "p@ss/w:rd")
    path = write(tmp_path, MINIMAL + "store:\n  url: postgresql+psycopg://bob:${CHECK_TEST_PASSWORD}@db/crossdock\n")
    assert found(path) == []
    assert load_config(path).store_url == "postgresql+psycopg://bob:p%40ss%2Fw%3Ard@db/crossdock"
    monkeypatch.setenv("CHECK_TEST_PASSWORD", "postgresql+psycopg://bob:x@db/crossdock")
    path = write(tmp_path, MINIMAL + "store:\n  url: ${CHECK_TEST_PASSWORD}\n")
    assert load_config(path).store_url == "postgresql+psycopg://bob:x@db/crossdock"
    path = write(tmp_path, MINIMAL + "store:\n  url: postgresql://bob:${CHECK_TEST_UNSET}@db/x\n")
    assert found(path) == [(10, "store.url", "environment variable CHECK_TEST_UNSET is not set")]
    with pytest.raises(ConfigError, match="CHECK_TEST_UNSET"):
        _ = load_config(path).store_url


def test_unset_variables_are_told_with_the_literal_secrets_and_everything_else(tmp_path: Path) -> None:
    text = MINIMAL + SFTP_SOURCE.replace("${CHECK_TEST_PASSWORD}", "${CHECK_TEST_UNSET}")
    text += "    colour: red\n  other:\n    type: imap\n    host: h\n    username: u\n    password: hunter2\n"
    text += '    allowed_senders: ["@partner.example"]\n'
    text += "store:\n  url: postgresql://bob:${CHECK_TEST_UNSET}@db/x\n"
    path = write(tmp_path, text)
    assert found(path) == [
        (14, "sources.in.password", "environment variable CHECK_TEST_UNSET is not set"),
        (15, "sources.in.known_hosts", f"no such file: {tmp_path.resolve() / 'kh'}"),
        (16, "sources.in.colour", "unknown key"),
        (21, "sources.other.password", found(path)[3][2]),
        (24, "store.url", "environment variable CHECK_TEST_UNSET is not set"),
    ]
    assert "${" in found(path)[3][2] and "hunter2" not in str(found(path))


def test_no_secrets_skips_the_variables_but_still_refuses_a_written_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "kh").write_text("")
    path = write(tmp_path, MINIMAL + SFTP_SOURCE.replace("${CHECK_TEST_PASSWORD}", "${CHECK_TEST_UNSET}"))
    assert [k for _, k, _ in found(path)] == ["sources.in.password"]
    assert found(path, secrets=False) == []
    code, out, _ = run(capsys, "check", "--no-secrets", "-c", str(path))
    assert code == 0 and "ok (0 partner(s), 1 source(s)" in out and "secrets not looked up (--no-secrets)" in out
    write(tmp_path, MINIMAL + SFTP_SOURCE.replace("${CHECK_TEST_PASSWORD}", "hunter2"))
    code, _, err = run(capsys, "check", "--no-secrets", "-c", str(path))
    assert code == 1 and "sources.in.password: a secret must be an environment reference" in err


def test_no_secrets_and_connect_cannot_be_given_together(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["check", "--no-secrets", "--connect"])
    assert exc.value.code == 2 and "not allowed with" in capsys.readouterr().err


# --- files and folders --------------------------------------------------------------------------------------


def test_missing_known_hosts_source_folder_partners_dir_and_key_file_are_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHECK_TEST_KEY", str(tmp_path / "no-key"))
    text = """\
company: {isa_id: ACME}
partners_dir: partners
sources:
  in:
    type: sftp
    host: h
    username: u
    private_key: ${CHECK_TEST_KEY}
    known_hosts: kh
  drop:
    type: folder
    path: drop
sinks:
  up:
    type: sftp
    host: h
    username: u
    password: ${CHECK_TEST_PASSWORD}
    known_hosts: /nowhere/known_hosts
"""
    path = write(tmp_path, text)
    base = tmp_path.resolve()
    assert {(k, m) for _, k, m in found(path)} == {
        ("sources.in.known_hosts", f"no such file: {base / 'kh'}"),
        (
            "sources.in.private_key",
            "${CHECK_TEST_KEY} is neither a key (no -----BEGIN line) nor an existing key file; its value is not shown",
        ),
        ("sources.drop.path", f"no such folder: {base / 'drop'}"),
        ("partners_dir", f"no such folder: {tmp_path / 'partners'}"),
        ("sinks.up.known_hosts", "no such file: /nowhere/known_hosts"),
    }
    assert all(line for line, _, _ in found(path))


def test_paths_are_read_from_the_config_files_folder_not_the_working_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "etc"
    (folder / "keys").mkdir(parents=True)
    (folder / "keys" / "known_hosts").write_text("")
    (folder / "drop").mkdir()
    text = MINIMAL + SFTP_SOURCE.replace("known_hosts: kh", "known_hosts: keys/known_hosts")
    text += "  drop:\n    type: folder\n    path: drop\n"
    path = write(folder, text)
    monkeypatch.chdir(tmp_path)
    assert found(Path("etc/c.yaml")) == []
    assert load_config(path).sources["in"].known_hosts == folder.resolve() / "keys" / "known_hosts"  # type: ignore[union-attr]


def test_a_sinks_missing_folder_is_fine_it_is_made_at_the_first_write(tmp_path: Path) -> None:
    assert found(write(tmp_path, MINIMAL)) == []
    assert not (tmp_path / "out").exists()


# --- did you mean -------------------------------------------------------------------------------------------


def test_an_unknown_key_near_a_known_one_says_did_you_mean(tmp_path: Path) -> None:
    (tmp_path / "kh").write_text("")
    text = MINIMAL.replace("sinks:", "sink:", 1) + SFTP_SOURCE.replace("password:", "pasword:")
    text += "retry:\n  max_attemps: 3\n  colour: red\n"
    messages = {k: m for _, k, m in found(write(tmp_path, text))}
    assert messages["sink"] == "unknown key (did you mean `sinks`?)"
    assert messages["sources.in.pasword"] == "unknown key (did you mean `password`?)"
    assert messages["retry.max_attemps"] == "unknown key (did you mean `max_attempts`?)"
    assert messages["retry.colour"] == "unknown key"


def test_did_you_mean_follows_the_blocks_type_and_lists(tmp_path: Path) -> None:
    text = MINIMAL.replace("    path: out\n", "    path: out\n    temp_sufix: .tmp\n    interchange_per_file: 2\n")
    text += "  rules:\n    - to: wh\n      mach: {sku: [A*]}\n"
    messages = {k: m for _, k, m in found(write(tmp_path, text))}
    assert messages["sinks.wh.interchange_per_file"] == "unknown key (did you mean `interchanges_per_file`?)"
    assert messages["sinks.wh.temp_sufix"] == "unknown key", "temp_suffix is an sftp sink's key, not a folder's"
    assert messages["routing.rules.0.mach"] == "unknown key (did you mean `match`?)"


def test_a_connector_named_like_a_type_keeps_its_name_in_the_key(tmp_path: Path) -> None:
    text = MINIMAL.replace("  wh:\n", "  folder:\n").replace("default: wh", "default: folder")
    text = text.replace("    path: out\n", "    path: out\n    pth: x\n")
    assert found(write(tmp_path, text)) == [(7, "sinks.folder.pth", "unknown key (did you mean `path`?)")]


def test_a_partner_files_unknown_key_says_did_you_mean(tmp_path: Path) -> None:
    write(tmp_path / "partners", "isa_qualifier: ZZ\nisa_id: P\nak: '999'\n", "p.yaml")
    (problem,) = check_config(write(tmp_path, MINIMAL + "partners_dir: partners\n")).problems
    assert (problem.line, problem.path, problem.message) == (3, "partners.p.ak", "unknown key (did you mean `ack`?)")


def test_a_port_or_query_is_not_taken_for_a_password(tmp_path: Path) -> None:
    for url in ("postgresql://db.example:5432/crossdock", "postgresql://bob@db:5432/x?sslmode=require&app=a@b"):
        assert found(write(tmp_path, MINIMAL + f"store:\n  url: {url}\n")) == []


# --- --json -------------------------------------------------------------------------------------------------


def test_check_json_lists_the_problems_with_file_line_key_and_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path, MINIMAL + "company:\n  isa_id: X\n  colour: red\n")
    code, out, err = run(capsys, "check", "--json", "-c", str(bad))
    report = json.loads(out)
    assert code == 1 and err == ""
    assert report["ok"] is False and report["counts"] is None and report["connections"] == []
    assert report["problems"] == [
        {"file": str(bad), "line": 9, "key": "company", "message": report["problems"][0]["message"]},
        {"file": str(bad), "line": 11, "key": "company.colour", "message": "unknown key"},
    ]
    good = write(tmp_path, MINIMAL, "good.yaml")
    code, out, _ = run(capsys, "check", "--json", "-c", str(good))
    report = json.loads(out)
    assert code == 0 and report["ok"] is True and report["problems"] == [] and report["secrets_checked"] is True
    assert report["counts"] == {"partners": 0, "sources": 0, "sinks": 1, "routing_rules": 0}


def test_the_config_model_is_what_check_walks() -> None:
    """The did-you-mean walk reads the models: a key it offers must be a key the model takes."""
    from crossdock.core.configuration.keys import known_keys

    assert set(known_keys(Config, {}, ())) == set(Config.model_fields)
    data = {"sinks": {"x": {"type": "sftp"}}}
    assert "temp_suffix" in known_keys(Config, data, ("sinks", "x"))
    assert known_keys(Config, {"sinks": {"x": {"type": "nope"}}}, ("sinks", "x")) == []


def test_the_servers_bounds_are_checked(tmp_path: Path) -> None:
    good = MINIMAL + "server:\n  deadline: 10s\n  max_connections: 100\n  max_requests: 100\n"
    assert found(write(tmp_path, good)) == []
    bad = MINIMAL + "server:\n  deadline: 0s\n  max_connections: 0\n  max_requests: 0\n"
    messages = {k: m for _, k, m in found(write(tmp_path, bad))}
    assert set(messages) == {"server.deadline", "server.max_connections", "server.max_requests"}
    too_many = MINIMAL + "server:\n  max_connections: 10\n  max_requests: 20\n"
    ((_, key, message),) = found(write(tmp_path, too_many))
    assert key == "server" and "max_requests (20) is more than max_connections (10)" in message
