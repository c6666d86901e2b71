"""What every sales channel's source block has, whatever the channel: how large one answer of its API and one
order may be. A real page of orders is a few MB and a real order a few kB; beyond these bounds an answer is a
mistake or an attack, refused before it is held whole."""

from __future__ import annotations

from pydantic import Field

from crossdock.core.config_types import ByteSize
from crossdock.core.connector_config import _SourceBase

MAX_ANSWER = 100_000_000  # one API answer (a page of orders, one order), as sent: the default of max_answer
MAX_ORDER = 5_000_000  # one order's JSON: the default of max_order


class ChannelSourceBase(_SourceBase):
    max_answer: ByteSize = Field(
        default=MAX_ANSWER,
        description="one answer of the channel's API (a page of orders, one order), as sent: a larger one is "
        "refused as it arrives and the poll fails with the reason",
    )
    max_order: ByteSize = Field(
        default=MAX_ORDER,
        description="one order's JSON: a larger one is stored quarantined, naming the order, and not processed",
    )
