"""company invoice numbers: one 810 BIG02 sequence for the company, starting after every per-partner one

Invoice numbers were a sequence per partner (each restarting at 000001). They are now one sequence for the
company (scope ``(company)``); it starts at the highest number any partner's sequence reached, so no number
already sent is issued again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "INSERT INTO sequences (scope, kind, value) "
        "SELECT '(company)', 'invoice', MAX(value) FROM sequences WHERE kind = 'invoice' AND scope <> '(company)' "
        "HAVING MAX(value) IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DELETE FROM sequences WHERE scope = '(company)' AND kind = 'invoice'")
