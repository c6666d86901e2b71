"""Hypothesis strategies for canonical documents that survive X12 unchanged (shared by the round trips)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import strategies as st

from crossdock.core.models import Address, Contact, Party

TEXT = st.from_regex(r"[A-Z0-9][A-Z0-9 .,&/-]{0,18}[A-Z0-9]|[A-Z0-9]", fullmatch=True)
LINE_NUMBERS = st.none() | st.from_regex(r"[0-9]{1,6}", fullmatch=True)
DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


def decimals(max_int: int, places: int, signed: bool = False) -> st.SearchStrategy[Decimal]:
    low = -max_int if signed else 0
    return st.integers(0, places).flatmap(
        lambda p: st.integers(low * 10**p, max_int * 10**p).map(lambda n: Decimal(n).scaleb(-p))
    )


PRODUCT_IDS = st.dictionaries(st.sampled_from(["UP", "VN", "BP", "EN", "SK", "IN", "VP", "MG"]), TEXT, max_size=3)
ADDRESSES = st.builds(
    Address,
    lines=st.lists(TEXT, max_size=4),
    city=st.none() | st.from_regex(r"[A-Z]{2,20}", fullmatch=True),
    state=st.none() | st.from_regex(r"[A-Z]{2}", fullmatch=True),
    postal_code=st.none() | st.from_regex(r"[0-9]{5}", fullmatch=True),
    country=st.none() | st.sampled_from(["US", "CA", "MX"]),
).filter(lambda a: bool(a.lines or a.city or a.state or a.postal_code or a.country))
CONTACTS = st.builds(
    Contact,
    function=st.sampled_from(["IC", "BD", "SU"]),
    name=st.none() | TEXT,
    phone=st.none() | st.from_regex(r"[0-9]{10}", fullmatch=True),
    fax=st.none(),
    email=st.none() | st.from_regex(r"[A-Z]{1,8}@[A-Z]{1,8}\.COM", fullmatch=True),
)


@st.composite
def parties(draw: st.DrawFn) -> Party:
    ident = draw(st.none() | st.from_regex(r"[A-Z0-9]{2,12}", fullmatch=True))
    return Party(
        role=draw(st.sampled_from(["ST", "BT", "BY", "SF", "SU", "VN"])),
        name=draw(TEXT) if ident is None else draw(st.none() | TEXT),
        extra_names=draw(st.lists(TEXT, max_size=4)),
        id_qualifier=draw(st.sampled_from(["92", "1", "9", "UL"])) if ident else None,
        id=ident,
        address=draw(st.none() | ADDRESSES),
        contacts=draw(st.lists(CONTACTS, max_size=2)),
    )
