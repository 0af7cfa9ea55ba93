"""The tickets' vocabulary other domains may use: statuses and outcomes, without the tables."""

from __future__ import annotations

from enum import StrEnum


class TicketStatus(StrEnum):
    """Where a ticket is in its workflow (the moves: :data:`cti.tickets.workflow.TRANSITIONS`)."""

    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_SECOND_LEVEL = "waiting_second_level"  # with a back-office team
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"


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


class QueueOutcome(StrEnum):
    """How a caller left the operators' queue: a seat answered, or they hung up first."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"


class TicketEventKind(StrEnum):
    """What a history row records a change of."""

    STATUS = "status"
    CLASSIFICATION = "classification"
    ASSIGNMENT = "assignment"
    NOTE = "note"
    SECOND_LEVEL = "second_level"
    CALLBACK = "callback"
