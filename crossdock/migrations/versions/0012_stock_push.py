"""stock push: open orders' reservations per SKU, and what each channel was told and has queued

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "stock_reserved",
        sa.Column("order_id", _ID, nullable=False),
        sa.Column("sku", sa.String(128), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
        sa.PrimaryKeyConstraint("order_id", "sku"),
    )
    op.create_table(
        "stock_told",
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("sku", sa.String(128), nullable=False),
        sa.Column("told", sa.Integer(), nullable=True),
        sa.Column("told_at", sa.DateTime(), nullable=True),
        sa.Column("queued", sa.Integer(), nullable=True),
        sa.Column("queued_key", sa.String(64), nullable=True),
        sa.Column("queued_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("channel", "sku"),
    )
    op.create_index("ix_stock_told_queued", "stock_told", ["queued_key"])


def downgrade() -> None:
    op.drop_index("ix_stock_told_queued", table_name="stock_told")
    op.drop_table("stock_told")
    op.drop_table("stock_reserved")
