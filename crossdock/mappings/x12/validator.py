"""Validating a transaction set against its spec: structure, elements, syntax notes, then business rules.

A set is first matched whole against its compiled pattern (``patterns.set_matcher``): a set that matches has
no syntax error and costs one regular-expression call. Only a set that fails is walked (``walk.SetWalk``):
each segment placed in the spec's loop tree and, where its own pattern fails, checked element by element so
that every error is named with its code and place. A set read in batches (``reader.Streaming``) is walked
as it comes (``StreamedValidation``): the walk is the authority, so the findings are the same.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from functools import cache
from importlib import import_module
from typing import Protocol

from crossdock.mappings.x12 import errors as E
from crossdock.mappings.x12.delimiters import Delimiters
from crossdock.mappings.x12.envelope import Segment, TransactionSet
from crossdock.mappings.x12.errors import Level, Severity, X12Error
from crossdock.mappings.x12.patterns import known_matcher, set_matcher, structure_matcher
from crossdock.mappings.x12.spec import TransactionSetSpec
from crossdock.mappings.x12.specs import base_version, get_spec
from crossdock.mappings.x12.walk import SetWalk

Status = str  # "accepted" | "accepted_with_errors" | "rejected"
RuleCheck = Callable[[TransactionSet], list[X12Error]]
BUSINESS_RULES: dict[str, list[RuleCheck]] = {}


class RuleFeed(Protocol):
    """A business rule over a set read in batches (``reader.Streaming``): fed each batch (the set holding it, and
    its segments' elements), then asked at its end."""

    def feed(self, ts: TransactionSet, elements: list[list[str]]) -> None: ...

    def finish(self, ts: TransactionSet) -> list[X12Error]: ...


STREAMED_RULES: dict[RuleCheck, Callable[[], RuleFeed]] = {}  # a rule -> its twin for sets read in batches


def register_rule(code: str, streamed: Callable[[], RuleFeed] | None = None) -> Callable[[RuleCheck], RuleCheck]:
    """Add a business check for a transaction set code (run after syntax validation), with its ``streamed`` twin
    when it has one: only a set whose every rule has a twin can be validated batch by batch."""

    def wrap(fn: RuleCheck) -> RuleCheck:
        BUSINESS_RULES.setdefault(code, []).append(fn)
        if streamed is not None:
            STREAMED_RULES[fn] = streamed
        return fn

    return wrap


ACKNOWLEDGMENT_SETS = frozenset({"997", "999"})


def _as_warning(err: X12Error) -> X12Error:
    return replace(err, severity=Severity.WARNING)


RULE_MODULES = ("po850_checks", "asn856", "invoice810")


@cache
def _load_rules() -> None:
    """Import the mappings that register business rules (they import this module, so not at import time)."""
    for name in RULE_MODULES:
        with suppress(ModuleNotFoundError):
            import_module(f"crossdock.mappings.x12.{name}")


def validate(ts: TransactionSet, lenient: frozenset[str] = frozenset()) -> list[X12Error]:
    """Validate one set; the findings are appended to ``ts.errors`` and returned. A misplaced segment that is one
    of the ``lenient`` slips (``walk.SLIPS``) is a warning, not an error."""
    _load_rules()
    spec = get_spec(ts.code, ts.group.version)
    found = _unsupported(ts) if spec is None else _syntax(ts, _validate_against(ts, spec, lenient))
    for rule in BUSINESS_RULES.get(ts.code, ()):
        found.extend(rule(ts))
    ts.errors.extend(found)
    return found


def streamable(code: str) -> bool:
    """Whether a set of ``code`` can be validated in batches: every business rule of it has a streamed twin."""
    _load_rules()
    return all(rule in STREAMED_RULES for rule in BUSINESS_RULES.get(code, ()))


class StreamedValidation:
    """``validate`` for a set read in batches, which is never whole in memory.

    Each segment is matched against its own pattern as it passes, and its id and offset are kept (16 bytes a
    segment). At the end the ids are matched against the set's structure (``patterns.structure_matcher``): both
    passing is what the whole text matching the set pattern means, no syntax error. Else the walk is replayed
    over the ids kept, with the elements and text of each segment its pattern refused: the same findings.
    """

    def __init__(self, ts: TransactionSet, lenient: frozenset[str] = frozenset()) -> None:
        _load_rules()
        spec = get_spec(ts.code, ts.group.version)
        self.walk = SetWalk(spec, ts.delimiters, lenient) if spec is not None else None
        self.rules = [STREAMED_RULES[rule]() for rule in BUSINESS_RULES.get(ts.code, ())]
        self.tags: list[str] = []
        self.offsets = array("q")
        self.refused: dict[int, tuple[list[str], str]] = {}  # index -> elements and text its pattern refused
        self._ids: dict[str, str] = {}  # one string object per segment id

    def feed(self, ts: TransactionSet, elements: list[list[str]]) -> None:
        """Take the batch ``ts`` holds now, its segments' ``elements`` split once for every reader of them."""
        walk = self.walk
        if walk is not None:
            tags, ids, refused, matchers = self.tags, self._ids, self.refused, walk.matchers
            for text, e in zip(ts.texts, elements, strict=True):
                sid = e[0]
                matches = matchers[sid] if sid in matchers else walk.matcher(sid)
                if matches is not None and not matches(text):
                    refused[len(tags)] = (e, text)
                tags.append(ids.setdefault(sid, sid))
            self.offsets.extend(ts.offsets)
        for rule in self.rules:
            rule.feed(ts, elements)

    def finish(self, ts: TransactionSet) -> list[X12Error]:
        """Once every batch is fed (the last one too): the findings, appended to ``ts.errors`` and returned."""
        found = _unsupported(ts) if self.walk is None else _syntax(ts, self._walked(self.walk, ts.delimiters))
        for rule in self.rules:
            found.extend(rule.finish(ts))
        ts.errors.extend(found)
        return found

    def _walked(self, walk: SetWalk, d: Delimiters) -> list[X12Error]:
        tags = self.tags
        whole = not self.refused and tags and tags[-1] == "SE"
        if whole and structure_matcher(walk.spec, frozenset(tags))("\n".join(tags) + "\n"):
            return []
        for i, (tag, offset) in enumerate(zip(tags, self.offsets, strict=True)):
            refused = self.refused.get(i)
            if refused is None:
                walk.step(Segment([tag], offset, i + 1, d, tag), False)
            else:
                walk.step(Segment(refused[0], offset, i + 1, d, refused[1]), True)
        return walk.finish()


def _unsupported(ts: TransactionSet) -> list[X12Error]:
    """A set crossdock has no spec for gets envelope checks only, and a warning that says so."""
    version = ts.group.version
    if base_version(version) is None:
        why = f"version {version!r} is read with envelope checks only"
    else:
        why = f"crossdock has no specification for {ts.code}: envelope checks only"
    return [
        X12Error(
            Level.TRANSACTION,
            E.TS_NOT_SUPPORTED,
            why,
            segment_id="ST",
            segment_position=1,
            offset=ts.offset,
            severity=Severity.WARNING,
        )
    ]


def _syntax(ts: TransactionSet, found: list[X12Error]) -> list[X12Error]:
    """The syntax findings; in a 997 or 999 those below the set are warnings (an acknowledgment is never refused)."""
    if ts.code not in ACKNOWLEDGMENT_SETS:
        return list(found)
    return [
        _as_warning(e) if e.level in (Level.SEGMENT, Level.ELEMENT) and e.code != E.SEG_MANDATORY_MISSING else e
        for e in found
    ]


def _validate_against(ts: TransactionSet, spec: TransactionSetSpec, lenient: frozenset[str]) -> list[X12Error]:
    d = ts.delimiters
    known = known_matcher(spec, d)
    if known is not None and known(ts.body):
        return []
    tags = ts.tags
    if tags[-1] == "SE" and set_matcher(spec, d, frozenset(tags))(ts.body):
        return []
    walk = SetWalk(spec, d, lenient)
    walk.feed(ts.segments)
    return walk.finish()


def status(ts: TransactionSet) -> Status:
    """The acknowledgment status a set earns from its own findings."""
    if any(e.is_error for e in ts.errors):
        return "rejected"
    if ts.errors:
        return "accepted_with_errors"
    return "accepted"
