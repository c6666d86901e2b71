"""Refunds a channel processes later (Amazon's order adjustment feed), read back the way stock feeds are: recorded
when the outbox records the send, each feed looked at every five minutes (``core/feed_looks.py``) by a
``refund-check`` delivery of one check document, until its report is read.

What the report says lands on the refund's own delivery: refused, that delivery ends dead with the channel's
words and one alert (``crossdock retry`` sends the refund again, as a new feed), and the return's reason says so
until a later feed is processed; processed, the return's events say it is refunded. A feed the channel cancelled
or failed whole is sent once more by the sink: its new feed is looked at like the first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from crossdock.core import feed_looks
from crossdock.core.alerts import raise_alert
from crossdock.core.feed_looks import CHECK_ROUNDS, check_later, look_again
from crossdock.core.returns.models import REFUND, REFUND_CHECK, Refund, RefundCheck, RefundSent
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import deliveries, returns

REFUSED = "refund refused by"  # how a return's reason begins while the channel refuses its refund


def record(store: Any, conn: Connection, config: Any, item: Any, sent: RefundSent) -> None:
    """Record what ``sent`` (a sink's answer to ``item``, a refund or a refund-check delivery) says."""
    if item.purpose == REFUND:
        refund = Refund.model_validate_json(item.data)
        for feed in sent.feeds[:1]:
            check = RefundCheck(channel=item.sink, feed_id=feed, delivery_id=item.id, refund=refund)
            check_later(store, conn, check, REFUND_CHECK, item.order_id)
        return
    if item.purpose != REFUND_CHECK:
        return
    check = RefundCheck.model_validate_json(item.data)
    refund = check.refund
    about = f"return {refund.return_id}: refund {refund.refund_id}"
    if sent.refused is not None:
        _refused(store, conn, config, item, check, sent.refused)
    elif sent.done:
        store.log(conn, REFUND, f"{about}: refunded on {item.sink} (feed {check.feed_id} processed)",
                  order_id=item.order_id, delivery_id=check.delivery_id)  # fmt: skip
        mine = _return(refund) & returns.c.reason.like(f"{REFUSED}%")
        conn.execute(update(returns).where(mine).values(reason=None, updated_at=utcnow()))
    elif sent.feeds and sent.feeds[0] != check.feed_id:  # the feed failed whole: the sink sent it once more
        store.log(conn, REFUND, f"{about}: feed {check.feed_id} failed on {item.sink}, sent again as {sent.feeds[0]}",
                  order_id=item.order_id, delivery_id=check.delivery_id)  # fmt: skip
        again = RefundCheck(
            channel=check.channel, feed_id=sent.feeds[0], delivery_id=check.delivery_id, refund=refund, again=True
        )
        check_later(store, conn, again, REFUND_CHECK, item.order_id)
    elif sent.feeds:  # still processing: look again later, or give up looking and say so
        looks = feed_looks.looks(conn, item.document_id)
        if looks >= CHECK_ROUNDS:
            raise_alert(
                store,
                conn,
                config,
                f"refund-feed:{item.sink}:{check.feed_id}",
                f"crossdock: {item.sink} has not processed refund feed {check.feed_id}",
                f"{item.sink} still reports feed {check.feed_id} ({about}) as processing after {looks} looks; "
                f"whether the buyer was refunded is to be seen on {item.sink}. {str(sent)[:500]}",
            )
        else:
            look_again(store, conn, check, REFUND_CHECK, looks, item.document_id, item.order_id)


def _refused(store: Any, conn: Connection, config: Any, item: Any, check: RefundCheck, said: str) -> None:
    """The refund's delivery dead with the channel's words (already masked by the sink), and one alert."""
    refund = check.refund
    words = said[:1000]
    found = conn.execute(select(deliveries.c.document_id).where(deliveries.c.id == check.delivery_id)).first()
    conn.execute(
        update(deliveries)
        .where(deliveries.c.id == check.delivery_id, deliveries.c.state == "sent")
        .values(state="dead", last_error=f"feed {check.feed_id}: {words}")
    )
    if found is not None:
        store.update_documents(conn, [{"_id": int(found.document_id), "state": "dead", "error": words}])
    told = f"{REFUSED} {item.sink} (feed {check.feed_id}, delivery {check.delivery_id}): {words}"
    conn.execute(update(returns).where(_return(refund)).values(reason=told, updated_at=utcnow()))
    store.log(
        conn,
        "dead",
        f"refund to {item.sink} dead-lettered: return {refund.return_id}, feed {check.feed_id}: {words}",
        order_id=item.order_id,
        delivery_id=check.delivery_id,
    )
    raise_alert(
        store,
        conn,
        config,
        f"refund-refused:{check.delivery_id}:{check.feed_id}",
        f"crossdock: {item.sink} refused refund {refund.refund_id}"[:200],
        f"{item.sink} refused the refund of return {refund.return_id} (order {refund.external_id or refund.po_number}),"
        f" feed {check.feed_id}: {words}\n\nThe buyer was not refunded by crossdock. After fixing the cause: "
        f"crossdock retry {check.delivery_id} (a new feed), or refund in the channel's own console.",
    )


def _return(refund: Refund) -> Any:
    return (returns.c.channel == refund.channel) & (returns.c.return_id == refund.return_id)
