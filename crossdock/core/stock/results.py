"""What a channel made of a stock push, recorded when the outbox records the send: the SKUs it refused for good,
per SKU, and the feeds it took to process later, each read back by a ``stock-check`` delivery.

A refused SKU keeps its refused figure and the channel's words on its ``stock_told`` row and is not pushed again
until its figure changes (a later, different figure retries it), so one bad SKU never fails the channel's other
pushes. A person hears of it once, when the SKU starts being refused, not once a push. A feed a channel processes
later (Amazon's listings feed, Walmart's inventory feed) is checked again every five minutes
(``core/feed_looks.py``) until its report is read, each look a delivery of the feed's one check document (the
levels it carried are stored once); its per-SKU errors become refusals like any other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select, update

from crossdock.core import feed_looks
from crossdock.core.alerts import raise_alert
from crossdock.core.feed_looks import CHECK_ROUNDS, check_later, look_again
from crossdock.core.stock.models import STOCK, STOCK_CHECK, FeedCheck, StockPush, StockSent
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import stock_told

ALERTED = 20  # refused SKUs alerted one by one per send: the rest in one alert


def record(store: Any, conn: Connection, config: Any, item: Any, sent: StockSent) -> None:
    """Record what ``sent`` (a stock sink's answer to ``item``, a stock or stock-check delivery) says."""
    if item.purpose == STOCK:
        push = StockPush.model_validate_json(item.data)
        figures = {level.sku: level.available for level in push.levels}
        _refused(store, conn, config, item.sink, sent.refused, figures, queued_key=item.key)
        for feed in sent.feeds:
            check_later(
                store, conn, FeedCheck(channel=item.sink, push_id=item.key, feed_id=feed, levels=figures), STOCK_CHECK
            )
    elif item.purpose == STOCK_CHECK:
        check = FeedCheck.model_validate_json(item.data)
        _refused(store, conn, config, item.sink, sent.refused, check.levels, queued_key=check.push_id, told=True)
        _untold(conn, item.sink, sent.retry, check.levels, check.push_id)
        if sent.feeds:  # still processing: look again later (with the same document), or give up and say so
            looks = feed_looks.looks(conn, item.document_id)
            if looks >= CHECK_ROUNDS:
                raise_alert(
                    store,
                    conn,
                    config,
                    f"stock-feed:{item.sink}:{check.feed_id}",
                    f"crossdock: {item.sink} has not processed stock feed {check.feed_id}",
                    f"{item.sink} still reports feed {check.feed_id} (stock push {check.push_id}) as processing after "
                    f"{looks} looks; its refusals, if any, will not be read. {str(sent)[:500]}",
                )
            else:
                look_again(store, conn, check, STOCK_CHECK, looks, item.document_id)


def _refused(
    store: Any,
    conn: Connection,
    config: Any,
    channel: str,
    refused: Mapping[str, str],
    figures: Mapping[str, int],
    *,
    queued_key: str,
    told: bool = False,
) -> None:
    """Each refused SKU's row marked with the figure refused and the channel's words. A push's refusal takes the
    SKU's queued figure off (so it never passes for told); a feed's report applies only while nothing newer was
    queued or told for the SKU since that feed (``told``: the push may already count as told)."""
    if not refused:
        return
    now = utcnow()
    skus = list(refused)
    rows: dict[str, Any] = {}
    for i in range(0, len(skus), 500):
        mine = (stock_told.c.channel == channel) & stock_told.c.sku.in_(skus[i : i + 500])
        rows.update((r.sku, r) for r in conn.execute(select(stock_told).where(mine)))
    started: list[str] = []
    for sku, said in refused.items():
        row = rows.get(sku)
        figure = figures.get(sku)
        if row is None or figure is None:
            continue
        current = row.queued_key == queued_key or (told and row.queued_key is None and row.told == figure)
        if not current:
            continue  # a newer figure is on its way or was taken since: this refusal is history
        values: dict[str, Any] = {"refused": figure, "refused_said": said[:300], "refused_at": row.refused_at or now}
        if row.queued_key == queued_key:
            values.update(queued=None, queued_key=None, queued_at=None)
        conn.execute(
            update(stock_told).where(stock_told.c.channel == channel, stock_told.c.sku == sku).values(**values)
        )
        if row.refused_at is None:
            started.append(sku)
    _alert(store, conn, config, channel, started, refused, now)


def _untold(conn: Connection, channel: str, skus: list[str], figures: Mapping[str, int], push_key: str) -> None:
    """SKUs a feed did not set for the channel's own reasons: no longer told (or queued) that figure, so the next
    push sends them again (a SKU told or queued another figure since is left alone)."""
    for sku in skus:
        if sku not in figures:
            continue
        mine = (stock_told.c.channel == channel) & (stock_told.c.sku == sku)
        settled = mine & stock_told.c.queued_key.is_(None) & (stock_told.c.told == figures[sku])
        conn.execute(update(stock_told).where(settled).values(told=None))
        waiting = mine & (stock_told.c.queued_key == push_key)
        conn.execute(update(stock_told).where(waiting).values(queued=None, queued_key=None, queued_at=None))


def _alert(
    store: Any, conn: Connection, config: Any, channel: str, skus: list[str], said: Mapping[str, str], now: dt.datetime
) -> None:
    """One alert for each SKU the channel starts refusing (the first ``ALERTED``; one more for the rest)."""
    for sku in skus[:ALERTED]:
        raise_alert(
            store,
            conn,
            config,
            f"stock-refused:{channel}:{sku}:{now.isoformat()}",
            f"crossdock: {channel} refuses stock for {sku}"[:200],
            f"{channel} refused the available-to-sell figure for SKU {sku}: {said[sku]}\n\n"
            f"Its other SKUs are still pushed. This SKU is tried again when its figure changes; "
            f"see crossdock stock show {sku}",
        )
    rest = skus[ALERTED:]
    if rest:
        raise_alert(
            store,
            conn,
            config,
            f"stock-refused:{channel}:{now.isoformat()}:more",
            f"crossdock: {channel} refuses stock for {len(rest)} more SKUs",
            f"{channel} refused the figures of {len(rest)} more SKUs, among them: {', '.join(rest[:50])}\n\n"
            f"Each is tried again when its figure changes; crossdock stock show SKU says why.",
        )
