"""The ``tickets`` and ``contacts`` tables."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from centralino.calls.models import Call
from centralino.db import Base, UTCDateTime, utcnow


class TicketStatus(StrEnum):
    NEW = "new"


class TicketChannel(StrEnum):
    PHONE = "phone"


class IvrOutcome(StrEnum):
    """How a call left the IVR."""

    QUEUED = "queued"
    VOICEMAIL = "voicemail"
    HANGUP_IN_MENU = "hangup_in_menu"
    INFO_MESSAGE = "info_message"
    TRANSFER = "transfer"
    STATUS_QUERY = "status_query"


_OUTCOME_VALUES = ", ".join(f"'{o.value}'" for o in IvrOutcome)


class Contact(Base):
    """A person the center knows: matched by caller id, or by the PIN keyed in the IVR."""

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_phone", "phone"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164
    # HMAC-SHA256 of the PIN under the server's PIN key: looked up by equality, never stored plain.
    pin_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"Contact(id={self.id!r}, name={self.name!r})"


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_created_at", "created_at"),
        Index("ix_tickets_status", "status"),
        CheckConstraint(f"ivr_outcome IN ({_OUTCOME_VALUES})", name="ivr_outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(32), default=TicketStatus.NEW)
    channel: Mapped[str] = mapped_column(String(16), default=TicketChannel.PHONE)
    # Exactly one ticket per call, however often the engine (re)tries to open it.
    call_linkedid: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("calls.linkedid"), unique=True)
    contact_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("contacts.id"))
    classification: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    # The menu keys the caller pressed, in order (never a PIN or a keyed tracking code).
    dtmf_path: Mapped[str] = mapped_column(String(255), default="", server_default="")
    # [{"node": name, "at": ISO-8601 time}, ...] in the order the caller went through them.
    ivr_nodes: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, server_default=text("'[]'"))
    ivr_outcome: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    # Loaded explicitly (joinedload) where needed: an implicit lazy load cannot run under asyncio.
    call: Mapped[Call | None] = relationship(lazy="raise")
    contact: Mapped[Contact | None] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"Ticket(tracking_code={self.tracking_code!r}, status={self.status!r})"
