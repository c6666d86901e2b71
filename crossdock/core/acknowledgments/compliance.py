"""Compliance figures over a period, the ones a retailer's scorecard charges for: per trading partner, the X12
documents we sent and how many were rejected (by a 997/999, or by an 824/864 that rejected the transaction),
how many acknowledgments came late (the document went overdue), and how many 856s went out later than the
partner's window (``asn_due_within``, else ``DEFAULT_ASN_DUE``) after the shipment was recorded; per channel
(the sink a channel call goes to), the calls made, refused (dead-lettered) and fulfilments done late.

Each figure is one grouped count over an index (migration 0017) that holds the period's rows together. They are
grouped by an expression (``coalesce(partner, '')``), not the bare column: with statistics, SQLite would rather
group by walking an index of the column, reading every row of the table instead of the period's; and the
rejected ones are found by their state (few), the period's bound kept out of the index's way the same way.
The Partners page and ``/metrics`` show the same figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, or_, select

from crossdock.core.configuration.config import Config
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import deliveries, documents, events

DEFAULT_ASN_DUE = 86400.0  # an 856 later than a day after its shipment is late, unless the partner says otherwise
DEFAULT_FULFILMENT_DUE = 86400.0  # a channel told of a shipment more than a day after it was recorded: late
ADVICE_PREFIXES = ("824 %", "864 %")  # how an 824's or 864's verdict opens a document's ack detail
CHANNEL_CALLS = ("fulfilment", "cancel", "refund", "return", "stock")
LONGEST_PERIOD_DAYS = 366


@dataclass(slots=True)
class PartnerFigures:
    sent: int = 0  # X12 documents sent that wait for, or got, a 997/999
    rejected_by_ack: int = 0
    rejected_by_advice: int = 0  # an 824/864 rejected the transaction (TR)
    late_acks: int = 0  # went overdue: no 997/999 within the partner's ack window
    asns: int = 0  # 856 documents written in the period
    late_asns: int = 0
    states: dict[str, int] = field(default_factory=dict)  # the documents sent, by acknowledgment state

    @property
    def rejected(self) -> int:
        return self.rejected_by_ack + self.rejected_by_advice

    @property
    def rejection_rate(self) -> float:
        return self.rejected / self.sent if self.sent else 0.0


@dataclass(slots=True)
class ChannelFigures:
    calls: int = 0
    refused: int = 0  # dead-lettered: the channel would not take it
    fulfilments: int = 0
    late_fulfilments: int = 0

    @property
    def rejection_rate(self) -> float:
        return self.refused / self.calls if self.calls else 0.0


@dataclass(slots=True)
class Compliance:
    since: dt.datetime
    until: dt.datetime
    partners: dict[str, PartnerFigures] = field(default_factory=dict)
    channels: dict[str, ChannelFigures] = field(default_factory=dict)


def compliance(conn: Connection, config: Config, days: int, now: dt.datetime | None = None) -> Compliance:
    """The figures of the last ``days`` days (documents and deliveries created in them; acks gone overdue in them)."""
    until = now or utcnow()
    since = until - dt.timedelta(days=max(1, min(days, LONGEST_PERIOD_DAYS)))
    out = Compliance(since, until)

    def partner(name: Any) -> PartnerFigures:
        return out.partners.setdefault(str(name or ""), PartnerFigures())

    who = func.coalesce(documents.c.partner, "")  # grouped by this, not the column: see the module's docstring
    sent = (
        select(who, documents.c.ack_state, func.count())
        .where(documents.c.created_at >= since, documents.c.ack_state.is_not(None))
        .group_by(who, documents.c.ack_state)
    )
    for name, state, count in conn.execute(sent):
        partner(name).sent += int(count)
        partner(name).states[str(state)] = int(count)
    advised = or_(*(documents.c.ack_detail.like(p) for p in ADVICE_PREFIXES))
    by_what = case((advised, literal("advice")), else_=literal("ack"))  # one object: the same parameters twice
    rejected = (
        select(who, by_what, func.count())
        .where(documents.c.ack_state == "rejected", func.coalesce(documents.c.created_at, since) >= since)
        .group_by(who, by_what)
    )
    for name, by, count in conn.execute(rejected):
        if by == "advice":
            partner(name).rejected_by_advice += int(count)
        else:
            partner(name).rejected_by_ack += int(count)
    went_overdue = (
        select(documents.c.partner, func.count(func.distinct(events.c.document_id)))
        .select_from(events.join(documents, documents.c.id == events.c.document_id))
        .where(events.c.kind == "overdue", events.c.at >= since)
        .group_by(documents.c.partner)
    )
    for name, count in conn.execute(went_overdue):
        partner(name).late_acks += int(count)
    queued = (
        select(who, func.count())
        .where(documents.c.kind == "856", documents.c.created_at >= since)  # only crossdock writes them
        .group_by(who)
    )
    for name, count in conn.execute(queued):
        partner(name).asns = int(count)
    for name, count in conn.execute(_late_asns(conn, config, since, until)):
        partner(name).late_asns = int(count)
    for sink, purpose, state, count, late in conn.execute(_calls(conn, since, until)):
        channel = out.channels.setdefault(str(sink), ChannelFigures())
        channel.calls += int(count)
        channel.refused += int(count) if state == "dead" else 0
        if purpose == "fulfilment":
            channel.fulfilments += int(count)
            channel.late_fulfilments += int(late or 0)
    out.partners.pop("", None)
    return out


def _elapsed(conn: Connection, later: Any, earlier: Any) -> Any:
    """Seconds from ``earlier`` to ``later``, in the store's own SQL."""
    if conn.dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _late_asns(conn: Connection, config: Config, since: dt.datetime, until: dt.datetime) -> Any:
    """Per partner: the 856s queued in the period and sent (or still unsent) past its window. The index holds
    every 856 of the period; only those past the shortest window are looked up for their partner."""
    windows = {name: p.asn_due_within for name, p in config.partners.items() if p.asn_due_within}
    due = (
        case(*((documents.c.partner == name, literal(float(w))) for name, w in windows.items()), else_=DEFAULT_ASN_DUE)
        if windows
        else literal(DEFAULT_ASN_DUE)
    )
    shortest = min([DEFAULT_ASN_DUE, *(float(w) for w in windows.values())])
    took = _elapsed(conn, func.coalesce(deliveries.c.sent_at, until), deliveries.c.created_at)
    in_period = and_(deliveries.c.purpose == "856", deliveries.c.created_at >= since)
    return (
        select(documents.c.partner, func.count())
        .select_from(deliveries.join(documents, documents.c.id == deliveries.c.document_id))
        .where(in_period, took > shortest, took > due)
        .group_by(documents.c.partner)
    )


def _calls(conn: Connection, since: dt.datetime, until: dt.datetime) -> Any:
    """Per channel (sink), purpose and state: the channel calls queued in the period, and the late among them."""
    took = _elapsed(conn, func.coalesce(deliveries.c.sent_at, until), deliveries.c.created_at)
    late = case((and_(deliveries.c.state != "cancelled", took > DEFAULT_FULFILMENT_DUE), 1), else_=0)
    sink = deliveries.c.sink + ""  # one object, grouped by as selected; an expression, as ``who`` is
    return (
        select(sink, deliveries.c.purpose, deliveries.c.state, func.count(), func.sum(late))
        .where(deliveries.c.purpose.in_(CHANNEL_CALLS), deliveries.c.created_at >= since)
        .group_by(sink, deliveries.c.purpose, deliveries.c.state)
    )
