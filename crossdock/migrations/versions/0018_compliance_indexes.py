"""compliance figures: documents sent in a period, acknowledgments gone overdue, 856s and channel calls queued

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_documents_created_acked": ("documents", ["created_at", "ack_state", "partner"]),
    "ix_documents_kind_created": ("documents", ["kind", "created_at", "partner"]),
    "ix_events_kind_at": ("events", ["kind", "at"]),
    "ix_deliveries_purpose_created": (
        "deliveries",
        ["purpose", "created_at", "sink", "state", "sent_at", "document_id"],
    ),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table)
