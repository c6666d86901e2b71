"""ISO 3166-1 country codes: a country as its alpha-2, alpha-3 or numeric code -> the 3-digit numeric code.

GS1's AI 421 (ship-to postal code with its country) takes the numeric code, while addresses carry the alpha
codes (X12 N404, channel JSON). The table is data (``crossdock/data/iso3166-1.csv``, where its source is noted),
read once.
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources

MAX_CODE = 3  # longest code the table holds: a longer "country" is a name, not a code
# ISO 3166's exceptionally reserved alpha-2 codes that addresses use for a country of the table
RESERVED = {"UK": "826"}  # the United Kingdom (GB)


@functools.cache
def _numeric_codes() -> dict[str, str]:
    text = resources.files("crossdock").joinpath("data/iso3166-1.csv").read_text(encoding="ascii")
    out: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        out[row["alpha_2"]] = out[row["alpha_3"]] = out[row["numeric"]] = row["numeric"]
    return out


def numeric_code(country: str | None) -> str | None:
    """The country's ISO 3166-1 numeric code (``"CA"``, ``"CAN"`` or ``"124"`` -> ``"124"``); None when the
    value is no code the table knows."""
    code = (country or "").strip().upper()
    if not code or len(code) > MAX_CODE:
        return None
    return _numeric_codes().get(code) or RESERVED.get(code)
