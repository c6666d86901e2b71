"""carton labels: the SSCC-18s crossdock gives a destination with an order (``labels: sscc``), one row a carton

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "carton_labels",
        sa.Column("sscc", sa.String(18), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("po_number", sa.String(128), nullable=False),
        sa.Column("sink", sa.String(128), nullable=False),
        sa.Column("label_set", sa.Integer(), nullable=False),
        sa.Column("carton", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sscc"),
    )
    op.create_index("ix_carton_labels_order", "carton_labels", ["channel", "partner", "external_id", "sink"])
    op.create_index("ix_carton_labels_po_number", "carton_labels", ["po_number"])


def downgrade() -> None:
    op.drop_index("ix_carton_labels_po_number", table_name="carton_labels")
    op.drop_index("ix_carton_labels_order", table_name="carton_labels")
    op.drop_table("carton_labels")
