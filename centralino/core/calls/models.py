"""The ``calls`` table: one row per call, keyed by the Asterisk ``linkedid``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from centralino.core.calls.terms import CallDisposition, CallOrigin
from centralino.core.db import Base, UTCDateTime, enum_check

OPEN_DISPOSITIONS = (CallDisposition.IN_PROGRESS, CallDisposition.ANSWERED)


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        enum_check("disposition", CallDisposition),
        enum_check("origin", CallOrigin),
        Index("ix_calls_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(255))
    caller_id: Mapped[str | None] = mapped_column(String(64))
    caller_name: Mapped[str | None] = mapped_column(String(255))
    did: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    disposition: Mapped[str] = mapped_column(String(16), default=CallDisposition.IN_PROGRESS)
    origin: Mapped[str] = mapped_column(String(16), default=CallOrigin.INBOUND,
                                        server_default=CallOrigin.INBOUND.value)

    def __repr__(self) -> str:
        return f"Call(linkedid={self.linkedid!r}, disposition={self.disposition!r})"
