"""The ``hours_overrides`` table: every manual override of the office hours, newest last."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from centralino.core.db import Base, UTCDateTime, enum_check, utcnow
from centralino.core.hours.rules import OverrideMode


class HoursOverride(Base):
    """One change of the override; the newest row is in force (``auto``: none)."""

    __tablename__ = "hours_overrides"
    __table_args__ = (enum_check("mode", OverrideMode),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mode: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(500))
    set_by: Mapped[str] = mapped_column(String(255))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"HoursOverride(id={self.id!r}, mode={self.mode!r}, set_by={self.set_by!r})"
