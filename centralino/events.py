"""Domain events published on the internal bus. Frozen dataclasses, named after what happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class CallStarted:
    linkedid: str
    channel: str
    caller_id: str | None
    did: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CallAnswered:
    linkedid: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CallEnded:
    linkedid: str
    disposition: str
    at: datetime


@dataclass(frozen=True, slots=True)
class TicketOpened:
    linkedid: str
    tracking_code: str


@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    """AMI, ARI or the database went up or down."""

    component: str
    up: bool
    detail: str | None = None


DomainEvent = CallStarted | CallAnswered | CallEnded | TicketOpened | ConnectionChanged
