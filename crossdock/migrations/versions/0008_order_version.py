"""the version of a partner's order that is stored: orders.version

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

``version``: what made the stored version of an X12 order (BEG01/BCH01 purpose, the highest 860 change sequence
applied, when its interchange was made), so that an older or conflicting document is recognised
(``core/lifecycle/order_versions.py``). Empty for orders stored before, and for channels' orders (ordered by their
``updated_at``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("version")
