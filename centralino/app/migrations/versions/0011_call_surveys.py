"""The post-call surveys: one row per call whose caller was sent to the survey when the
operator hung up, with the answers per item.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("linkedid", sa.String(64), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("keys", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_surveys")),
        sa.UniqueConstraint("linkedid", name=op.f("uq_call_surveys_linkedid")))
    op.create_index("ix_call_surveys_started_at", "call_surveys", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_call_surveys_started_at", table_name="call_surveys")
    op.drop_table("call_surveys")
