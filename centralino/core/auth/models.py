"""The ``users`` table and the roles a user can have."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from centralino.core.db import Base, UTCDateTime, enum_check, utcnow


class Role(StrEnum):
    """What a user may open, each role everything the ones before it may."""

    OPERATOR = "operator"  # the operator console
    SUPERVISOR = "supervisor"  # also the live view
    ADMIN = "admin"  # everything

    def grants(self, needed: Role) -> bool:
        """Whether this role may open what ``needed`` may (admin ⊇ supervisor ⊇ operator)."""
        order = list(Role)
        return order.index(self) >= order.index(needed)


class User(Base):
    """Someone who signs in to the web app. The password is kept only as an argon2 hash."""

    __tablename__ = "users"
    __table_args__ = (enum_check("role", Role),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"User(name={self.name!r}, role={self.role!r}, active={self.active!r})"
