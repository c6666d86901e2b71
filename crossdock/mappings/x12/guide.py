"""A partner's implementation guide as data: an overlay of rules on the base transaction-set spec.

The base spec (``specs``) says what X12 allows; a guide says what one buyer demands on top of it, per
transaction set: segments required or forbidden in a loop, how often one may repeat there, and per element
required, forbidden, a fixed value or a code list. Each rule names its ``source`` (the guide page or fact it
comes from), so a held document says why. A guide file looks like::

    name: bigbox-4010
    description: a big-box buyer on 004010
    versions: ["004010"]
    sets:
      "856":
        - segment: REF*BM        # a segment id, optionally *QUALIFIER (HL03 for HL, element 01 otherwise)
          in: HL[S]              # each instance of this loop path; "" or absent: the whole set
          use: required          # required | forbidden
          max: 1
          elements:
            2: {use: required, max_length: 30}
          source: "retail-edi.md 2: REF BM (bill of lading) at shipment level"

A loop path is loop ids from the set down, ``/``-separated; ``HL[S]`` is an HL loop whose HL03 is S,
``N1[ST]`` an N1 loop whose N101 is ST. A segment's place is the innermost loop holding it, a loop's trigger
segment belonging to the loop around it: N1*ST is ``in: HL[S]``, the N3 after it ``in: HL[S]/N1[ST]``.
A path that begins with ``**`` names a shared loop once wherever the set has it: ``in: "**/N1"`` is each
instance of every N1 loop (the header's, a line's, a shipment level's), ``in: "**"`` anywhere at all.
A rule without a loop path (no rule of the set naming one) is tried on every segment of the set alike.
Parsing a guide is pure (``guide_from_dict``); reading its file is the caller's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

# the element that tells one use of a segment (and of the loop it starts) from another
QUALIFIER_ELEMENT = {"HL": 3}
ANYWHERE = "**"  # a loop path that begins so holds under any loops: "**/N1" is every N1 loop of the set
_SEGMENT = re.compile(r"^(?P<id>[A-Z][A-Z0-9]{1,2})(?:\*(?P<qualifier>[A-Z0-9]{1,6}))?$")
_STEP = re.compile(r"^(?P<id>[A-Z][A-Z0-9]{1,2})(?:\[(?P<qualifier>[A-Z0-9]{1,6})\])?$")


class GuideError(ValueError):
    """A guide that cannot be read: named with the guide and the place in it."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ElementRuleModel(_Strict):
    use: Literal["required", "forbidden"] | None = None
    value: str | None = Field(default=None, description="the only value allowed")
    codes: list[str] | None = Field(default=None, description="the values allowed")
    max_length: int | None = Field(default=None, ge=1)
    comes_from: str | None = Field(default=None, description="where the value comes from, for the person who fixes it")


class SegmentRuleModel(_Strict):
    segment: str
    in_: str = Field(default="", alias="in")
    use: Literal["required", "forbidden"] | None = None
    max: int | None = Field(default=None, ge=1)
    elements: dict[int, ElementRuleModel] = Field(default_factory=dict)
    source: str = Field(min_length=1, description="the guide page or fact the rule comes from")

    @field_validator("segment")
    @classmethod
    def _segment(cls, value: str) -> str:
        if not _SEGMENT.match(value):
            raise ValueError(f"{value!r} is not a segment id, optionally with *QUALIFIER (REF*BM)")
        return value

    @field_validator("in_")
    @classmethod
    def _path(cls, value: str) -> str:
        for step in filter(None, value.removeprefix(ANYWHERE).split("/")):
            if not _STEP.match(step):
                raise ValueError(f"{step!r} is not a loop id, optionally with [QUALIFIER] (HL[S])")
        return value

    @field_validator("elements")
    @classmethod
    def _positions(cls, value: dict[int, ElementRuleModel]) -> dict[int, ElementRuleModel]:
        bad = [p for p in value if not 1 <= p <= 99]
        if bad:
            raise ValueError(f"element positions run from 1 to 99, not {bad[0]}")
        return value


class GuideModel(_Strict):
    name: str = Field(min_length=1, max_length=80)
    description: str = ""
    versions: list[Literal["004010", "005010"]] = Field(default_factory=list, description="empty: any version")
    sets: dict[str, list[SegmentRuleModel]]


Step = tuple[str, str | None]  # a loop id and the qualifier its trigger must carry (None: any)


@dataclass(frozen=True, slots=True)
class ElementRule:
    position: int
    use: str | None
    value: str | None
    codes: frozenset[str] | None
    max_length: int | None
    comes_from: str | None


@dataclass(frozen=True, slots=True)
class SegmentRule:
    """One rule, compiled: the segment (and qualifier) it is about, the loop path it holds in, what it asks."""

    segment: str
    qualifier: str | None
    path: tuple[Step, ...]
    use: str | None
    max: int | None
    elements: tuple[ElementRule, ...]
    source: str

    name: str  # how a finding names the segment: REF*BM
    where: str  # how a finding names the loop: "in HL[S]", or "in the set"
    anywhere: bool = False  # the path began with "**": it may stand under any loops (its end is what counts)


@dataclass(frozen=True, slots=True)
class Guide:
    """A compiled guide: its rules per transaction-set code, and the versions it is written for; ``compiled``
    keeps what ``guide_check`` builds from them per set, version and separator."""

    name: str
    description: str
    versions: frozenset[str]
    sets: dict[str, tuple[SegmentRule, ...]]
    compiled: dict[tuple[str, str, str], object] = field(default_factory=dict, compare=False)

    def rules(self, code: str) -> tuple[SegmentRule, ...]:
        return self.sets.get(code, ())


def _path(text: str) -> tuple[Step, ...]:
    steps = []
    for step in filter(None, text.removeprefix(ANYWHERE).split("/")):
        m = _STEP.match(step)
        assert m is not None  # checked by the model
        steps.append((m["id"], m["qualifier"]))
    return tuple(steps)


def _compile(rule: SegmentRuleModel) -> SegmentRule:
    m = _SEGMENT.match(rule.segment)
    assert m is not None  # checked by the model
    elements = tuple(
        ElementRule(
            position,
            e.use,
            e.value,
            frozenset(e.codes) if e.codes is not None else None,
            e.max_length,
            e.comes_from,
        )
        for position, e in sorted(rule.elements.items())
    )
    path, anywhere = _path(rule.in_), rule.in_.startswith(ANYWHERE)
    steps = "/".join(loop + (f"[{q}]" if q else "") for loop, q in path)
    if anywhere:
        where = f"in every {steps} loop" if steps else "anywhere in the set"
    else:
        where = f"in {steps}" if path else "in the set"
    name = m["id"] + (f"*{m['qualifier']}" if m["qualifier"] else "")
    return SegmentRule(m["id"], m["qualifier"], path, rule.use, rule.max, elements, rule.source, name, where, anywhere)


def guide_from_dict(data: Any, where: str) -> Guide:
    """A guide from its parsed YAML; a mistake in it raises ``GuideError`` naming ``where`` and the key."""
    try:
        model = GuideModel.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        place = ".".join(str(p) for p in first["loc"])
        raise GuideError(f"{where}: {place}: {first['msg']} ({exc.error_count()} problem(s))") from None
    return Guide(
        name=model.name,
        description=model.description,
        versions=frozenset(model.versions),
        sets={code: tuple(_compile(r) for r in rules) for code, rules in model.sets.items()},
    )
