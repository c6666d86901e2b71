"""The product catalogue of the configuration (``products``): item id -> packing, from the file's ``items`` and its
CSV, read again only when the CSV changes."""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from pathlib import Path

from crossdock.core.configuration.config import ProductsConfig
from crossdock.core.errors import CrossdockError
from crossdock.core.units import Packing, catalogue_rows


def catalogue(config: ProductsConfig) -> dict[str, Packing]:
    """Every item's packing; ``items`` in the configuration win over the CSV's rows for the same id."""
    found = dict(_csv(config.csv)) if config.csv is not None else {}
    found.update({k: Packing(case=v.units_per_case, inner=v.units_per_inner_pack) for k, v in config.items.items()})
    return found


def _csv(path: Path) -> dict[str, Packing]:
    try:
        stat = path.stat()
    except OSError as exc:
        raise CrossdockError(f"products.csv {path}: {exc.strerror}") from exc
    return _read(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _read(path: str, mtime_ns: int, size: int) -> dict[str, Packing]:
    del mtime_ns, size  # the cache key: a changed file is read again
    text = Path(path).read_text(encoding="utf-8-sig")
    try:
        return catalogue_rows(csv.DictReader(io.StringIO(text)), f"products.csv {path}")
    except ValueError as exc:
        raise CrossdockError(str(exc)) from exc
