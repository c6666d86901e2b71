"""pyx12 validates crossdock's 999 golden files under a retail 999 map (issue 19).

pyx12 ships one map for GS08 ``005010X231A1``, the HIPAA implementation guide's: it lists the HIPAA functional
groups in AK101 (HC, HP, BE ...) and transaction sets in AK201 (837, 835 ...), so it refuses a retail 999 at
AK1 (``AK1*PO``). The retail map is written here from pyx12's own, in pyx12's map XML: the same loops, segments
and elements, with AK101 and AK201 left open as in the X12 standard (any functional group, any set). pyx12's
5010 control map has no TA1, which X12 puts after the ISA and before the first GS, so the folder's control map
gets the TA1 segment of pyx12's 999 map at that place. Nothing else is changed; the maps are made in a temporary
folder from the installed pyx12, so no copy of its files is kept here.
"""

from __future__ import annotations

import copy
import io
import logging
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import pyx12
import pyx12.params
import pyx12.x12n_document

from tests.conftest import CASES

GOLDEN = sorted((CASES / "x12" / "999").glob("*/expected.edi"))
OPEN_CODES = ("AK101", "AK201")  # HIPAA code lists in pyx12's map that the X12 standard leaves open
RETAIL_MAP = "999.5010X231A1.retail.xml"


def _element(root: ET.Element, tag: str, xid: str) -> ET.Element:
    return next(e for e in root.iter(tag) if e.get("xid") == xid)


def write_retail_999_map(dest: Path) -> Path:
    """A pyx12 map folder whose 005010X231A1 map is a retail 999's (see the module doc)."""
    src = Path(pyx12.__file__).parent / "map"
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("x12.control.00401.xml", "codes.xml", "dataele.xml"):
        shutil.copy(src / name, dest / name)
    hipaa = ET.parse(src / "999.5010X231.A1.xml")
    control = ET.parse(src / "x12.control.00501.xml")
    isa_loop = _element(control.getroot(), "loop", "ISA_LOOP")
    ta1 = copy.deepcopy(_element(hipaa.getroot(), "segment", "TA1"))
    ta1.find("pos").text = "015"  # type: ignore[union-attr]  # after the ISA (010), before the GS loop (020)
    isa_loop.insert(list(isa_loop).index(_element(isa_loop, "loop", "GS_LOOP")), ta1)
    control.write(dest / "x12.control.00501.xml", encoding="utf-8", xml_declaration=True)
    for xid in OPEN_CODES:
        element = _element(hipaa.getroot(), "element", xid)
        element.remove(element.find("valid_codes"))  # type: ignore[arg-type]
    hipaa.write(dest / RETAIL_MAP, encoding="utf-8", xml_declaration=True)
    index = ET.parse(src / "maps.xml")
    for found in index.getroot().iter("map"):
        if found.get("vriic") == "005010X231A1":
            found.text = RETAIL_MAP
    index.write(dest / "maps.xml", encoding="utf-8", xml_declaration=True)
    return dest


@pytest.fixture(scope="module")
def retail_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_retail_999_map(tmp_path_factory.mktemp("pyx12") / "map")


def pyx12_errors(data: str, map_path: Path | None, caplog: pytest.LogCaptureFixture) -> list[str]:
    """What pyx12 logs as errors validating ``data`` (its own maps when ``map_path`` is None), or its verdict."""
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="pyx12"):
        ok = pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(data), io.StringIO(), None, map_path=str(map_path) if map_path else None
        )
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    return errors or ([] if ok else ["pyx12 refused it without an error logged"])


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.parent.name)
def test_every_999_golden_passes_pyx12_under_the_retail_map(
    path: Path, retail_map: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert pyx12_errors(path.read_text("latin-1"), retail_map, caplog) == []


def test_pyx12s_own_hipaa_map_refuses_a_retail_999_at_ak1(caplog: pytest.LogCaptureFixture) -> None:
    errors = pyx12_errors((CASES / "x12" / "999" / "syntax-note" / "expected.edi").read_text(), None, caplog)
    assert any("AK1*PO not found" in e for e in errors), errors


@pytest.mark.parametrize(
    "old, new",
    [("IK5*R*5", "IK5*Q*5"), ("AK9*R*1*1*0\n", ""), ("IK3*PO1*13**8", "IK3*PO1*XIII**8")],
    ids=["bad IK501 code", "no AK9", "IK302 not a number"],
)
def test_the_retail_map_still_refuses_a_broken_999(
    old: str, new: str, retail_map: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = (CASES / "x12" / "999" / "syntax-note" / "expected.edi").read_text()
    broken = text.replace(old, new)
    if new == "":
        broken = broken.replace("SE*10*0001", "SE*9*0001")
    assert broken != text and pyx12_errors(broken, retail_map, caplog) != []
