"""stock ledger: the latest on-hand figure per SKU and location, and the movements recorded on top of it

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "stock_levels",
        sa.Column("sku", sa.String(128), nullable=False),
        sa.Column("location", sa.String(64), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("document_id", _ID, nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sku", "location"),
    )
    op.create_table(
        "stock_movements",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("sku", sa.String(128), nullable=False),
        sa.Column("location", sa.String(64), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(256), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sku", "location", "reason", "reference", name="uq_stock_movements_reference"),
    )
    op.create_index("ix_stock_movements_sku", "stock_movements", ["sku", "location", "at"])


def downgrade() -> None:
    op.drop_index("ix_stock_movements_sku", table_name="stock_movements")
    op.drop_table("stock_movements")
    op.drop_table("stock_levels")
