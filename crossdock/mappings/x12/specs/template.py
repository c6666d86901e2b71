"""Structure templates: one text for both versions, written over the shared loops of ``loops``.

A template is the structure text of ``spec.py`` with two additions, expanded to plain structure text per
version before it is parsed::

    LDT  O 12  @004010             # a line (and what is nested under it) only in that version
    USE N9 O 1000 | +MEA O 40 after DTM
    USE N1_PARTY O 200 | N4 O 1; PKG O 25; -LDT; +USE ACK O 104 before QTY
    USE LDT_PARTY O >1 @005010 | REF O 3   # a USE line's own tag comes before its differences
    WITH PO_HEADER | CSH O 1; PKG O 25

``USE NAME USAGE MAX`` is a loop whose children are the shared loop ``NAME`` (its loop id is the id of its
first child). ``WITH NAME`` puts the lines of the shared group ``NAME`` (a run of segments and loops that sets
have in common, not a loop of its own) in its place. After ``|`` come the set's differences from either,
``;``-separated, each with an optional ``@version``: ``ID USAGE MAX`` changes a child's usage and maximum use,
``-ID`` drops it, and ``+ID USAGE MAX`` or ``+USE NAME USAGE MAX`` adds one, at the end or ``before``/``after``
a child ``ID``.
A child is named by its segment id, or by its loop's id. Any mistake is a ``SpecSyntaxError`` at import.
"""

from __future__ import annotations

from collections.abc import Mapping

from crossdock.mappings.x12.spec import SpecSyntaxError
from crossdock.mappings.x12.specs.loops import GROUPS, LOOPS

VERSIONS = ("004010", "005010")
Block = list[tuple[int, str]]  # (indent, text) lines: a child line and what is nested under it


def _strip(line: str) -> tuple[str, str | None]:
    """A line without its comment, and the version it is tagged for (None: every version)."""
    text = line.split("#", 1)[0].rstrip()
    words = text.split()
    if words and words[-1].startswith("@"):
        version = words[-1][1:]
        if version not in VERSIONS:
            raise SpecSyntaxError(f"unknown version tag in {text.strip()!r}")
        return text[: text.rindex("@")].rstrip(), version
    return text, None


def _lines(text: str, version: str) -> Block:
    """The lines of a text for one version: comments, blank lines and other versions' blocks left out."""
    out: Block = []
    skip_deeper: int | None = None
    for raw in text.splitlines():
        head, bar, diffs = raw.split("#", 1)[0].partition("|")  # a USE line's own tag comes before its "|"
        line, tag = _strip(head)
        line += f" {bar}{diffs}".rstrip() if bar else ""
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        if skip_deeper is not None and indent > skip_deeper:
            continue
        skip_deeper = None
        if tag is not None and tag != version:
            skip_deeper = indent
            continue
        out.append((indent, line.strip()))
    return out


def _children(lines: Block) -> list[Block]:
    """Top-level children of a body, each with its nested lines (indents made relative to the body)."""
    if not lines:
        return []
    base = lines[0][0]
    blocks: list[Block] = []
    for indent, text in lines:
        if indent < base:
            raise SpecSyntaxError(f"line {text!r} is indented less than the loop body it stands in")
        if indent == base:
            blocks.append([])
        blocks[-1].append((indent - base, text))
    return blocks


def _body(name: str, version: str, local: Mapping[str, str], shared: Mapping[str, str] = LOOPS) -> list[Block]:
    text = local.get(name, shared.get(name))
    if text is None:
        raise SpecSyntaxError(f"no shared {'loop' if shared is LOOPS else 'group'} named {name!r}")
    return _children(_lines(text, version))


def _child_id(block: Block, version: str, local: Mapping[str, str]) -> str:
    words = block[0][1].split()
    if words[0] == "LOOP":
        return words[1]
    if words[0] == "USE":
        return _body(words[1], version, local)[0][0][1].split()[0]
    return words[0]


def _find(blocks: list[Block], sid: str, version: str, local: Mapping[str, str], where: str) -> int:
    found = [i for i, b in enumerate(blocks) if _child_id(b, version, local) == sid]
    if len(found) != 1:
        raise SpecSyntaxError(f"{where}: {'no' if not found else 'more than one'} child {sid!r}")
    return found[0]


def _overlay(blocks: list[Block], item: str, version: str, local: Mapping[str, str], where: str) -> None:
    """Apply one difference to a shared loop's children (in place)."""
    words = item.split()
    if words[0].startswith("-"):
        if len(words) != 1:
            raise SpecSyntaxError(f"{where}: cannot read {item!r}")
        del blocks[_find(blocks, words[0][1:], version, local, where)]
    elif words[0].startswith("+"):
        words[0] = words[0][1:]
        at = len(blocks)
        if len(words) >= 2 and words[-2] in ("before", "after"):
            at = _find(blocks, words[-1], version, local, where) + (words[-2] == "after")
            words = words[:-2]
        if len(words) != (4 if words[0] == "USE" else 3):
            raise SpecSyntaxError(f"{where}: cannot read {item!r}")
        blocks.insert(at, [(0, " ".join(words))])
    else:
        if len(words) != 3:
            raise SpecSyntaxError(f"{where}: cannot read {item!r}")
        block = blocks[_find(blocks, words[0], version, local, where)]
        head = block[0][1].split()
        keep = head[:2] if head[0] in ("LOOP", "USE") else head[:1]
        block[0] = (0, " ".join([*keep, *words[1:]]))


def _taken(
    name: str, diffs: str, version: str, local: Mapping[str, str], shared: Mapping[str, str], where: str
) -> list[Block]:
    """The children of a shared loop or group with the set's differences (those of this version) applied."""
    blocks = _body(name, version, local, shared)
    for raw in filter(str.strip, diffs.split(";")):
        item, tag = _strip(raw.strip())
        if tag is None or tag == version:
            _overlay(blocks, item, version, local, where)
    if not blocks:
        raise SpecSyntaxError(f"{where}: nothing left of it")
    return blocks


def _use(line: str, version: str, local: Mapping[str, str], depth: int) -> list[str]:
    """A ``USE`` line expanded into its loop: the loop line, then the shared body with the differences."""
    head, _, diffs = line.partition("|")
    words = head.split()
    if len(words) != 4:
        raise SpecSyntaxError(f"cannot read {line!r}: USE NAME USAGE MAX")
    name, usage, most = words[1:]
    blocks = _taken(name, diffs, version, local, LOOPS, f"USE {name}")
    loop_id = _child_id(blocks[0], version, local)
    body = [line for block in blocks for line in block]
    return [f"{'  ' * depth}LOOP {loop_id} {usage} {most}", *_expand(body, version, local, depth + 1)]


def _with(line: str, version: str, local: Mapping[str, str], depth: int) -> list[str]:
    """A ``WITH`` line expanded into the shared group's lines, with the differences, where it stands."""
    head, _, diffs = line.partition("|")
    words = head.split()
    if len(words) != 2:
        raise SpecSyntaxError(f"cannot read {line!r}: WITH NAME")
    blocks = _taken(words[1], diffs, version, local, GROUPS, f"WITH {words[1]}")
    return _expand([line for block in blocks for line in block], version, local, depth)


def _expand(lines: Block, version: str, local: Mapping[str, str], depth: int) -> list[str]:
    out: list[str] = []
    for block in _children(lines):
        text = block[0][1]
        if text.startswith(("USE ", "WITH ")):
            if len(block) > 1:
                raise SpecSyntaxError(f"{text!r}: a {text.split()[0]} line has no lines of its own under it")
            out.extend((_use if text.startswith("USE ") else _with)(text, version, local, depth))
        elif text.startswith("LOOP "):
            out.append("  " * depth + text)
            out.extend(_expand(block[1:], version, local, depth + 1))
        else:
            if len(block) > 1:
                raise SpecSyntaxError(f"{text!r}: only a loop has lines under it")
            out.append("  " * depth + text)
    return out


def structure(template: str, version: str, local: Mapping[str, str] | None = None) -> str:
    """The plain structure text of a template for one version; ``local`` adds loops of the set's own."""
    if version not in VERSIONS:
        raise SpecSyntaxError(f"unknown version {version!r}")
    return "\n".join(_expand(_lines(template, version), version, local or {}, 0)) + "\n"
