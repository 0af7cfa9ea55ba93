"""The AMI messages the ACD reads, parsed once into typed records.

app_queue's member events (``QueueMemberAdded``, ``QueueMemberStatus``, ``QueueMemberPause``)
and QueueStatus's ``QueueMember`` carry the member's whole state, so each becomes one
:class:`Member`; caller and agent events become :class:`CallerJoined`, :class:`AgentEvent` and
the like (AgentCalled with a campaign call's ``ChanVariable`` headers); ``ContactStatus`` says
whether a seat's phone is registered. Anything else is ``None``.
A message of a known type without the fields it must have, or with a value out of range (a
number of more than :data:`MAX_DIGITS` digits, a duration beyond :data:`MAX_DURATION_SECONDS`,
a time outside 1970 to :data:`LATEST_YEAR`), raises :class:`MalformedEvent`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any, Literal, cast

from centralino.core import metrics
from centralino.core.ami import MalformedEvent

MAX_DIGITS = 20
"""Digits of any AMI number (a 64-bit integer has at most 19, and a sign)."""
MAX_DURATION_SECONDS = 10 * 366 * 86400
"""Hold, wait and wrap-up times longer than ten years are nonsense, not a very long call."""
LATEST_YEAR = 2199
"""AMI times (epochs, ``Timestamp``) after this year are refused: a broken clock or a forgery."""



class DeviceState(IntEnum):
    """app_queue's ``Status``: Asterisk's ``enum ast_device_state`` (AST_DEVICE_*)."""

    UNKNOWN = 0
    NOT_INUSE = 1
    INUSE = 2
    BUSY = 3
    INVALID = 4
    UNAVAILABLE = 5
    RINGING = 6
    RINGINUSE = 7
    ONHOLD = 8


@dataclass(frozen=True, slots=True)
class Member:
    """A queue member as app_queue reports it: who, on which interface, in what state."""

    queue: str
    interface: str
    name: str
    status: DeviceState
    paused: bool
    reason: str
    in_call: bool
    last_call: datetime | None
    last_pause: datetime | None
    login_time: datetime | None
    wrapup_seconds: int  # the member's own wrap-up time; 0: the queue's
    at: datetime | None  # the event's Timestamp; None in a QueueStatus answer


@dataclass(frozen=True, slots=True)
class MemberRemoved:
    queue: str
    interface: str
    at: datetime | None


@dataclass(frozen=True, slots=True)
class CallerJoined:
    queue: str
    channel: str
    uniqueid: str
    linkedid: str
    caller_id: str | None
    position: int
    at: datetime | None


@dataclass(frozen=True, slots=True)
class CallerLeft:
    queue: str
    uniqueid: str
    linkedid: str
    at: datetime | None


@dataclass(frozen=True, slots=True)
class CallerAbandoned:
    queue: str
    uniqueid: str
    linkedid: str
    position: int
    hold_seconds: int
    at: datetime | None


AgentAction = Literal["AgentCalled", "AgentRingNoAnswer", "AgentConnect", "AgentComplete"]


@dataclass(frozen=True, slots=True)
class AgentEvent:
    """A queue caller and a member: rung, not answered, connected or finished.

    Asterisk leaves out the caller's channel fields when that channel is already gone (seen on
    AgentComplete after the caller hung up): ``linkedid`` is then None. AgentCalled and
    AgentConnect always name the caller.
    """

    kind: AgentAction
    queue: str
    interface: str
    member_name: str
    linkedid: str | None
    caller_id: str | None
    hold_seconds: int  # AgentConnect and AgentComplete; 0 otherwise
    at: datetime | None
    # A campaign call handed to the operators: its campaign's name and the contact's ticket
    # (the caller's CENTRALINO_CAMPAIGN and CENTRALINO_TICKET); AgentCalled only.
    campaign: str | None = None
    campaign_ticket: str | None = None


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A waiting caller in a QueueStatus answer (which carries no linkedid)."""

    queue: str
    channel: str
    uniqueid: str
    caller_id: str | None
    position: int
    wait_seconds: int


@dataclass(frozen=True, slots=True)
class ContactChanged:
    """A seat's phone registered, was removed or became (un)reachable."""

    endpoint: str
    registered: bool
    at: datetime | None


AcdEvent = (Member | MemberRemoved | CallerJoined | CallerLeft | CallerAbandoned | AgentEvent
            | QueueEntry | ContactChanged)

CAMPAIGN_VARIABLE = "CENTRALINO_CAMPAIGN"
"""A campaign call's campaign name, set before it is queued (manager.conf ``channelvars``)."""
TICKET_VARIABLE = "CENTRALINO_TICKET"
"""The tracking code of a campaign contact's ticket, likewise."""

#: The AMI events the ACD follows (QueueMember and QueueEntry only come in QueueStatus answers).
FOLLOWED_EVENTS = ("QueueMemberAdded", "QueueMemberStatus", "QueueMemberPause",
                   "QueueMemberRemoved", "QueueCallerJoin", "QueueCallerLeave",
                   "QueueCallerAbandon", "AgentCalled", "AgentRingNoAnswer", "AgentConnect",
                   "AgentComplete", "ContactStatus")

# ContactStatus values of a contact that is gone or cannot be reached.
_UNREGISTERED = ("Removed", "Unreachable")


class _Fields:
    """Typed reads of one message's headers; a missing or bad one is a MalformedEvent."""

    def __init__(self, message: Mapping[str, Any], event: str) -> None:
        self._message = message
        self._event = event

    def text(self, key: str) -> str:
        value = self._message.get(key)
        if not isinstance(value, str) or not value:
            raise MalformedEvent(f"{self._event}: no {key}")
        return value

    def optional(self, key: str) -> str:
        value = self._message.get(key, "")
        return value if isinstance(value, str) else ""

    def number(self, key: str, default: int | None = None) -> int:
        value = self._message.get(key)
        if value in (None, "") and default is not None:
            return default
        text = str(value).strip()
        if len(text.lstrip("+-")) > MAX_DIGITS:
            raise MalformedEvent(f"{self._event}: {key} has more than {MAX_DIGITS} digits: "
                                 f"{text[:30]!r}...")
        try:
            return int(text)
        except ValueError:
            raise MalformedEvent(f"{self._event}: {key} is not a number: {value!r}") from None

    def duration(self, key: str) -> int:
        """Whole seconds, 0 to :data:`MAX_DURATION_SECONDS` (missing: 0)."""
        seconds = self.number(key, default=0)
        if not 0 <= seconds <= MAX_DURATION_SECONDS:
            raise MalformedEvent(f"{self._event}: {key} out of range: {seconds}")
        return seconds

    def flag(self, key: str) -> bool:
        return self.number(key, default=0) != 0

    def epoch(self, key: str) -> datetime | None:
        """A time in whole seconds since 1970 (``0`` or missing: never)."""
        seconds = self.number(key, default=0)
        return self._time(key, seconds) if seconds != 0 else None

    def timestamp(self) -> datetime | None:
        """The event's ``Timestamp`` (manager.conf ``timestampevents``), if any."""
        value = self.optional("Timestamp")
        if not value:
            return None
        if len(value) > MAX_DIGITS + 10:
            raise MalformedEvent(f"{self._event}: bad Timestamp {value[:30]!r}...")
        try:
            seconds = float(value)
        except ValueError:
            raise MalformedEvent(f"{self._event}: bad Timestamp {value!r}") from None
        return self._time("Timestamp", seconds)

    def _time(self, key: str, seconds: float) -> datetime:
        """``seconds`` since 1970 as a UTC time, if it falls in 1970 to LATEST_YEAR."""
        try:
            when = datetime.fromtimestamp(seconds, UTC)
        except (ValueError, OverflowError, OSError):  # NaN, inf, past year 9999
            raise MalformedEvent(f"{self._event}: {key} out of range: {seconds!r}") from None
        if not 1970 <= when.year <= LATEST_YEAR:
            raise MalformedEvent(f"{self._event}: {key} out of range: {seconds!r}")
        return when

    def variable(self, name: str) -> str | None:
        """The caller channel's variable ``name`` (``ChanVariable: NAME=value``, one header per
        variable of manager.conf's ``channelvars``); None when unset or empty."""
        headers = self._message.get("ChanVariable", [])
        for header in [headers] if isinstance(headers, str) else headers:
            key, _, value = str(header).partition("=")
            if key == name:
                return value or None
        return None

    def caller_id(self) -> str | None:
        number = self.optional("CallerIDNum")
        return number if number and number != "<unknown>" else None


def _member(f: _Fields, name_key: str, interface_key: str) -> Member:
    status = f.number("Status")
    try:
        state = DeviceState(status)
    except ValueError:
        raise MalformedEvent(f"unknown member Status {status}") from None
    return Member(
        queue=f.text("Queue"), interface=f.text(interface_key), name=f.text(name_key),
        status=state, paused=f.flag("Paused"), reason=f.optional("PausedReason"),
        in_call=f.flag("InCall"), last_call=f.epoch("LastCall"),
        last_pause=f.epoch("LastPause"), login_time=f.epoch("LoginTime"),
        wrapup_seconds=f.duration("Wrapuptime"), at=f.timestamp())


def count_malformed(message: Mapping[str, Any]) -> None:
    """Count a dropped message in ``centralino_ami_malformed_events_total``."""
    event = message.get("Event")
    known = event in FOLLOWED_EVENTS or event in ("QueueMember", "QueueEntry", "UserEvent")
    metrics.AMI_MALFORMED_EVENTS.labels(event=event if known else "other").inc()


def parse_event(message: Mapping[str, Any]) -> AcdEvent | None:
    """The typed record for ``message``; ``None`` for messages the ACD does not use."""
    event = message.get("Event")
    if not isinstance(event, str):
        return None
    f = _Fields(message, event)
    if event in ("QueueMemberAdded", "QueueMemberStatus", "QueueMemberPause"):
        return _member(f, "MemberName", "Interface")
    if event == "QueueMember":  # QueueStatus spells the same fields differently
        return _member(f, "Name", "Location")
    if event == "QueueMemberRemoved":
        return MemberRemoved(f.text("Queue"), f.text("Interface"), f.timestamp())
    if event == "QueueCallerJoin":
        return CallerJoined(f.text("Queue"), f.text("Channel"), f.text("Uniqueid"),
                            f.text("Linkedid"), f.caller_id(), f.number("Position"),
                            f.timestamp())
    if event == "QueueCallerLeave":
        return CallerLeft(f.text("Queue"), f.text("Uniqueid"), f.text("Linkedid"), f.timestamp())
    if event == "QueueCallerAbandon":
        return CallerAbandoned(f.text("Queue"), f.text("Uniqueid"), f.text("Linkedid"),
                               f.number("OriginalPosition", default=f.number("Position", 0)),
                               f.duration("HoldTime"), f.timestamp())
    if event in ("AgentCalled", "AgentRingNoAnswer", "AgentConnect", "AgentComplete"):
        linkedid = (f.text("Linkedid") if event in ("AgentCalled", "AgentConnect")
                    else f.optional("Linkedid") or None)
        called = event == "AgentCalled"
        return AgentEvent(cast(AgentAction, event), f.text("Queue"), f.text("Interface"),
                          f.text("MemberName"), linkedid, f.caller_id(),
                          f.duration("HoldTime"), f.timestamp(),
                          f.variable(CAMPAIGN_VARIABLE) if called else None,
                          f.variable(TICKET_VARIABLE) if called else None)
    if event == "QueueEntry":
        return QueueEntry(f.text("Queue"), f.text("Channel"), f.text("Uniqueid"), f.caller_id(),
                          f.number("Position"), f.duration("Wait"))
    if event == "ContactStatus":
        return ContactChanged(f.text("EndpointName"),
                              f.text("ContactStatus") not in _UNREGISTERED, f.timestamp())
    return None
