"""The ``users`` table, the ``web_sessions`` table, and the roles a user can have."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from centralino.core.auth.roles import Permission, Role
from centralino.core.db import Base, UTCDateTime, enum_check, utcnow

__all__ = ["Permission", "Role", "User", "WebSession"]

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

    def may(self, permission: Permission) -> bool:
        """Whether this user's role has ``permission``."""
        return Role(self.role).may(permission)

    def __repr__(self) -> str:
        return f"User(name={self.name!r}, role={self.role!r}, active={self.active!r})"


class WebSession(Base):
    """A signed-in browser: the cookie carries the id, this row says it is still valid.

    Logging out, disabling the user or a new password deletes the rows, so a copy of the
    cookie taken earlier opens nothing. Only the SHA-256 of the id is stored.
    """

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # hex SHA-256 of the id
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
