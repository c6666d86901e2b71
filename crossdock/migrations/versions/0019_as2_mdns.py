"""as2 mdns: each AS2 receipt sent or received, its bytes, and the messages awaiting an asynchronous one

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "as2_mdns",
        sa.Column("id", _ID, nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("endpoint", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("document_id", _ID),
        sa.Column("delivery_key", sa.String(64)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("mic", sa.String(160)),
        sa.Column("disposition", sa.Text()),
        sa.Column("due_at", sa.DateTime()),
        sa.Column("mdn", sa.LargeBinary()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.UniqueConstraint("direction", "endpoint", "message_id", name="uq_as2_mdns_message"),
    )
    op.create_index("ix_as2_mdns_due", "as2_mdns", ["state", "due_at"])
    op.create_index("ix_as2_mdns_document", "as2_mdns", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_as2_mdns_document", table_name="as2_mdns")
    op.drop_index("ix_as2_mdns_due", table_name="as2_mdns")
    op.drop_table("as2_mdns")
