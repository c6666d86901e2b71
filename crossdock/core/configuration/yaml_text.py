"""Reading a configuration file as YAML, with the line of every key, so each problem can name its place.

A file that is not UTF-8 is refused with the line, column and byte offset of the first bad byte, and a key
given twice in one mapping is a problem naming both lines: YAML lets the second silently win, and a second
sink under the same name once rerouted orders that way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from crossdock.core.errors import ConfigError

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a configuration, with the place to fix it."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path or '(top)'}: {self.message}" if self.path else f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """The problem for ``check --json``: file, line, key and message."""
        return {"file": self.file, "line": self.line, "key": self.path, "message": self.message}


class ConfigProblems(ConfigError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Lines:
    """Key path -> line, read from the YAML node tree, so a pydantic error location becomes a line."""

    def __init__(self) -> None:
        self.lines: dict[Loc, int] = {}

    def walk(self, node: yaml.Node, path: Loc) -> None:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                k = key.value
                self.lines[(*path, k)] = key.start_mark.line + 1
                self.walk(value, (*path, k))
                self.lines[(*path, k)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.walk(item, (*path, i))

    def line(self, loc: Loc) -> int | None:
        loc = tuple(str(p) if not isinstance(p, int) else p for p in loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get(())


def decode_utf8(data: bytes, file: str) -> str:
    """The file's text; bytes that are not UTF-8 are a problem naming the line, column and offset of the first."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start
        line_start = data.rfind(b"\n", 0, start) + 1
        line = data.count(b"\n", 0, start) + 1
        column = len(data[line_start:start].decode("utf-8", "replace")) + 1
        message = (
            f"not UTF-8: byte 0x{data[start]:02X} at line {line}, column {column} (byte offset {start}); "
            "save the file as UTF-8"
        )
        raise ConfigProblems([Problem(file, line, "", message)]) from None


def duplicate_keys(node: yaml.Node, file: str, path: Loc = ()) -> list[Problem]:
    """Every key given twice in one mapping, with the lines of both (merge keys ``<<`` may repeat keys)."""
    out: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                line = key.start_mark.line + 1
                if key.value in first:
                    where = ".".join(str(p) for p in (*path, key.value))
                    message = (
                        f"key {key.value!r} is given twice, on line {first[key.value]} and on line {line}; "
                        "YAML would keep only the second: remove or rename one"
                    )
                    out.append(Problem(file, line, where, message))
                else:
                    first[key.value] = line
            out.extend(duplicate_keys(value, file, (*path, getattr(key, "value", "?"))))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out.extend(duplicate_keys(item, file, (*path, i)))
    return out


ALIAS_EXPANSION_LIMIT = 100_000  # values YAML aliases may add to a file: a 400-byte alias bomb adds billions


def bound_aliases(root: yaml.Node, file: str) -> None:
    """Refuse a file whose aliases (``*name``) would repeat more than ``ALIAS_EXPANSION_LIMIT`` values, or refer
    to themselves, before anything walks it: the node graph shares what aliases repeat, but every reader after
    it (the key lines, pydantic) walks the tree they spell out. Counted over the graph, once per node."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            said = "a YAML alias refers to a value that holds it: the file would never end"
            raise ConfigProblems([Problem(file, node.start_mark.line + 1, "", said)])
        open_nodes.add(key)
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(item) for item in node.value)
        else:
            total = 1
        open_nodes.discard(key)
        sizes[key] = total
        return total

    added = size(root) - len(sizes)
    if added > ALIAS_EXPANSION_LIMIT:
        said = (
            f"YAML aliases (*name) would repeat {added:,} values, more than {ALIAS_EXPANSION_LIMIT:,}: refused "
            "(an alias bomb); write the repeated blocks out or use fewer aliases of aliases"
        )
        raise ConfigProblems([Problem(file, None, "", said)])


def read_yaml(path: Path) -> tuple[Any, Lines, list[Problem]]:
    """The file's data, the line of each key, and the problems that do not stop reading (keys given twice).

    A file that cannot be read, is not UTF-8 or is not YAML raises ``ConfigProblems``: nothing else can be said.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigProblems([Problem(str(path), None, "", f"cannot read: {exc.strerror}")]) from None
    text = decode_utf8(raw, str(path))
    lines = Lines()
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is not None:
            bound_aliases(node, str(path))
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigProblems([Problem(str(path), line, "", f"not valid YAML: {exc}")]) from None
    if node is None:
        return data, lines, []
    lines.walk(node, ())
    return data, lines, duplicate_keys(node, str(path))
