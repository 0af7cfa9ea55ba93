"""Callback tasks for the engine: made from the bus's events, called back from a seat.

- :class:`~centralino.core.events.VoicemailStored`, :class:`~centralino.core.events.MissedCall` and
  :class:`~centralino.core.events.QueueCallAbandoned` open a task for the caller (or join their
  active one), due at once in office hours, else at the next opening;
- :meth:`CallbackService.call_back` rings the operator's seat, then dials the caller
  (:class:`cti.callbacks.dialer.CallbackDialer`); the dialplan's result moves the task on;
  :meth:`CallbackService.call_blocker` says beforehand why no call can work (no outbound
  trunk, the operator at no seat, the seat's phone not registered), and ``call_back`` refuses
  then, before an attempt is stored;
- with ``callbacks.auto_offer`` a loop offers the next due task to a seat idle long enough;
- an attempt nobody reported on (a result lost with the AMI connection, an engine restart) is
  stored as ``failed`` once its call must be over, so its task can be called again;
- an operator may close an open task by hand (:meth:`CallbackService.close`);
- every change of a task is a :class:`~centralino.core.events.CallbackChanged` on the bus (the
  consoles' list follows it).

Bus handlers only start a task: the database work runs beside the loop's other work.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from acd.state import SeatState, SeatView
from centralino.core import events
from centralino.core.bus import EventBus
from centralino.core.calls.service import (
    get_call,
    record_call_answered,
    record_call_ended,
    record_call_started,
)
from centralino.core.calls.terms import CallDisposition, CallOrigin
from centralino.core.db import run_write
from centralino.core.dialing import DialFailed, DialOutcome, DialReport
from centralino.core.hours.rules import CenterState, OfficeHours, Override, effective_status
from centralino.core.tasks import TaskSet, cancel_and_wait
from config.settings import CallbackSettings
from cti.callbacks.dialer import outcome_of
from cti.callbacks.models import Callback, CallbackOutcome, CallbackReason
from cti.callbacks.rules import diallable_caller, due_at
from cti.callbacks.store import (
    CallbackUnavailable,
    begin_attempt,
    close_by_hand,
    finish_attempt,
    next_due,
    record_request,
    unfinished_attempts,
)

log = structlog.get_logger(__name__)

LOOP_INTERVAL_SECONDS = 5.0  # how often idle seats and lost attempts are looked for
LOST_MARGIN_SECONDS = 60  # after the longest ring + dial, an unreported attempt is lost


def call_linkedid(attempt_id: int) -> str:
    """The key of a callback attempt's row in the calls table (it never enters Stasis)."""
    return f"callback-{attempt_id}"


class CannotCall(Exception):
    """No call back can work now; ``reason`` is one of the codes below."""

    NO_TRUNK = "no_trunk"  # toll_free.outbound_contact unset: the caller cannot be dialled
    NO_SEAT = "no_seat"  # the operator is not logged in at a seat
    SEAT_UNREGISTERED = "seat_unregistered"  # no phone is registered as the seat

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class NotAtSeat(CannotCall):
    """The operator is not logged in at a seat: there is nothing to ring."""

    def __init__(self, message: str) -> None:
        super().__init__(CannotCall.NO_SEAT, message)


class Dialer(Protocol):
    """What the service needs of :class:`cti.callbacks.dialer.CallbackDialer`."""

    async def dial(self, attempt_id: int, seat: str, number: str) -> None: ...


class Seats(Protocol):
    """What the service reads of the ACD picture (:class:`acd.state.AcdPicture`)."""

    def seats(self) -> list[SeatView]: ...


class Hours(Protocol):
    """The office hours and the override in force
    (:class:`centralino.core.hours.service.HoursService`)."""

    @property
    def office_hours(self) -> OfficeHours: ...

    @property
    def override(self) -> Override | None: ...


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    """A caller the center owes a call, from one event."""

    caller_id: str | None
    reason: CallbackReason
    linkedid: str
    recording_id: int | None = None


class CallbackService:
    """Subscribes to the bus when made; :meth:`start` once the office hours are known."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], bus: EventBus,
                 dialer: Dialer, seats: Seats, settings: CallbackSettings,
                 clock: Callable[[], datetime], *, outbound_trunk: bool = True) -> None:
        """``outbound_trunk``: whether calls out have a trunk (``toll_free.outbound_contact``)."""
        self._sessions = sessions
        self.outbound_trunk = outbound_trunk
        self._bus = bus
        self._dialer = dialer
        self._seats = seats
        self.settings = settings
        self._clock = clock
        self._hours: Hours | None = None
        self._calling: dict[int, str] = {}  # attempt id -> operator, while the call is on
        self._tasks = TaskSet(failure_event="callbacks.event_failed")
        self._loop: asyncio.Task[None] | None = None
        bus.subscribe(events.VoicemailStored, lambda e: self._spawn(self.request(CallbackRequest(
            e.caller_id, CallbackReason.VOICEMAIL, e.linkedid, e.recording_id))))
        bus.subscribe(events.MissedCall, lambda e: self._spawn(self.request(CallbackRequest(
            e.caller_id, CallbackReason.MISSED, e.linkedid))))
        bus.subscribe(events.QueueCallAbandoned, lambda e: self._spawn(self.abandoned(e)))

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self, hours: Hours, *, background: bool = True) -> None:
        """Use ``hours`` for due times; look for lost attempts (and, with ``auto_offer``,
        idle seats) in the background (``background=False``: only when asked, as tests do)."""
        self._hours = hours
        if background and self._loop is None:
            self._loop = asyncio.create_task(self._keep_going(), name="callbacks")

    async def stop(self) -> None:
        """Stop the background work; wait for the tasks being recorded."""
        await cancel_and_wait(self._loop)
        self._loop = None
        await self._tasks.wait()

    # -- tasks from calls -------------------------------------------------------------------------

    async def request(self, request: CallbackRequest) -> Callback | None:
        """Open or join the caller's task; ``None`` (logged) for a caller id not to call back."""
        caller = diallable_caller(request.caller_id)
        if caller is None:
            log.info("callbacks.not_diallable", caller_id=request.caller_id,
                     reason=request.reason.value, linkedid=request.linkedid)
            return None
        now = self._clock()
        async with self._sessions() as session:
            task = await record_request(session, caller=caller, reason=request.reason,
                                        linkedid=request.linkedid, due=self.due(now), now=now,
                                        recording_id=request.recording_id)
        log.info("callbacks.requested", callback=task.id, caller=caller,
                 reason=request.reason.value, due_at=task.due_at.isoformat())
        self._changed(task)
        return task

    async def abandoned(self, event: events.QueueCallAbandoned) -> Callback | None:
        """A caller who hung up in the queue: their number is the call's caller id."""
        async with self._sessions() as session:
            call = await get_call(session, event.linkedid)
        return await self.request(CallbackRequest(call.caller_id if call else None,
                                           CallbackReason.ABANDONED, event.linkedid))

    def due(self, moment: datetime) -> datetime:
        """When a task that may be called from ``moment`` is due (office hours)."""
        if self._hours is None:
            return moment
        return due_at(moment, self._hours.office_hours, self._hours.override)

    # -- calling back -----------------------------------------------------------------------------

    def call_blocker(self, operator: str) -> str | None:
        """Why no call back by ``operator`` can work now (a :class:`CannotCall` code), or None."""
        if not self.outbound_trunk:
            return CannotCall.NO_TRUNK
        seat = next((s for s in self._seats.seats() if s.operator == operator), None)
        if seat is None:
            return CannotCall.NO_SEAT
        if not seat.registered:
            return CannotCall.SEAT_UNREGISTERED
        return None

    async def call_back(self, callback_id: int, operator: str) -> Callback:
        """Ring ``operator``'s seat, then dial the task's caller.

        Raises :class:`CannotCall` (:class:`NotAtSeat` at no seat; nothing stored),
        :class:`CallbackUnavailable` (not open), or :class:`DialFailed` (Asterisk did not take
        the call; the attempt is stored as failed).
        """
        blocker = self.call_blocker(operator)
        if blocker == CannotCall.NO_SEAT:
            raise NotAtSeat(f"{operator} is not logged in at a seat")
        if blocker is not None:
            raise CannotCall(blocker, f"{operator} cannot call back: {blocker}")
        seat = next(s.name for s in self._seats.seats() if s.operator == operator)
        async with self._sessions() as session:
            task, attempt = await begin_attempt(session, callback_id, operator, seat,
                                                self._clock())
        self._calling[attempt.id] = operator
        await self._record_call(attempt.id, lambda connection: record_call_started(
            connection, call_linkedid(attempt.id), channel=f"Local/{seat}@callback-ring-seat",
            did=task.caller, at=attempt.started_at, caller_id=task.caller,
            origin=CallOrigin.CALLBACK))
        log.info("callbacks.calling", callback=task.id, attempt=attempt.id, operator=operator,
                 seat=seat, caller=task.caller)
        self._changed(task)
        try:
            await self._dialer.dial(attempt.id, seat, task.caller)
        except (DialFailed, ValueError) as exc:
            log.warning("callbacks.dial_failed", callback=task.id, attempt=attempt.id,
                        error=str(exc))
            await self.finish(attempt.id, CallbackOutcome.FAILED, None)
            raise DialFailed(str(exc)) from exc
        return task

    def on_result(self, report: DialReport) -> None:
        """The dialplan's report of an attempt (an AMI handler: the work goes in a task)."""
        self._spawn(self.finish(report.attempt_id, outcome_of(report), report.dial_status))
        self._spawn(self._follow_call(report))

    async def _follow_call(self, report: DialReport) -> None:
        """The attempt's row in the calls table: the caller's answer (their leg's first
        ``ANSWER``), then its end (the next report; any other status ends it unanswered)."""
        linkedid, now = call_linkedid(report.attempt_id), self._clock()
        async with self._sessions() as session:
            call = await get_call(session, linkedid)
        if call is None or call.ended_at is not None:
            return
        if report.outcome is DialOutcome.ANSWERED and call.answered_at is None:
            await self._record_call(report.attempt_id, lambda connection: record_call_answered(
                connection, linkedid, now))
            return
        await self._end_call(report.attempt_id, CallDisposition.ANSWERED
                             if call.answered_at is not None else CallDisposition.FAILED)

    async def _end_call(self, attempt_id: int, disposition: CallDisposition) -> None:
        linkedid, now = call_linkedid(attempt_id), self._clock()
        await self._record_call(attempt_id, lambda connection: record_call_ended(
            connection, linkedid, now, disposition))

    async def _record_call(self, attempt_id: int, write: Callable[[Connection], None]) -> None:
        """A write to the calls table; a failure is logged, the callback goes on."""
        try:
            async with self._sessions() as session:
                await run_write(session, write)
        except Exception:
            log.exception("callbacks.call_row_failed", attempt=attempt_id)

    async def finish(self, attempt_id: int, outcome: CallbackOutcome,
                     dial_status: str | None) -> Callback | None:
        """Store an attempt's outcome; ``None`` if it was already stored."""
        self._calling.pop(attempt_id, None)
        async with self._sessions() as session:
            task = await finish_attempt(session, attempt_id, outcome, dial_status, self._clock(),
                                        self.settings, self.due)
        if task is not None:
            log.info("callbacks.attempt_ended", callback=task.id, attempt=attempt_id,
                     outcome=outcome.value, dial_status=dial_status, status=task.status,
                     attempts=task.attempts)
            self._changed(task)
        return task

    async def close(self, callback_id: int, operator: str) -> Callback:
        """Close an open task by hand (no call needed); raises :class:`CallbackUnavailable`
        if it is not open."""
        async with self._sessions() as session:
            task = await close_by_hand(session, callback_id, operator, self._clock())
        log.info("callbacks.closed_by_hand", callback=task.id, operator=operator,
                 caller=task.caller)
        self._changed(task)
        return task

    # -- the automatic mode -----------------------------------------------------------------------

    async def offer_due(self) -> list[Callback]:
        """Offer due tasks to seats idle for ``auto_offer_idle_seconds``, while the center is
        open; return the tasks being called."""
        now = self._clock()
        if not self.outbound_trunk or self._hours is None or effective_status(
                self._hours.office_hours.status_at(now),
                self._hours.override).state is not CenterState.OPEN:
            return []
        idle_since = now - timedelta(seconds=self.settings.auto_offer_idle_seconds)
        calling = set(self._calling.values())
        offered = []
        for seat in self._seats.seats():
            if (seat.state is not SeatState.READY or seat.operator is None
                    or not seat.registered or seat.operator in calling
                    or seat.since is None or seat.since > idle_since):
                continue
            async with self._sessions() as session:
                task = await next_due(session, now)
            if task is None:
                break
            with contextlib.suppress(CallbackUnavailable, DialFailed):  # taken, or logged
                offered.append(await self.call_back(task.id, seat.operator))
        return offered

    async def fail_lost_attempts(self) -> list[Callback]:
        """Store as failed the attempts whose call must be over but were never reported."""
        longest = (self.settings.ring_seat_seconds + self.settings.dial_caller_seconds
                   + LOST_MARGIN_SECONDS)
        async with self._sessions() as session:
            lost = await unfinished_attempts(session,
                                             self._clock() - timedelta(seconds=longest))
        finished = []
        for attempt_id in lost:  # an answered caller is reported at once: these are lost
            log.warning("callbacks.attempt_lost", attempt=attempt_id)
            await self._end_call(attempt_id, CallDisposition.LOST)
            task = await self.finish(attempt_id, CallbackOutcome.FAILED, None)
            if task is not None:
                finished.append(task)
        return finished

    async def _keep_going(self) -> None:
        while True:
            await asyncio.sleep(LOOP_INTERVAL_SECONDS)
            try:
                await self.fail_lost_attempts()
                if self.settings.auto_offer:
                    await self.offer_due()
            except Exception:  # a database or AMI hiccup: try again next round
                log.exception("callbacks.background_failed")

    def _changed(self, task: Callback) -> None:
        self._bus.publish(events.CallbackChanged(task.id, task.status))

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        self._tasks.spawn(work)
