"""acknowledgment state

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ack_state", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("ack_due_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("ack_detail", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("ack_document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.create_index("ix_documents_ack", ["ack_state", "ack_due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_ack")
        batch_op.drop_column("ack_document_id")
        batch_op.drop_column("ack_detail")
        batch_op.drop_column("ack_due_at")
        batch_op.drop_column("ack_state")
