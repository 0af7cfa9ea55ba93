"""The ``callbacks`` and ``callback_attempts`` tables: callers the center owes a call.

A task gathers everything one caller left while they could not be served (voicemails,
abandoned and missed calls): one *active* task per number (``open`` or ``in_progress``),
enforced by a partial unique index, so a new message joins the task already waiting.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from centralino.core.db import Base, UTCDateTime, enum_check, utcnow

# The vocabulary lives in terms.py, which other domains may import; re-exported here for
# this domain's own modules.
from cti.callbacks.terms import (  # noqa: F401
    ACTIVE_STATUSES,
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
)

_ACTIVE = text("status IN ('open', 'in_progress')")


class Callback(Base):
    __tablename__ = "callbacks"
    __table_args__ = (
        Index("ix_callbacks_due_at", "due_at"),
        Index("uq_callbacks_active_caller", "caller", unique=True,
              sqlite_where=_ACTIVE, postgresql_where=_ACTIVE),
        enum_check("reason", CallbackReason),
        enum_check("status", CallbackStatus),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    caller: Mapped[str] = mapped_column(String(32))  # E.164
    reason: Mapped[str] = mapped_column(String(16))  # what opened the task
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # every reason gathered
    status: Mapped[str] = mapped_column(String(16), default=CallbackStatus.OPEN)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # calls that count (caller's side)
    last_outcome: Mapped[str | None] = mapped_column(String(16))
    assigned_to: Mapped[str | None] = mapped_column(String(64))  # the operator working it
    # What it gathers: the calls (their tickets) and the voicemail recordings, oldest first.
    linkedids: Mapped[list[str]] = mapped_column(JSON, default=list)
    recording_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"Callback(id={self.id!r}, caller={self.caller!r}, status={self.status!r})"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "caller": self.caller, "reason": self.reason,
                "reasons": list(self.reasons), "status": self.status,
                "due_at": self.due_at.isoformat(), "attempts": self.attempts,
                "last_outcome": self.last_outcome, "assigned_to": self.assigned_to,
                "linkedids": list(self.linkedids), "recording_ids": list(self.recording_ids),
                "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat()}


class CallbackAttempt(Base):
    """One call made for a task: who made it, from which seat, and how it ended."""

    __tablename__ = "callback_attempts"
    __table_args__ = (
        Index("ix_callback_attempts_callback_id", "callback_id"),
        enum_check("outcome", CallbackOutcome),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    callback_id: Mapped[int] = mapped_column(Integer, ForeignKey("callbacks.id"))
    operator: Mapped[str] = mapped_column(String(64))
    seat: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(16))
    dial_status: Mapped[str | None] = mapped_column(String(32))  # Asterisk's, as it said
