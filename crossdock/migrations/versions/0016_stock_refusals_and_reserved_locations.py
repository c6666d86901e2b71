"""stock: what a channel refused per SKU (stock_told.refused*), and reservations per stock location

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _reserved(name: str, *, location: bool) -> None:
    columns: list[sa.schema.SchemaItem] = [
        sa.Column("order_id", _ID, nullable=False),
        sa.Column("sku", sa.String(128), nullable=False),
        *([sa.Column("location", sa.String(64), server_default="", nullable=False)] if location else []),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
        sa.PrimaryKeyConstraint("order_id", "sku", *(["location"] if location else [])),
    ]
    op.create_table(name, *columns)


def upgrade() -> None:
    with op.batch_alter_table("stock_told", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refused", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("refused_said", sa.String(300), nullable=True))
        batch_op.add_column(sa.Column("refused_at", sa.DateTime(), nullable=True))
    # the primary key gains the location: a new table, the old rows copied at no location ("": held everywhere)
    _reserved("stock_reserved_new", location=True)
    op.execute(
        "INSERT INTO stock_reserved_new (order_id, sku, location, quantity) "
        "SELECT order_id, sku, '', quantity FROM stock_reserved"
    )
    op.drop_table("stock_reserved")
    op.rename_table("stock_reserved_new", "stock_reserved")


def downgrade() -> None:
    _reserved("stock_reserved_old", location=False)
    op.execute(
        "INSERT INTO stock_reserved_old (order_id, sku, quantity) "
        "SELECT order_id, sku, SUM(quantity) FROM stock_reserved GROUP BY order_id, sku"
    )
    op.drop_table("stock_reserved")
    op.rename_table("stock_reserved_old", "stock_reserved")
    with op.batch_alter_table("stock_told", schema=None) as batch_op:
        batch_op.drop_column("refused_at")
        batch_op.drop_column("refused_said")
        batch_op.drop_column("refused")
