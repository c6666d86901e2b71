"""console: indexes for its search by control number, partner and date, and its "today" figures

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_documents_isa13": ["interchange_control"],
    "ix_documents_gs06": ["group_control"],
    "ix_documents_st02": ["transaction_controls"],
    "ix_documents_partner_id": ["partner", "id"],
    "ix_documents_created": ["created_at"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "documents", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="documents")
