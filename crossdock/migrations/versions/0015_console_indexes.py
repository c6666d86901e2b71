"""console: indexes for its search by control number, partner and date, its "today" figures and a document's thread

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_documents_isa13": ("documents", ["interchange_control"]),
    "ix_documents_gs06": ("documents", ["group_control"]),
    "ix_documents_st02": ("documents", ["transaction_controls"]),
    "ix_documents_partner_id": ("documents", ["partner", "id"]),
    "ix_documents_created": ("documents", ["created_at"]),
    "ix_documents_parent": ("documents", ["parent_id"]),
    "ix_documents_kind_id": ("documents", ["kind", "id"]),
    "ix_orders_document": ("orders", ["document_id"]),
    "ix_orders_created": ("orders", ["created_at"]),
    "ix_deliveries_document": ("deliveries", ["document_id"]),
    "ix_shipments_document": ("shipments", ["document_id"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table)
