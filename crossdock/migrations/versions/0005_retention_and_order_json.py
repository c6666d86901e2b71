"""retention and the order's JSON stored once: documents.purged_at and documents.data_ref

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

``purged_at``: when retention emptied a document's bytes. ``data_ref = 'order'``: the document's bytes are its
order's JSON and a newline, stored once in ``orders.data``. Existing outbound documents that hold exactly their
order's current JSON are moved to that form: their bytes are not dropped, they are the order's, byte for byte.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_NO_BYTES = {"sqlite": "X''", "postgresql": "''::bytea"}
_SAME_BYTES = {
    "sqlite": "CAST(o.data || char(10) AS BLOB)",
    "postgresql": "convert_to(o.data || chr(10), 'UTF8')",
}


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purged_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("data_ref", sa.String(length=16), nullable=True))
    dialect = op.get_bind().dialect.name
    op.execute(
        f"UPDATE documents SET data = {_NO_BYTES[dialect]}, data_ref = 'order' "
        "WHERE direction = 'out' AND kind = 'order' "
        "AND EXISTS (SELECT 1 FROM deliveries d JOIN orders o ON o.id = d.order_id "
        f"WHERE d.document_id = documents.id AND {_SAME_BYTES[dialect]} = documents.data)"
    )


def downgrade() -> None:
    order_bytes = _SAME_BYTES[op.get_bind().dialect.name]
    op.execute(
        f"UPDATE documents SET data = (SELECT {order_bytes} FROM deliveries d JOIN orders o ON o.id = d.order_id "
        "WHERE d.document_id = documents.id LIMIT 1) WHERE data_ref = 'order'"
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("data_ref")
        batch_op.drop_column("purged_at")
