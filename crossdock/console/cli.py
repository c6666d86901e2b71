"""``crossdock console hash-password``: the hash a user's ``password_hash`` holds in the ``console:`` block."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from crossdock.console.passwords import LONGEST_PASSWORD, hash_password
from crossdock.core.errors import CrossdockError

SHORTEST_PASSWORD = 12


def add_commands(sub: Any) -> None:
    console = sub.add_parser("console", help="the operator console in the browser").add_subparsers(
        dest="console_command", required=True
    )
    p = console.add_parser(
        "hash-password", help="read a password (prompted, or one line on stdin) and print its hash for console.users"
    )
    p.set_defaults(func=hash_password_command)


def hash_password_command(_: argparse.Namespace) -> int:
    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise CrossdockError("the two passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not SHORTEST_PASSWORD <= len(password) <= LONGEST_PASSWORD:
        raise CrossdockError(f"a console password has {SHORTEST_PASSWORD} to {LONGEST_PASSWORD} characters")
    print(hash_password(password))
    return 0
