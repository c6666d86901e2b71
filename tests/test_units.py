"""Units and packs (issue 19 item 6): a quantity in one unit as a quantity in another, from PO4 or a catalogue."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossdock.core.configuration.config import ProductsConfig
from crossdock.core.errors import CrossdockError
from crossdock.core.models import OrderLine
from crossdock.core.products import catalogue
from crossdock.core.units import Packing, UnitError, convert, convert_down, eaches_in, line_packing

UNITS = ("EA", "UN", "PC", "PR", "DZ", "CA", "CS", "CT", "BX", "PK", "IN")


def _line(**extra: object) -> OrderLine:
    return OrderLine.model_validate(
        {"position": 1, "quantity": "1", "uom": "CA", "product_ids": {"VN": "MUG", "UP": "012345678905"}, **extra}
    )


def test_po4_pack_alone_counts_eaches_a_case() -> None:
    packing = line_packing(_line(pack=12))
    assert packing == Packing(case=12, inner=None)
    assert convert(Decimal(12), "EA", "CA", packing) == Decimal(1)
    assert convert(Decimal(2), "CA", "EA", packing) == Decimal(24)
    assert convert(Decimal(24), "EA", "DZ", packing) == Decimal(2)


def test_po4_pack_and_inner_pack_count_inner_packs_a_case() -> None:
    packing = line_packing(_line(pack=4, inner_pack=6))
    assert packing == Packing(case=24, inner=6)
    assert convert(Decimal(48), "EA", "CS", packing) == Decimal(2)
    assert convert(Decimal(8), "PK", "CA", packing) == Decimal(2)
    assert convert(Decimal(3), "PK", "CA", packing) == Decimal("0.75")


def test_the_catalogue_fills_what_po4_leaves_out() -> None:
    known = {"012345678905": Packing(case=10, inner=5), "MUG": Packing(case=6)}
    assert line_packing(_line(), known) == Packing(case=6, inner=None)  # VN is looked up before UP
    assert line_packing(_line(pack=12), {"MUG": Packing(case=6, inner=3)}) == Packing(case=12, inner=3)
    assert line_packing(_line(product_ids={"UP": "012345678905"}), known) == Packing(case=10, inner=5)


def test_what_has_no_exact_count_is_refused() -> None:
    with pytest.raises(UnitError, match="how many eaches a CA holds is unknown"):
        convert(Decimal(12), "EA", "CA", Packing())
    with pytest.raises(UnitError, match="no exact count in CA"):
        convert(Decimal(13), "EA", "CA", Packing(case=12))
    with pytest.raises(UnitError, match="LB"):
        convert(Decimal(1), "LB", "EA", Packing(case=12))
    assert convert(Decimal(5), "LB", "lb", Packing()) == Decimal(5)  # the same unit needs no count


@given(
    quantity=st.integers(min_value=0, max_value=10_000),
    unit=st.sampled_from(UNITS),
    to=st.sampled_from(UNITS),
    case=st.integers(min_value=1, max_value=144),
    inner=st.integers(min_value=1, max_value=48),
)
def test_there_and_back_gives_the_quantity_again(quantity: int, unit: str, to: str, case: int, inner: int) -> None:
    packing = Packing(case=case, inner=inner)
    try:
        there = convert(Decimal(quantity), unit, to, packing)
    except UnitError:
        assert (quantity * eaches_in(unit, packing)) % eaches_in(to, packing) != 0  # type: ignore[operator]
        return
    assert there * eaches_in(to, packing) == quantity * eaches_in(unit, packing)  # type: ignore[operator]
    assert convert(there, to, unit, packing) == quantity


@given(cases=st.integers(min_value=0, max_value=1_000), pack=st.integers(min_value=1, max_value=144))
def test_eaches_of_whole_cases_are_whole_cases(cases: int, pack: int) -> None:
    packing = line_packing(_line(pack=pack))
    assert convert(Decimal(cases * pack), "EA", "CA", packing) == cases


def test_catalogue_from_the_configuration_and_its_csv(tmp_path: Path) -> None:
    products = tmp_path / "products.csv"
    products.write_text("sku,units_per_case,units_per_inner_pack\nMUG,12,6\nPLATE,24,\n", encoding="utf-8")
    config = ProductsConfig.model_validate({"csv": str(products), "items": {"PLATE": {"units_per_case": 20}}})
    assert catalogue(config) == {"MUG": Packing(case=12, inner=6), "PLATE": Packing(case=20)}
    products.write_text("sku,units_per_case\nMUG,10,\n", encoding="utf-8")
    assert catalogue(ProductsConfig.model_validate({"csv": str(products)}))["MUG"] == Packing(case=10)
    products.write_text("sku,units_per_case\nMUG,a dozen\n", encoding="utf-8")
    with pytest.raises(CrossdockError, match=r"products.csv .* row 2 units_per_case: 'a dozen'"):
        catalogue(ProductsConfig.model_validate({"csv": str(products)}))


@given(st.integers(0, 10_000), st.integers(1, 48))
def test_stock_counts_the_whole_cases_its_eaches_fill(eaches: int, pack: int) -> None:
    cases = convert_down(Decimal(eaches), "EA", "CA", Packing(case=pack))
    assert cases == eaches // pack and cases * pack <= eaches < (cases + 1) * pack


def test_stock_in_a_unit_of_unknown_size_is_refused() -> None:
    with pytest.raises(UnitError, match="how many eaches a CA holds is unknown"):
        convert_down(Decimal(30), "EA", "CA", Packing())
