"""GS1 SSCC-18 carton and pallet IDs: the mod-10 check digit, building one, and checking one.

An 856 identifies each carton and pallet in MAN*GM by its SSCC. Retail (VICS) guides send it as 20 digits,
the GS1 application identifier "00" followed by the 18-digit SSCC; some partners send the bare 18 digits.
Public samples carry wrong check digits, so outbound values are built and checked here, never typed in.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"[0-9]+")
SSCC_AI = "00"


def gs1_check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit for ``digits`` (weights 3,1,3,... from the rightmost digit)."""
    if not _DIGITS.fullmatch(digits):
        raise ValueError(f"GS1 check digit needs ASCII digits only, got {digits!r}")
    return _check_digit(digits)


def _check_digit(digits: str) -> str:
    """The check digit of ASCII digits already checked to be digits."""
    reverse = digits[::-1].encode()
    odd, even = reverse[0::2], reverse[1::2]  # summing bytes is summing digits plus 48 for each one
    total = 3 * (sum(odd) - 48 * len(odd)) + sum(even) - 48 * len(even)
    return str((10 - total % 10) % 10)


def sscc18(company_prefix: str, serial: int, extension: str = "0") -> str:
    """Extension digit + GS1 company prefix (4-12 digits) + zero-padded serial + check digit: 18 digits.

    The serial fills what the prefix leaves of the 16 digits before the check digit; a serial that does not
    fit is refused, because truncating it would reuse another carton's ID.
    """
    if not (len(extension) == 1 and _DIGITS.fullmatch(extension)):
        raise ValueError(f"SSCC extension digit must be one digit 0-9, got {extension!r}")
    if not (_DIGITS.fullmatch(company_prefix) and 4 <= len(company_prefix) <= 12):
        raise ValueError(f"GS1 company prefix must be 4 to 12 digits, got {company_prefix!r}")
    room = 16 - len(company_prefix)
    if serial < 0 or serial >= 10**room:
        raise ValueError(
            f"serial {serial} does not fit the {room} digits a {len(company_prefix)}-digit company prefix leaves"
        )
    body = f"{extension}{company_prefix}{serial:0{room}d}"
    return body + gs1_check_digit(body)


def normalize_sscc(value: str) -> str | None:
    """The 18-digit SSCC inside an 18-digit or AI-00 20-digit value (check digit not verified), else None."""
    value = value.strip()
    if not _DIGITS.fullmatch(value):
        return None
    if len(value) == 18:
        return value
    if len(value) == 20 and value.startswith(SSCC_AI):
        return value[2:]
    return None


def _valid(value: str) -> str | None:
    """The 18 digits of ``value`` when it is a valid SSCC, bare or with AI 00 (no blanks), else None."""
    sscc = value[2:] if len(value) == 20 and value.startswith(SSCC_AI) else value
    if len(sscc) == 18 and sscc.isascii() and sscc.isdigit() and _check_digit(sscc[:17]) == sscc[17]:
        return sscc
    return None


def is_valid_sscc(value: str) -> bool:
    """True for 18 digits, or "00" + 18 digits, whose last digit is the right GS1 check digit."""
    return _valid(value) is not None


def with_ai(value: str) -> str:
    """The VICS MAN*GM form: "00" + SSCC-18 (20 digits); refuses anything that is not a valid SSCC."""
    sscc = _valid(value)
    if sscc is None:
        raise ValueError(f"{value!r} is not a valid SSCC-18 (18 digits, or 20 with AI 00, and a right check digit)")
    return SSCC_AI + sscc
