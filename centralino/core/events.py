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


@dataclass(frozen=True, slots=True)
class SeatChanged:
    """An operator seat changed: who is logged in, their state, or the phone's registration."""

    seat: str
    operator: str | None
    state: str  # logged_out, ready, paused, ringing, in_call, wrap_up
    reason: str | None  # the pause reason
    registered: bool
    since: datetime | None  # when the seat entered ``state``, if known


@dataclass(frozen=True, slots=True)
class CallerQueued:
    """A caller joined the operators' queue."""

    linkedid: str
    queue: str
    caller_id: str | None
    position: int
    at: datetime


@dataclass(frozen=True, slots=True)
class CallerLeftQueue:
    """A caller stopped waiting: answered, abandoned, or out of the queue (overflow)."""

    linkedid: str
    queue: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AgentCalled:
    """A seat rings for a queued caller: what a screen-pop hangs on."""

    linkedid: str
    queue: str
    seat: str
    operator: str
    caller_id: str | None
    at: datetime
    campaign: str | None = None  # a campaign call handed to the operators: its campaign
    campaign_ticket: str | None = None  # and the tracking code of the contact's ticket


@dataclass(frozen=True, slots=True)
class QueueCallAnswered:
    """An operator answered a queued caller."""

    linkedid: str
    queue: str
    seat: str
    operator: str
    hold_seconds: int
    at: datetime


@dataclass(frozen=True, slots=True)
class QueueCallAbandoned:
    """A caller hung up while waiting in the queue."""

    linkedid: str
    queue: str
    position: int
    hold_seconds: int
    at: datetime


@dataclass(frozen=True, slots=True)
class VoicemailStored:
    """A caller's message is safely on disk and in the database (``recordings`` row)."""

    linkedid: str
    recording_id: int
    caller_id: str | None
    situation: str  # recordings.models.VoicemailSituation
    at: datetime


@dataclass(frozen=True, slots=True)
class MissedCall:
    """A caller the center could not serve hung up without leaving a message (none, or one
    shorter than the minimum): closed, holiday, or nobody free."""

    linkedid: str
    caller_id: str | None
    situation: str  # recordings.models.VoicemailSituation
    at: datetime


@dataclass(frozen=True, slots=True)
class CallbackChanged:
    """A callback task was opened or joined, is being called, moved on after a call, or was
    closed by hand; ``status`` is its status now (cti.callbacks.models.CallbackStatus)."""

    callback_id: int
    status: str


DomainEvent = (CallStarted | CallAnswered | CallEnded | TicketOpened | ConnectionChanged
               | SeatChanged | CallerQueued | CallerLeftQueue | AgentCalled | QueueCallAnswered
               | QueueCallAbandoned | VoicemailStored | MissedCall | CallbackChanged)
