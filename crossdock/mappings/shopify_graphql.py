"""The Admin GraphQL documents crossdock sends to a Shopify store, and their variables: what the Shopify
connector asks and what ``crossdock.mappings.shopify`` reads from the answers. Pure text, no I/O."""

from __future__ import annotations

import datetime as dt
from typing import Any

_MONEY = "shopMoney { amount currencyCode }"
_TAXES = f"taxLines {{ title rate priceSet {{ {_MONEY} }} }}"
_DISCOUNTS = (
    f"discountAllocations {{ allocatedAmountSet {{ {_MONEY} }} discountApplication {{"
    " ... on DiscountCodeApplication { code } ... on AutomaticDiscountApplication { title }"
    " ... on ManualDiscountApplication { title } ... on ScriptDiscountApplication { title } } }"
)
_ADDRESS = "name firstName lastName company address1 address2 city provinceCode zip countryCodeV2 phone"

_LINE_ITEM = (
    "id sku name title quantity currentQuantity requiresShipping variant { id barcode }"
    f" originalUnitPriceSet {{ {_MONEY} }} {_TAXES} {_DISCOUNTS}"
)
_SHIPPING_LINE = f"code title originalPriceSet {{ {_MONEY} }} {_TAXES} {_DISCOUNTS}"
_ORDER = f"""id name createdAt updatedAt cancelledAt displayFinancialStatus displayFulfillmentStatus
      currencyCode email phone
      totalPriceSet {{ {_MONEY} }}
      shippingAddress {{ {_ADDRESS} }}
      billingAddress {{ {_ADDRESS} }}
      {_TAXES}
      risk {{ assessments {{ riskLevel }} }}
      fulfillmentOrders(first: 10) {{ nodes {{ status fulfillBy }} }}
      lineItems(first: 50) {{ pageInfo {{ hasNextPage endCursor }} nodes {{
        {_LINE_ITEM}
      }} }}
      shippingLines(first: 10) {{ pageInfo {{ hasNextPage endCursor }} nodes {{
        {_SHIPPING_LINE}
      }} }}"""

ORDERS_QUERY = f"""query Orders($first: Int!, $after: String, $query: String) {{
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      {_ORDER}
    }}
  }}
}}"""
"""Orders updated since a cursor (variables: ``orders_query_variables``), 10 a page and 50 lines an order to stay
under the query cost cap ([unverified] 1000 points). ``order_from_shopify`` refuses an order whose lineItems have a
next page: the connector must page that order's lineItems and merge the nodes first (``NESTED_QUERIES``)."""

ORDER_QUERY = f"""query Order($id: ID!) {{
  order(id: $id) {{
      {_ORDER}
  }}
}}"""
"""One order by its GID (``order_gid``), the same fields as ``ORDERS_QUERY``; ``order`` is null when unknown."""

NESTED_QUERIES = {
    key: f"""query Order{key[0].upper()}{key[1:]}($id: ID!, $after: String) {{
  order(id: $id) {{
    {key}(first: 50, after: $after) {{ pageInfo {{ hasNextPage endCursor }} nodes {{
      {fields}
    }} }}
  }}
}}"""
    for key, fields in (("lineItems", _LINE_ITEM), ("shippingLines", _SHIPPING_LINE))
}
"""The next page of one order's lineItems or shippingLines (variables ``id``, ``after``: the page's endCursor)."""

_FO_LINE = "id remainingQuantity lineItem { id }"
_PAGE = "pageInfo { hasNextPage endCursor }"

FULFILLMENT_ORDERS_QUERY = f"""query OrderFulfillmentOrders($id: ID!, $after: String) {{
  order(id: $id) {{
    id
    fulfillmentOrders(first: 5, after: $after) {{ {_PAGE} nodes {{
      id status lineItems(first: 50) {{ {_PAGE} nodes {{ {_FO_LINE} }} }}
    }} }}
  }}
}}"""
"""An order's fulfillment orders (§4 "Pushing the fulfilment back", step 1), what ``fulfilment_requests`` reads once
the connector has read every page (variables ``id``, ``after``): 5 a page, so it asks about 520 points, not 1000."""

FULFILLMENT_ORDER_LINES_QUERY = f"""query FulfillmentOrderLineItems($id: ID!, $after: String) {{
  fulfillmentOrder(id: $id) {{
    lineItems(first: 50, after: $after) {{ {_PAGE} nodes {{ {_FO_LINE} }} }}
  }}
}}"""
"""The next page of one fulfillment order's lineItems (variables ``id``, ``after``: the page's endCursor)."""

FULFILLMENTS_READ = 30
"""How many fulfilments ``FULFILLMENTS_QUERY`` reads: ``Order.fulfillments`` is a list cut at ``first``, not a
connection, so it cannot be paged. An order with this many is refused rather than risk shipping twice."""

FULFILLMENTS_QUERY = f"""query OrderFulfillments($id: ID!) {{
  order(id: $id) {{
    id
    fulfillments(first: {FULFILLMENTS_READ}) {{
      id status trackingInfo(first: 10) {{ number }}
      fulfillmentLineItems(first: 5) {{ {_PAGE} nodes {{ quantity lineItem {{ id }} }} }}
    }}
  }}
}}"""
"""The fulfilments an order already has with their tracking numbers: ``fulfillmentCreate`` takes no idempotency
key, so a repeated send first subtracts what is already shipped under its tracking ([unverified] field names:
``Order.fulfillments``, ``Fulfillment.trackingInfo``, ``fulfillmentLineItems``). Five lines a fulfilment inline
(most hold few) keep it near 700 points; the rest come from ``FULFILLMENT_LINES_QUERY``."""

FULFILLMENT_LINES_QUERY = f"""query FulfillmentLineItems($id: ID!, $after: String) {{
  fulfillment(id: $id) {{
    fulfillmentLineItems(first: 50, after: $after) {{ {_PAGE} nodes {{ quantity lineItem {{ id }} }} }}
  }}
}}"""
"""The next page of one fulfilment's fulfillmentLineItems (variables ``id``, ``after``: the page's endCursor)."""

FULFILLMENT_CREATE = """mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}"""

CANCEL_STATE_QUERY = """query OrderCancelState($id: ID!) {
  order(id: $id) {
    id cancelledAt
    refunds(first: 50) { note }
  }
}"""
"""What shows a cancellation made already: the order's cancel, and its refunds' notes (which carry crossdock's
marker; ``Order.refunds`` is a list cut at ``first``)."""

ORDER_CANCEL = """mutation OrderCancel($orderId: ID!, $reason: OrderCancelReason!, $restock: Boolean!,
    $notifyCustomer: Boolean, $staffNote: String, $refundMethod: OrderCancelRefundMethodInput) {
  orderCancel(orderId: $orderId, reason: $reason, restock: $restock, notifyCustomer: $notifyCustomer,
      staffNote: $staffNote, refundMethod: $refundMethod) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}"""
"""Cancel a whole order (an asynchronous job; a cancel cannot be undone)."""

SUGGESTED_REFUND_QUERY = """query OrderSuggestedRefund($id: ID!, $lines: [RefundLineItemInput!]) {
  order(id: $id) {
    suggestedRefund(refundLineItems: $lines) {
      suggestedTransactions { amountSet { shopMoney { amount currencyCode } } gateway parentTransaction { id } }
    }
  }
}"""
"""The transactions Shopify suggests to pay back some lines: ``refundCreate`` moves money only with them."""

REFUND_CREATE = """mutation RefundCreate($input: RefundInput!) {
  refundCreate(input: $input) {
    refund { id }
    userErrors { field message }
  }
}"""


def orders_query_variables(since: dt.datetime, *, after: str | None = None, first: int = 10) -> dict[str, Any]:
    """Variables of ``ORDERS_QUERY``: orders updated at or after ``since`` (aware), from the cursor ``after``."""
    if since.tzinfo is None:
        raise ValueError("since must be an aware datetime")
    stamp = since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"first": first, "after": after, "query": f"updated_at:>='{stamp}'"}
