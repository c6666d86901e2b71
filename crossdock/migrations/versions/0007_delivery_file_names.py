"""one file name, one delivery: deliveries.file_name, unique per sink

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

``file_name``: the name a delivery is written under, chosen when it is first claimed and kept for every later
attempt (``core/storage/delivery_names.py``); the unique index on (sink, file_name) keeps two deliveries to one sink
from sharing a name. Existing deliveries hold their document's name where no earlier delivery to the same sink
does (the first of each name keeps it); the others get theirs when next claimed, if they are still to be sent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_name", sa.String(length=1100), nullable=True))
    op.execute(
        "UPDATE deliveries SET file_name = (SELECT remote_name FROM documents WHERE documents.id = "
        "deliveries.document_id) WHERE id IN (SELECT MIN(d.id) FROM deliveries d JOIN documents doc ON doc.id = "
        "d.document_id WHERE doc.remote_name IS NOT NULL GROUP BY d.sink, doc.remote_name)"
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ux_deliveries_file_name", ["sink", "file_name"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ux_deliveries_file_name")
        batch_op.drop_column("file_name")
