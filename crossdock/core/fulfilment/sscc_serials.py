"""SSCC-18 serials: one sequence per GS1 company prefix and extension digit for the whole company.

An SSCC is extension digit + company prefix + serial + check digit, and GS1 forbids giving one twice within
at least a year; crossdock never gives one twice. The serial sequence is therefore the prefix's, not a
partner's: two retailers shipped under our prefix draw from the same numbers. Serials are reserved inside the
transaction that records what carries them (a shipment, a routed order), like control numbers, and a serial
space that is used up is an error, never a wrap-around.

Before 2026-12 serials were drawn per buyer (sequence ``<buyer>/sscc``). The company-wide sequence of a prefix
starts above the highest of those, so no serial an earlier version gave can come again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from crossdock.core import registry
from crossdock.core.configuration.config import Config
from crossdock.core.configuration.partners import PartnerConfig
from crossdock.core.errors import PermanentError
from crossdock.core.storage.store import Store

KIND = "sscc"
SCOPE = "gs1:"  # sequences.scope of a company-wide serial sequence: "gs1:" + extension digit + prefix


class SerialsExhausted(PermanentError):
    """Every serial of a GS1 prefix and extension digit is given: a new extension digit or prefix is needed."""


@dataclass(frozen=True, slots=True)
class Gs1Block:
    """The SSCCs one prefix and extension digit can number: the serial takes the 16 digits the two leave."""

    prefix: str
    extension: str = "0"

    @property
    def scope(self) -> str:
        return f"{SCOPE}{self.extension}{self.prefix}"

    @property
    def last_serial(self) -> int:
        return int(10 ** (16 - len(self.prefix))) - 1


def block_for(config: Config, partner: PartnerConfig | None = None) -> Gs1Block | None:
    """The prefix and extension a partner's SSCCs are numbered under: its own ``gs1_prefix`` (kept from before
    the company block had one), else the company's; None when neither is configured."""
    prefix = (partner.gs1_prefix if partner is not None else None) or config.company.gs1_prefix
    if prefix is None:
        return None
    return Gs1Block(prefix, config.company.extension_digit)


def allocate(store: Store, conn: Connection, block: Gs1Block, count: int) -> list[str]:
    """``count`` new SSCC-18s of ``block``, reserved in ``conn``'s transaction (rolled back with it)."""
    if count <= 0:
        return []
    store.start_above(conn, block.scope, KIND, SCOPE + "%")  # above the per-buyer sequences of before
    first = store.next_numbers(conn, block.scope, KIND, count)
    last = first + count - 1
    if last > block.last_serial:
        raise SerialsExhausted(
            f"the SSCC serials of GS1 prefix {block.prefix} with extension digit {block.extension} are used up "
            f"({count} needed, {max(block.last_serial - first + 1, 0)} left of {block.last_serial}): configure "
            "another extension_digit or gs1_prefix in the company block"
        )
    x12 = registry.mapping("x12")
    return [x12.package_label(block.prefix, serial, block.extension) for serial in range(first, last + 1)]
