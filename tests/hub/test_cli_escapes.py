"""Names, senders and errors come from outside: the command line shows their control characters escaped, so a
file named with a terminal escape sequence cannot clear the operator's screen, retitle the window or hide a line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crossdock.terminal import terminal_safe
from tests.hub.conftest import run

ESCAPE = "\x1b]0;owned\x07\x1b[2J"  # retitle the window, clear the screen
NAME = f"po{ESCAPE}\u202eide.edi"  # and a right-to-left override that shows the rest reversed
SHOWN = "po\\x1b]0;owned\\x07\\x1b[2J\\u202eide.edi"


def test_control_characters_are_written_as_escapes() -> None:
    assert terminal_safe(NAME) == SHOWN
    assert terminal_safe("\x9b31m tab\there, DEL\x7f") == "\\x9b31m tab\\x09here, DEL\\x7f"
    assert terminal_safe("Grüße, 注文 #1") == "Grüße, 注文 #1", "printable text is left alone"


def test_status_and_documents_show_a_hostile_file_name_escaped(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (config_path.parent / "drop" / NAME).write_bytes(b"not X12 at all")
    code, out, err = run(capsys, "poll", "drop", "-c", str(config_path))
    assert code == 1 and "\x1b" not in out + err and "\u202e" not in out + err

    for argv in (["status"], ["documents", "list"], ["documents", "show", "1"]):
        code, out, err = run(capsys, *argv, "-c", str(config_path))
        assert code == 0, argv
        assert SHOWN in out, argv
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out, argv

    code, out, _ = run(capsys, "documents", "show", "1", "--json", "-c", str(config_path))
    assert json.loads(out)["remote_name"] == NAME, "--json keeps the name as it is (JSON escapes it)"
    assert "\x1b" not in out


def test_an_error_naming_the_file_is_escaped_too(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (config_path.parent / "drop" / NAME).write_bytes(b"not X12 at all")
    run(capsys, "poll", "drop", "-c", str(config_path))
    code, out, err = run(capsys, "replay", "1", "-c", str(config_path))
    assert code == 1
    assert "\x1b" not in out + err and "\u202e" not in out + err
