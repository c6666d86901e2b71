"""Partner guides: found by name among those crossdock ships, or read from a file, and applied to what we send.

A partner's ``guide`` is a shipped guide's name (``bigbox-4010``) or the path of a YAML file. Every outbound
X12 document to a partner with a guide is checked (``held_reason``) before it is queued; one that fails is
held with each rule and place named and never sent. The reading is here, the checking is the X12 mapping's.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from pathlib import Path

import yaml

from crossdock.core.errors import Held
from crossdock.core.partners import Partner
from crossdock.mappings.x12.guide import Guide, GuideError, guide_from_dict
from crossdock.mappings.x12.guide_check import check_interchanges

LARGEST_GUIDE = 1 << 20  # bytes of a guide file
SHOWN_FINDINGS = 10  # findings named in a held document's reason; the rest are counted
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


def shipped_guides() -> list[str]:
    """The names of the guides crossdock ships."""
    folder = files("crossdock") / "guides"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def is_path(ref: str) -> bool:
    """Whether a partner's ``guide`` names a file rather than a shipped guide."""
    return not _NAME.match(ref)


def load_guide(ref: str) -> Guide:
    """The guide ``ref`` names; ``GuideError`` naming it when there is none or it cannot be read. A file is read
    again when it changes, so a guide fixed in place applies to the next replay."""
    if not is_path(ref):
        return _shipped(ref)
    path = Path(ref).expanduser()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise GuideError(f"guide {ref}: cannot read: {exc.strerror}") from None
    return _from_file(str(path), stamp)


@cache
def _shipped(name: str) -> Guide:
    if name not in shipped_guides():
        raise GuideError(f"no guide named {name!r}: crossdock ships {', '.join(shipped_guides())}, or give a path")
    text = (files("crossdock") / "guides" / f"{name}.yaml").read_text("utf-8")
    return guide_from_dict(yaml.safe_load(text), f"guide {name}")


@cache
def _from_file(path: str, stamp: int) -> Guide:
    del stamp  # part of the cache key only
    try:
        with open(path, "rb") as f:
            raw = f.read(LARGEST_GUIDE + 1)
    except OSError as exc:
        raise GuideError(f"guide {path}: cannot read: {exc.strerror}") from None
    if len(raw) > LARGEST_GUIDE:
        raise GuideError(f"guide {path}: larger than {LARGEST_GUIDE} bytes")
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise GuideError(f"guide {path}: not YAML: {exc}") from None
    return guide_from_dict(data, f"guide {path}")


def held_reason(guide_ref: str, data: bytes) -> str | None:
    """Why an outbound interchange must be held under the guide (each rule and place named), or None to send it."""
    try:
        guide = load_guide(guide_ref)
    except GuideError as exc:
        return str(exc)
    found = [
        f"{s.code} {s.control}: {e.message.removeprefix(f'guide {guide.name}: ')} at {e.place}"
        for s in check_interchanges(guide, data)
        for e in s.errors
        if e.is_error
    ]
    if not found:
        return None
    more = f"; and {len(found) - SHOWN_FINDINGS} more" if len(found) > SHOWN_FINDINGS else ""
    return f"held by guide {guide.name}, {len(found)} finding(s): " + "; ".join(found[:SHOWN_FINDINGS]) + more


def guide_check(partner: Partner, data: bytes) -> None:
    """Raise ``Held`` with the reason when the partner's guide refuses the document (for a caller that holds
    what caused it, a shipment, rather than the document)."""
    if partner.config.guide is not None:
        reason = held_reason(partner.config.guide, data)
        if reason is not None:
            raise Held(reason)
