"""Recordings (voicemail and conversations) and the log of who played or downloaded them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("asterisk_name", sa.String(128), nullable=False),
        sa.Column("call_linkedid", sa.String(64), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("caller_id", sa.String(64), nullable=True),
        sa.Column("situation", sa.String(16), nullable=True),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("web_path", sa.String(512), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("transcript", sa.JSON(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
        sa.UniqueConstraint("asterisk_name", name=op.f("uq_recordings_asterisk_name")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"],
                                name=op.f("fk_recordings_ticket_id_tickets")),
        sa.CheckConstraint("kind IN ('voicemail', 'conversation')",
                           name=op.f("ck_recordings_kind")),
        sa.CheckConstraint("situation IN ('closed', 'holiday', 'busy', 'choice')",
                           name=op.f("ck_recordings_situation")),
    )
    op.create_index(op.f("ix_recordings_recorded_at"), "recordings", ["recorded_at"])
    op.create_index(op.f("ix_recordings_call_linkedid"), "recordings", ["call_linkedid"])
    op.create_table(
        "recording_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("client_address", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_access")),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"],
                                name=op.f("fk_recording_access_recording_id_recordings")),
        sa.CheckConstraint("action IN ('play', 'download')",
                           name=op.f("ck_recording_access_action")),
    )
    op.create_index(op.f("ix_recording_access_recording_id"), "recording_access",
                    ["recording_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_recording_access_recording_id"), table_name="recording_access")
    op.drop_table("recording_access")
    op.drop_index(op.f("ix_recordings_call_linkedid"), table_name="recordings")
    op.drop_index(op.f("ix_recordings_recorded_at"), table_name="recordings")
    op.drop_table("recordings")
