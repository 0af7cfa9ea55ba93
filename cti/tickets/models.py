"""The ``tickets``, ``ticket_events`` and ``contacts`` tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from centralino.core.calls.models import Call
from centralino.core.db import Base, UTCDateTime, enum_check, utcnow

# The vocabulary lives in terms.py, which other domains may import; re-exported here for
# this domain's own modules.
from cti.tickets.terms import (
    IvrOutcome,
    QueueOutcome,
    TicketChannel,
    TicketEventKind,
    TicketStatus,
)


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
        Index("ix_tickets_due_at", "due_at"),
        enum_check("ivr_outcome", IvrOutcome),
        enum_check("queue_outcome", QueueOutcome),
        enum_check("status", TicketStatus),
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
    # How the call left the operators' queue, and after how many seconds of waiting there.
    queue_outcome: Mapped[str | None] = mapped_column(String(16))
    queue_wait_seconds: Mapped[int | None] = mapped_column(Integer)
    # The operators' work on it (cti.tickets.workflow): who has it, the back office, what was done.
    assigned_to: Mapped[str | None] = mapped_column(String(64))  # a user name
    second_level_team: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    callback_requested: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=false())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the SLA of its classification
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    # Loaded explicitly (joinedload) where needed: an implicit lazy load cannot run under asyncio.
    call: Mapped[Call | None] = relationship(lazy="raise")
    contact: Mapped[Contact | None] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"Ticket(tracking_code={self.tracking_code!r}, status={self.status!r})"


class TicketEvent(Base):
    """One change of a ticket, with who made it and when: together, the ticket's history."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        Index("ix_ticket_events_ticket_id", "ticket_id"),
        enum_check("kind", TicketEventKind),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(Integer, ForeignKey("tickets.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))  # a user name, or "system", "ivr"
    kind: Mapped[str] = mapped_column(String(16))
    from_value: Mapped[str | None] = mapped_column(String(64))
    to_value: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)  # a note, a resolution, a reason

    def __repr__(self) -> str:
        return (f"TicketEvent(ticket_id={self.ticket_id!r}, kind={self.kind!r}, "
                f"to_value={self.to_value!r}, actor={self.actor!r})")
