"""documents counted by state, direction and partner from one index (for /metrics), in place of the state index

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


def upgrade() -> None:
    op.create_index("ix_documents_state_partner", "documents", ["state", "direction", "partner"])
    op.drop_index("ix_documents_state", table_name="documents")  # the new index leads with state: it serves those


def downgrade() -> None:
    op.create_index("ix_documents_state", "documents", ["state"])
    op.drop_index("ix_documents_state_partner", table_name="documents")
