"""The engine's picture of the seats and the waiting callers, built only from what Asterisk says.

Two inputs, nothing else: AMI events as they come (:meth:`AcdPicture.handle`, synchronous and
quick) and a :class:`~acd.queue_status.QueueSnapshot` after every AMI (re)login
(:meth:`AcdPicture.resync`), so nothing depends on the engine having seen earlier events. Events
that arrive while a snapshot is being read are applied again on top of it: each carries an
absolute state, so the newest wins.

A seat's state comes from its queue member: not a member is ``logged_out``; a ringing device
is ``ringing``; a busy one (or app_queue's ``InCall``) ``in_call``; then ``paused`` (with the
reason), ``wrap_up`` until the wrap-up time after its last queue call has passed (app_queue
sends no event then: a timer republishes the seat), else ``ready``. Changes go out on the bus
as :class:`~centralino.core.events.SeatChanged`; callers as ``CallerQueued``/``CallerLeftQueue``;
``AgentCalled``, ``QueueCallAnswered`` and ``QueueCallAbandoned`` as they happen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import structlog

from acd.ami_events import (
    AcdEvent,
    AgentEvent,
    CallerAbandoned,
    CallerJoined,
    CallerLeft,
    ContactChanged,
    DeviceState,
    MalformedEvent,
    Member,
    MemberRemoved,
    count_malformed,
    parse_event,
)
from acd.queue_status import QueueSnapshot
from centralino.core import events
from centralino.core.bus import EventBus
from config.settings import AcdSettings

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]
Timer = Callable[[float, Callable[[], None]], object]
"""``timer(delay_seconds, callback)``: call back later (the engine: the loop's ``call_later``)."""

_RINGING = (DeviceState.RINGING, DeviceState.RINGINUSE)
_BUSY = (DeviceState.INUSE, DeviceState.BUSY, DeviceState.ONHOLD)
_REGISTERED = (*_RINGING, *_BUSY, DeviceState.NOT_INUSE)
_UNSERVICEABLE = (DeviceState.INVALID, DeviceState.UNAVAILABLE)  # as queues.conf leavewhenempty


class SeatState(StrEnum):
    LOGGED_OUT = "logged_out"
    READY = "ready"
    PAUSED = "paused"
    RINGING = "ringing"
    IN_CALL = "in_call"
    WRAP_UP = "wrap_up"


@dataclass(frozen=True, slots=True)
class SeatView:
    """One seat as ``seats status --json`` and ``GET /api/seats`` show it."""

    name: str
    interface: str
    registered: bool
    operator: str | None
    state: SeatState
    reason: str | None  # why it is paused
    since: datetime | None  # when it entered ``state``; None when not known

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "interface": self.interface, "registered": self.registered,
                "operator": self.operator, "state": self.state.value, "reason": self.reason,
                "since": self.since.isoformat() if self.since else None}


@dataclass(frozen=True, slots=True)
class WaitingCaller:
    linkedid: str
    uniqueid: str
    channel: str
    caller_id: str | None
    position: int
    joined_at: datetime


@dataclass
class _Seat:
    name: str
    interface: str
    registered: bool = False
    member: Member | None = None
    call_ended: datetime | None = None  # end of the last queue call: wrap-up starts there
    view: SeatView = field(init=False)

    def __post_init__(self) -> None:
        self.view = SeatView(self.name, self.interface, False, None, SeatState.LOGGED_OUT,
                             None, None)


def _default_timer(delay: float, callback: Callable[[], None]) -> object:
    return asyncio.get_running_loop().call_later(delay, callback)


def interface_of(seat: str) -> str:
    """The queue member interface of a seat (its PJSIP endpoint)."""
    return f"PJSIP/{seat}"


class AcdPicture:
    """Every seat and every waiting caller of the operators' queue, as Asterisk last said."""

    def __init__(self, settings: AcdSettings, seat_names: list[str], bus: EventBus,
                 clock: Clock = lambda: datetime.now(UTC), timer: Timer = _default_timer
                 ) -> None:
        self._settings = settings
        self._bus = bus
        self._clock = clock
        self._timer = timer
        self._seats = {interface_of(name): _Seat(name, interface_of(name))
                       for name in seat_names}
        self._by_name = {seat.name: seat for seat in self._seats.values()}
        self._callers: list[WaitingCaller] = []
        self._replay: list[AcdEvent] | None = None

    @property
    def queue(self) -> str:
        return self._settings.queue

    # -- reading --------------------------------------------------------------------------------

    def seats(self) -> list[SeatView]:
        """Every configured seat, in configuration order, as of now."""
        return [self._view(seat, self._clock()) for seat in self._seats.values()]

    def waiting(self) -> list[WaitingCaller]:
        """The callers waiting in the queue, first in line first."""
        return list(self._callers)

    # -- AMI events -----------------------------------------------------------------------------

    def handle(self, message: Mapping[str, Any]) -> None:
        """Apply one AMI event; a malformed one is logged and ignored."""
        try:
            event = parse_event(message)
        except MalformedEvent as exc:
            log.warning("acd.malformed_event", error=str(exc))
            count_malformed(message)
            return
        if event is None or getattr(event, "queue", self.queue) != self.queue:
            return
        if self._replay is not None:
            self._replay.append(event)
        at = getattr(event, "at", None) or self._clock()
        self._apply(event, at, publish=True)
        self._publish_seat_changes(at)

    # -- rebuilding from QueueStatus ------------------------------------------------------------

    def begin_resync(self) -> None:
        """A snapshot is being read: keep the events that arrive meanwhile, to apply again."""
        self._replay = []

    def cancel_resync(self) -> None:
        """The snapshot could not be read: the picture stays as the events made it."""
        self._replay = None

    def resync(self, snapshot: QueueSnapshot) -> int:
        """Rebuild from ``snapshot``, then apply again the events that arrived while it was
        read; return how many there were."""
        now = self._clock()
        replay, self._replay = self._replay or [], None
        members = {member.interface: member for member in snapshot.members}
        for seat in self._seats.values():
            seat.registered = seat.name in snapshot.registered
            member = members.get(seat.interface)
            if member is None:
                seat.member = None
            else:
                self._apply_member(member)
        before = {caller.linkedid: caller for caller in self._callers}
        self._callers = [
            WaitingCaller(item.linkedid, item.entry.uniqueid, item.entry.channel,
                          item.entry.caller_id, 0,
                          before[item.linkedid].joined_at if item.linkedid in before
                          else now - timedelta(seconds=item.entry.wait_seconds))
            for item in snapshot.callers]
        self._renumber()
        for event in replay:
            self._apply(event, getattr(event, "at", None) or now, publish=False)
        after = {caller.linkedid for caller in self._callers}
        for caller in self._callers:
            if caller.linkedid not in before:
                self._bus.publish(events.CallerQueued(caller.linkedid, self.queue,
                                                      caller.caller_id, caller.position,
                                                      caller.joined_at))
        for linkedid in before.keys() - after:
            self._bus.publish(events.CallerLeftQueue(linkedid, self.queue, now))
        self._publish_seat_changes(now, resynced=True)
        return len(replay)

    # -- internals ------------------------------------------------------------------------------

    def _apply(self, event: AcdEvent, at: datetime, publish: bool) -> None:
        if isinstance(event, Member):
            self._apply_member(event)
        elif isinstance(event, MemberRemoved):
            seat = self._seats.get(event.interface)
            if seat is not None:
                seat.member = None
        elif isinstance(event, ContactChanged):
            seat = self._by_name.get(event.endpoint)
            if seat is not None:
                seat.registered = event.registered
        elif isinstance(event, CallerJoined):
            self._join(event, at, publish)
        elif isinstance(event, CallerLeft):
            self._leave(event.uniqueid, event.linkedid, at, publish)
        elif isinstance(event, CallerAbandoned):
            if publish and self._hung_up(event):
                self._bus.publish(events.QueueCallAbandoned(
                    event.linkedid, event.queue, event.position, event.hold_seconds, at))
        elif isinstance(event, AgentEvent):
            self._agent(event, at, publish)

    def _apply_member(self, member: Member) -> None:
        seat = self._seats.get(member.interface)
        if seat is None:
            log.debug("acd.member_not_a_seat", interface=member.interface)
            return
        # LastCall is in whole seconds; AgentComplete's own time, when seen, is the precise end.
        if member.last_call is not None and (seat.call_ended is None
                                             or member.last_call > seat.call_ended):
            seat.call_ended = member.last_call
        seat.member = member
        if member.status == DeviceState.UNAVAILABLE:
            seat.registered = False
        elif member.status in _REGISTERED:
            seat.registered = True

    def _join(self, event: CallerJoined, at: datetime, publish: bool) -> None:
        self._callers = [c for c in self._callers if c.uniqueid != event.uniqueid]
        caller = WaitingCaller(event.linkedid, event.uniqueid, event.channel, event.caller_id,
                               event.position, at)
        self._callers.insert(max(0, min(event.position - 1, len(self._callers))), caller)
        self._renumber()
        if publish:
            self._bus.publish(events.CallerQueued(event.linkedid, event.queue, event.caller_id,
                                                  event.position, at))

    def _leave(self, uniqueid: str, linkedid: str, at: datetime, publish: bool) -> None:
        remaining = [c for c in self._callers if c.uniqueid != uniqueid]
        if len(remaining) == len(self._callers):
            return
        self._callers = remaining
        self._renumber()
        if publish:
            self._bus.publish(events.CallerLeftQueue(linkedid, self.queue, at))

    def _renumber(self) -> None:
        self._callers = [replace(caller, position=number)
                         for number, caller in enumerate(self._callers, start=1)]

    def _agent(self, event: AgentEvent, at: datetime, publish: bool) -> None:
        seat = self._seats.get(event.interface)
        if seat is None:
            return
        if event.kind == "AgentComplete":
            seat.call_ended = at
        elif not publish:
            return
        elif event.kind == "AgentRingNoAnswer":
            log.info("acd.ring_no_answer", seat=seat.name, operator=event.member_name,
                     linkedid=event.linkedid)
        elif event.kind == "AgentCalled" and event.linkedid is not None:
            self._bus.publish(events.AgentCalled(event.linkedid, event.queue, seat.name,
                                                 event.member_name, event.caller_id, at,
                                                 event.campaign, event.campaign_ticket))
        elif event.kind == "AgentConnect" and event.linkedid is not None:
            self._bus.publish(events.QueueCallAnswered(event.linkedid, event.queue, seat.name,
                                                       event.member_name, event.hold_seconds,
                                                       at))

    def _hung_up(self, event: CallerAbandoned) -> bool:
        """app_queue sends the same QueueCallerAbandon for callers it lets go, to the engine's
        overflow (the maximum wait reached: TIMEOUT; nobody left to serve them: LEAVEEMPTY), as
        for callers who hang up: tell them apart."""
        if event.hold_seconds >= self._settings.max_wait_seconds:
            return False
        return any(seat.member is not None and not seat.member.paused
                   and seat.member.status not in _UNSERVICEABLE for seat in self._seats.values())

    def _wrapup_until(self, seat: _Seat) -> datetime | None:
        if seat.member is None or seat.call_ended is None:
            return None
        seconds = seat.member.wrapup_seconds or self._settings.wrapup_seconds
        return seat.call_ended + timedelta(seconds=seconds)

    def _state(self, seat: _Seat, now: datetime) -> tuple[SeatState, str | None]:
        member = seat.member
        if member is None:
            return SeatState.LOGGED_OUT, None
        if member.status in _RINGING:
            return SeatState.RINGING, None
        if member.in_call or member.status in _BUSY:
            return SeatState.IN_CALL, None
        if member.paused:
            return SeatState.PAUSED, member.reason or None
        until = self._wrapup_until(seat)
        if until is not None and now < until:
            return SeatState.WRAP_UP, None
        return SeatState.READY, None

    def _estimated_since(self, seat: _Seat, state: SeatState) -> datetime | None:
        """When a seat first seen in ``state`` (in a snapshot) entered it, if Asterisk says."""
        member = seat.member
        if member is None:
            return None
        if state == SeatState.PAUSED:
            return member.last_pause
        if state == SeatState.WRAP_UP:
            return seat.call_ended
        if state == SeatState.READY:
            times = [t for t in (member.login_time, self._wrapup_until(seat)) if t is not None]
            return max(times) if times else None
        return None  # ringing, in a call: since when is not in QueueStatus

    def _view(self, seat: _Seat, now: datetime) -> SeatView:
        state, reason = self._state(seat, now)
        operator = seat.member.name if seat.member else None
        last = seat.view
        if (state, reason, operator) == (last.state, last.reason, last.operator):
            since = last.since
        elif state == SeatState.READY and last.state == SeatState.WRAP_UP:
            since = self._wrapup_until(seat)
        else:
            since = now
        return SeatView(seat.name, seat.interface, seat.registered, operator, state, reason,
                        since)

    def _publish_seat_changes(self, at: datetime, resynced: bool = False) -> None:
        for seat in self._seats.values():
            view = self._view(seat, at)
            if resynced and (view.state, view.reason, view.operator) != (
                    seat.view.state, seat.view.reason, seat.view.operator):
                view = replace(view, since=self._estimated_since(seat, view.state))
            if view == seat.view:
                continue
            entered_wrapup = (view.state == SeatState.WRAP_UP
                              and seat.view.state != SeatState.WRAP_UP)
            seat.view = view
            self._bus.publish(events.SeatChanged(view.name, view.operator, view.state.value,
                                                 view.reason, view.registered, view.since))
            if entered_wrapup:
                self._at_wrapup_end(seat)

    def _at_wrapup_end(self, seat: _Seat) -> None:
        """Publish the seat again when its wrap-up is over (app_queue says nothing then)."""
        until = self._wrapup_until(seat)
        if until is None:
            return

        def check() -> None:
            self._publish_seat_changes(self._clock())
            if seat.view.state == SeatState.WRAP_UP:  # woken a little early
                self._at_wrapup_end(seat)

        self._timer(max(0.0, (until - self._clock()).total_seconds()), check)
