"""returns: a buyer's return tied to its order, and what the warehouse received for it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "returns",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("return_id", sa.String(128), nullable=False),
        sa.Column("rma_number", sa.String(128)),
        sa.Column("po_number", sa.String(128), nullable=False),
        sa.Column("external_id", sa.String(128)),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
        sa.Column("warehouse", sa.String(64)),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("received", sa.Text()),
        sa.Column("refund", sa.Text()),
        sa.Column("document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.UniqueConstraint("channel", "return_id", name="uq_returns_natural_key"),
    )
    op.create_index("ix_returns_rma_number", "returns", ["rma_number"])
    op.create_index("ix_returns_po_number", "returns", ["po_number"])
    op.create_index("ix_returns_state", "returns", ["state"])
    op.create_table(
        "return_receipts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("return_row", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
        sa.Column("warehouse", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["return_row"], ["returns.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.UniqueConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("return_receipts")
    op.drop_index("ix_returns_state", table_name="returns")
    op.drop_index("ix_returns_po_number", table_name="returns")
    op.drop_index("ix_returns_rma_number", table_name="returns")
    op.drop_table("returns")
