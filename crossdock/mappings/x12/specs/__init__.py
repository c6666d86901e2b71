"""The transaction-set specifications crossdock validates against, by set and version.

Each ``tsNNN`` module holds ``FUNCTIONAL_ID`` and ``STRUCTURE_004010`` / ``STRUCTURE_005010``; the segment
dictionaries are ``segments_004010`` (``SEGMENTS``) and ``segments_005010`` (``OVERRIDES``: only what changed).
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from crossdock.mappings.x12.spec import SegmentSpec, TransactionSetSpec, build_spec, parse_segments

SUPPORTED_SETS = (
    "180",
    "810",
    "824",
    "846",
    "850",
    "855",
    "856",
    "860",
    "864",
    "865",
    "940",
    "943",
    "944",
    "945",
    "997",
    "999",
)
SUPPORTED_VERSIONS = ("004010", "005010")


def base_version(gs08: str) -> str | None:
    """The dictionary version a GS08 value is validated with (004010VICS and 004010X357 read as 004010)."""
    v = gs08.strip()
    for base in SUPPORTED_VERSIONS:
        if v.startswith(base):
            return base
    return None


@cache
def segment_dictionary(version: str) -> dict[str, SegmentSpec]:
    from crossdock.mappings.x12.specs import segments_004010, segments_005010

    segments = parse_segments(segments_004010.SEGMENTS)
    if version == "005010":
        segments = {**segments, **parse_segments(segments_005010.OVERRIDES)}
    return segments


@cache
def get_spec(code: str, gs08: str) -> TransactionSetSpec | None:
    """The spec for a set at a GS08 version, or None when crossdock has none (envelope checks only)."""
    version = base_version(gs08)
    if version is None or code not in SUPPORTED_SETS:
        return None
    module = import_module(f"crossdock.mappings.x12.specs.ts{code}")
    structure = getattr(module, f"STRUCTURE_{version}", None)
    if structure is None:
        return None
    return build_spec(code, version, module.FUNCTIONAL_ID, structure, segment_dictionary(version))
