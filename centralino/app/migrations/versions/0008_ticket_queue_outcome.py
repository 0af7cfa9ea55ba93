"""How a ticket's call left the operators' queue (answered or abandoned) and its wait there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OUTCOMES = "'answered', 'abandoned'"


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("queue_outcome", sa.String(16), nullable=True))
        batch.add_column(sa.Column("queue_wait_seconds", sa.Integer(), nullable=True))
        batch.create_check_constraint(op.f("ck_tickets_queue_outcome"),
                                      f"queue_outcome IN ({_OUTCOMES})")


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_constraint(op.f("ck_tickets_queue_outcome"), type_="check")
        batch.drop_column("queue_wait_seconds")
        batch.drop_column("queue_outcome")
