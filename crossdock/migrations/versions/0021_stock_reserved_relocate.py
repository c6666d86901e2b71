"""stock_reserved: reservations held at no location marked to be worked out again (their order's routing and
``stock.ships_from``), as those copied by 0016 from before reservations had a location are

The mark is one row per open order (``sku`` "", ``location`` "~relocate", quantity 0): an empty SKU is never
counted, so until the next stock push replaces the order's rows its units still count at every location, as
before; that push (``core/stock/available.py``, ``reserve_unread``) reads the order again and reserves each line
at the location of the destination that ships it.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

RELOCATE = "~relocate"  # core/stock/available.py RELOCATE
OPEN = ("waiting", "held", "routed", "delivered", "partially shipped")  # core/stock/available.py OPEN, as of now


def upgrade() -> None:
    statuses = ", ".join(f"'{s}'" for s in OPEN)
    op.execute(
        "INSERT INTO stock_reserved (order_id, sku, location, quantity) "
        f"SELECT DISTINCT r.order_id, '', '{RELOCATE}', 0 FROM stock_reserved r JOIN orders o ON o.id = r.order_id "
        f"WHERE r.location = '' AND r.sku <> '' AND o.status IN ({statuses})"
    )


def downgrade() -> None:
    op.execute(f"DELETE FROM stock_reserved WHERE location = '{RELOCATE}'")
