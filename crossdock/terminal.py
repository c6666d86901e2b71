"""Text from outside on a terminal: shown, never obeyed.

File names, mail senders, partners' ids and the errors that quote them reach the operator's terminal through the
command line and the log. A terminal acts on some characters instead of showing them, so those are written as
escapes here, one for one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# what a terminal acts on rather than shows: C0 controls (ESC starts a sequence that can rewrite the screen,
# retitle the window or carry a link), DEL, C1 controls (0x9B is a one-character CSI), and the bidirectional
# overrides that reorder what is shown (a name reading "po.edi" that is "ide.op")
_TERMINAL_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """Text for a terminal: each control character written as an escape (``\\x1b``, ``\\u202e``), so a file
    name, sender or error that came from outside is shown, never obeyed."""
    return _TERMINAL_CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_lines(lines: Iterable[str]) -> str:
    """Lines joined for printing, each made ``terminal_safe`` (a line's own newline is shown as ``\\x0a``)."""
    return "\n".join(terminal_safe(line) for line in lines)
