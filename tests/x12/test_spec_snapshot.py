"""Every transaction-set spec, parsed, is the structure recorded in ``snapshots/spec_structures.txt``.

The specs are written over shared loop definitions (``specs/loops.py``); this pins what they build to the
structure they had when each was written out in full, so a change to a shared loop that reaches a set it
should not shows here. ``CROSSDOCK_REGEN_GOLDEN=1`` rewrites the snapshot after a deliberate change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crossdock.mappings.x12.spec import UNBOUNDED, LoopNode, SegmentNode
from crossdock.mappings.x12.specs import SUPPORTED_SETS, SUPPORTED_VERSIONS, get_spec
from tests.golden import assert_golden

SNAPSHOT = Path(__file__).parent / "snapshots" / "spec_structures.txt"


def _most(n: int) -> str:
    return ">1" if n >= UNBOUNDED else str(n)


def render(loop: LoopNode, depth: int = 0) -> list[str]:
    """A loop's children, one canonical line each: the structure text without comments or spacing choices."""
    lines = []
    for child in loop.children:
        pad = "  " * depth
        if isinstance(child, SegmentNode):
            lines.append(f"{pad}{child.id} {child.usage} {_most(child.max_use)}")
        else:
            lines.append(f"{pad}LOOP {child.id} {child.usage} {_most(child.max_repeat)}")
            lines.extend(render(child, depth + 1))
    return lines


def snapshot() -> str:
    out = []
    for code in SUPPORTED_SETS:
        for version in SUPPORTED_VERSIONS:
            spec = get_spec(code, version)
            if spec is None:
                continue
            out.append(f"== {code} {version} {spec.functional_id}")
            out.extend(render(spec.root))
    return "\n".join(out) + "\n"


def test_every_spec_builds_the_structure_recorded() -> None:
    assert_golden(SNAPSHOT, snapshot().encode())


@pytest.mark.parametrize("code", ["850", "855", "860", "865"])
def test_the_snapshot_covers_both_versions(code: str) -> None:
    text = SNAPSHOT.read_text()
    assert f"== {code} 004010" in text and f"== {code} 005010" in text
