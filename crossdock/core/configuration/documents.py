"""Configuration for what the 810 and 856 say about us: invoice numbering, the parties we name, where we ship from.

Kept apart from ``config`` so the partner and company blocks stay short: these are the values a retailer's guide
asks for (N1*RI remit-to, N1*SF ship-from, REF*IA/DP on the 856) that no inbound document gives crossdock.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from crossdock.core.configuration.types import Name, Strict
from crossdock.core.models import Address, Party


class PartyConfig(Strict):
    """One N1 loop we write: a name, an id with its qualifier (N103: 92 buyer-assigned, UL GLN, 1 DUNS...), an
    address."""

    name: str | None = Field(default=None, max_length=60)
    id_qualifier: str | None = Field(default=None, min_length=1, max_length=2)
    id: str | None = Field(default=None, min_length=1, max_length=80)
    address: list[str] = Field(default_factory=list, max_length=2, description="street lines (N3)")
    city: str | None = Field(default=None, max_length=30)
    state: str | None = Field(default=None, min_length=2, max_length=2)
    postal_code: str | None = Field(default=None, max_length=15)
    country: str | None = Field(default=None, min_length=2, max_length=3)

    def party(self, role: str) -> Party:
        """The canonical party, in the role (N101) it is written under."""
        address = None
        if self.address or self.city or self.state or self.postal_code or self.country:
            address = Address(
                lines=list(self.address),
                city=self.city,
                state=self.state,
                postal_code=self.postal_code,
                country=self.country,
            )
        return Party(role=role, name=self.name, id_qualifier=self.id_qualifier, id=self.id, address=address)


class InvoiceNumbers(Strict):
    """BIG02: one company-wide sequence, written as ``prefix`` and the number zero-padded to ``width`` digits."""

    prefix: str = Field(default="", max_length=12, pattern=r"^[A-Za-z0-9-]*$")
    width: int = Field(default=6, ge=1, le=10)

    def format(self, number: int) -> str:
        return f"{self.prefix}{number:0{self.width}d}"


class ShipFrom(Strict):
    """N1*SF on our 856s when the warehouse's confirmation names none: the company's, or a warehouse's own."""

    company: PartyConfig | None = Field(default=None, description="where we ship from when no warehouse entry applies")
    warehouses: dict[Name, PartyConfig] = Field(
        default_factory=dict,
        description="per warehouse: the partner or source whose ship confirmations report its shipments -> its address",
    )

    def for_shipper(self, shipper: str) -> Party | None:
        found = self.warehouses.get(shipper) or self.company
        return found.party("SF") if found is not None else None


AsnLevel = Literal["shipment", "order"]
AsnReference = Literal["IA", "DP", "BM"]
InvoiceRole = Literal["RE", "RI", "SU"]
