"""Manual overrides of the office hours (a history; the newest row is in force).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hours_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("set_by", sa.String(255), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hours_overrides")),
        sa.CheckConstraint("mode IN ('open', 'closed', 'auto')",
                           name=op.f("ck_hours_overrides_mode")),
    )


def downgrade() -> None:
    op.drop_table("hours_overrides")
