"""Callback tasks (one active task per caller) and their call attempts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = sa.text("status IN ('open', 'in_progress')")
_OUTCOMES = ("'reached', 'no_answer', 'busy', 'wrong_number', 'seat_unavailable', "
             "'cancelled', 'failed'")


def upgrade() -> None:
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("caller", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_outcome", sa.String(16), nullable=True),
        sa.Column("assigned_to", sa.String(64), nullable=True),
        sa.Column("linkedids", sa.JSON(), nullable=False),
        sa.Column("recording_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callbacks")),
        sa.CheckConstraint("reason IN ('voicemail', 'abandoned', 'missed')",
                           name=op.f("ck_callbacks_reason")),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'reached', 'unreachable', 'closed')",
            name=op.f("ck_callbacks_status")),
    )
    op.create_index(op.f("ix_callbacks_due_at"), "callbacks", ["due_at"])
    op.create_index("uq_callbacks_active_caller", "callbacks", ["caller"], unique=True,
                    sqlite_where=_ACTIVE, postgresql_where=_ACTIVE)
    op.create_table(
        "callback_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("callback_id", sa.Integer(), nullable=False),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("seat", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("dial_status", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_attempts")),
        sa.ForeignKeyConstraint(["callback_id"], ["callbacks.id"],
                                name=op.f("fk_callback_attempts_callback_id_callbacks")),
        sa.CheckConstraint(f"outcome IN ({_OUTCOMES})", name=op.f("ck_callback_attempts_outcome")),
    )
    op.create_index(op.f("ix_callback_attempts_callback_id"), "callback_attempts",
                    ["callback_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_callback_attempts_callback_id"), table_name="callback_attempts")
    op.drop_table("callback_attempts")
    op.drop_index("uq_callbacks_active_caller", table_name="callbacks")
    op.drop_index(op.f("ix_callbacks_due_at"), table_name="callbacks")
    op.drop_table("callbacks")
