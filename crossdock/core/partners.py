"""Trading partners: who sent an interchange, and the envelope and control numbers of what we send back.

A partner is found by its ISA qualifier and id, or failing that by its GS application id (some VANs
rewrite the ISA). Control numbers (ISA13, GS06, ST02) are per partner sequences in the store, reserved in
the transaction that records the outbound document: if that transaction rolls back the numbers are
returned, so the partner sees them monotonic, gap-free and never reused. A test partner's documents always
carry ISA15=T and a production partner's ISA15=P, whatever the inbound file said.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from crossdock.core.configuration.config import Config
from crossdock.core.configuration.partners import Identity, PartnerConfig
from crossdock.core.storage.store import Store


@dataclass(frozen=True, slots=True)
class Partner:
    name: str
    config: PartnerConfig
    us: Identity

    @property
    def usage(self) -> str:
        """ISA15 for everything we send this partner."""
        return "T" if self.config.mode == "test" else "P"

    @property
    def our_gs_id(self) -> str:
        return self.us.gs_id or self.us.isa_id

    @property
    def their_gs_id(self) -> str:
        return self.config.gs_id or self.config.isa_id

    def envelope(self, controls: Controls, created: datetime) -> dict[str, Any]:
        """Everything an outbound interchange to this partner needs, as the X12 mapping's ``Outgoing`` fields."""
        pc = self.config
        return {
            "sender_qualifier": self.us.isa_qualifier,
            "sender_id": self.us.isa_id,
            "receiver_qualifier": pc.isa_qualifier,
            "receiver_id": pc.isa_id,
            "application_sender": self.our_gs_id,
            "application_receiver": self.their_gs_id,
            "version": pc.version,
            "usage": self.usage,
            "interchange": controls.interchange,
            "group": controls.group,
            "transaction": controls.transaction,
            "created": created,
            "element": pc.delimiters.element,
            "segment": pc.delimiters.segment,
            "component": pc.delimiters.component,
            "repetition": pc.delimiters.repetition,
            "newline": pc.delimiters.newline,
            "encoding": pc.encoding,
            "charset": pc.charset,
        }


@dataclass(frozen=True, slots=True)
class Controls:
    """Control numbers reserved for one outbound interchange (or a run of them)."""

    interchange: int
    group: int
    transaction: int


class Directory:
    """The configured partners, looked up by what an inbound interchange says about its sender."""

    def __init__(self, config: Config) -> None:
        self._by_name: dict[str, Partner] = {}
        self._by_isa: dict[tuple[str, str], Partner] = {}
        self._by_gs: dict[str, Partner] = {}
        for name, pc in config.partners.items():
            partner = Partner(name=name, config=pc, us=pc.us or config.company)
            self._by_name[name] = partner
            self._by_isa[(pc.isa_qualifier.strip().upper(), pc.isa_id.strip().upper())] = partner
            self._by_gs.setdefault((pc.gs_id or pc.isa_id).strip().upper(), partner)

    def __getitem__(self, name: str) -> Partner:
        return self._by_name[name]

    def get(self, name: str | None) -> Partner | None:
        return self._by_name.get(name) if name else None

    def find(self, isa_qualifier: str, isa_id: str, gs_id: str | None = None) -> Partner | None:
        found = self._by_isa.get((isa_qualifier.strip().upper(), isa_id.strip().upper()))
        if found is None and gs_id:
            found = self._by_gs.get(gs_id.strip().upper())
        return found


def reserve(
    store: Store, conn: Connection, partner: str, *, interchanges: int = 1, groups: int = 1, sets: int = 1
) -> Controls:
    """Reserve consecutive ISA13, GS06 and ST02 numbers for ``partner`` inside the caller's transaction."""
    first = store.next_numbers_of(conn, partner, {"isa": interchanges, "gs": groups, "st": sets})
    return Controls(interchange=first["isa"], group=first["gs"], transaction=first["st"])


def created_now() -> datetime:
    """The ISA/GS date and time: the local clock of the machine, as partners read it."""
    return datetime.now()
