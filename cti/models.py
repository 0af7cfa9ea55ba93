"""The ``tickets`` table: a ticket per call (and, later, per other channel)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from centralino.calls.models import Call
from centralino.db import Base, UTCDateTime, utcnow


class TicketStatus(StrEnum):
    NEW = "new"


class TicketChannel(StrEnum):
    PHONE = "phone"


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_created_at", "created_at"),
        Index("ix_tickets_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(32), default=TicketStatus.NEW)
    channel: Mapped[str] = mapped_column(String(16), default=TicketChannel.PHONE)
    # Exactly one ticket per call, however often the engine (re)tries to open it.
    call_linkedid: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("calls.linkedid"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    # Loaded explicitly (joinedload) where needed: an implicit lazy load cannot run under asyncio.
    call: Mapped[Call | None] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"Ticket(tracking_code={self.tracking_code!r}, status={self.status!r})"
