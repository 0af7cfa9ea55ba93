"""Callback tasks on SQLite and PostgreSQL: made from events, one active task per caller,
called back from the operator's seat, retried, then unreachable; the automatic mode."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from acd.state import SeatState, SeatView
from centralino.core import events
from centralino.core.bus import EventBus
from centralino.core.calls.service import get_call, record_call_started
from centralino.core.db import run_write
from centralino.core.dialing import DialFailed, DialReport
from centralino.core.hours.rules import OfficeHours, Override
from config.hours import HoursSettings
from config.settings import CallbackSettings
from cti.callbacks.models import Callback, CallbackOutcome, CallbackReason
from cti.callbacks.service import (
    CallbackRequest,
    CallbackService,
    CannotCall,
    NotAtSeat,
    call_linkedid,
)
from cti.callbacks.store import CallbackUnavailable, attempts_of, get_callback, list_callbacks

ROME = ZoneInfo("Europe/Rome")
WEDNESDAY_MORNING = datetime(2026, 3, 11, 10, 0, tzinfo=ROME)
CALLER = "+393331234567"

Sessions = async_sessionmaker[AsyncSession]


class Clock:
    def __init__(self, now: datetime = WEDNESDAY_MORNING) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Hours:
    office_hours: OfficeHours = field(default_factory=lambda: OfficeHours(HoursSettings()))
    override: Override | None = None


@dataclass
class FakeDialer:
    """Records the calls the service starts; ``refuse`` makes Asterisk say no."""

    calls: list[tuple[int, str, str]] = field(default_factory=list)
    refuse: bool = False

    async def dial(self, attempt_id: int, seat: str, number: str) -> None:
        if self.refuse:
            raise DialFailed("Originate refused: no such extension")
        self.calls.append((attempt_id, seat, number))


@dataclass
class FakeSeats:
    views: list[SeatView] = field(default_factory=list)

    def seats(self) -> list[SeatView]:
        return self.views


def ready_seat(operator: str = "alice", seat: str = "seat1",
               since: datetime = WEDNESDAY_MORNING - timedelta(minutes=5)) -> SeatView:
    return SeatView(seat, f"PJSIP/{seat}", True, operator, SeatState.READY, None, since)


@dataclass
class Desk:
    service: CallbackService
    bus: EventBus
    dialer: FakeDialer
    seats: FakeSeats
    clock: Clock
    sessions: Sessions


async def desk_for(sessions: Sessions, **settings: object) -> Desk:
    bus, dialer, seats, clock = EventBus(), FakeDialer(), FakeSeats([ready_seat()]), Clock()
    service = CallbackService(sessions, bus, dialer, seats,
                              CallbackSettings.model_validate(settings), clock)
    await service.start(Hours(), background=False)
    return Desk(service, bus, dialer, seats, clock, sessions)


@pytest.fixture
async def desk(db_session_factory: Sessions) -> Desk:
    return await desk_for(db_session_factory, max_attempts=2, retry_spacing_minutes=30)


def voicemail(linkedid: str, recording_id: int, caller_id: str = CALLER) -> CallbackRequest:
    return CallbackRequest(caller_id, CallbackReason.VOICEMAIL, linkedid, recording_id)


async def tasks(desk: Desk) -> list[Callback]:
    async with desk.sessions() as session:
        return await list_callbacks(session)


async def opened(desk: Desk) -> Callback:
    task = await desk.service.request(voicemail("100.1", 7))
    assert task is not None
    return task


# -- tasks from calls ---------------------------------------------------------------------------


async def test_a_voicemail_in_office_hours_opens_a_task_due_at_once(desk: Desk) -> None:
    desk.bus.publish(events.VoicemailStored("100.1", 7, "333 1234567", "choice",
                                            WEDNESDAY_MORNING))
    await desk.service.stop()  # waits for what the events started
    [task] = await tasks(desk)
    assert (task.caller, task.reason, task.status, task.attempts) == (
        CALLER, "voicemail", "open", 0)
    assert task.due_at == WEDNESDAY_MORNING
    assert (task.recording_ids, task.linkedids) == ([7], ["100.1"])


async def test_a_missed_call_on_saturday_is_due_on_monday_at_nine(desk: Desk) -> None:
    desk.clock.now = datetime(2026, 3, 14, 11, 0, tzinfo=ROME)
    desk.bus.publish(events.MissedCall("200.1", CALLER, "closed", desk.clock.now))
    await desk.service.stop()
    [task] = await tasks(desk)
    assert (task.reason, task.due_at) == ("missed", datetime(2026, 3, 16, 9, 0, tzinfo=ROME))


async def test_a_call_abandoned_in_the_queue_is_called_back_on_its_caller_id(
    desk: Desk,
) -> None:
    async with desk.sessions() as session:
        await run_write(session, record_call_started, "300.1", channel="PJSIP/trunk-1",
                        did="800100100", at=WEDNESDAY_MORNING, caller_id="0669820000")
    desk.bus.publish(events.QueueCallAbandoned("300.1", "operators", 1, 12, WEDNESDAY_MORNING))
    await desk.service.stop()
    [task] = await tasks(desk)
    assert (task.caller, task.reason, task.linkedids) == ("+390669820000", "abandoned",
                                                          ["300.1"])


async def test_an_anonymous_caller_gets_no_task(desk: Desk) -> None:
    assert await desk.service.request(voicemail("100.1", 7, caller_id="anonymous")) is None
    assert await tasks(desk) == []


async def test_a_new_message_joins_the_callers_open_task(desk: Desk) -> None:
    await desk.service.request(voicemail("100.1", 7, caller_id="3331234567"))
    await desk.service.request(CallbackRequest("+39 333 123 4567", CallbackReason.MISSED,
                                               "100.2"))
    await desk.service.request(voicemail("100.3", 9, caller_id="0039 3331234567"))
    [task] = await tasks(desk)
    assert task.reason == "voicemail"
    assert task.reasons == ["voicemail", "missed"]
    assert (task.linkedids, task.recording_ids) == (["100.1", "100.2", "100.3"], [7, 9])


async def test_the_same_event_twice_changes_nothing(desk: Desk) -> None:
    await desk.service.request(voicemail("100.1", 7))
    await desk.service.request(voicemail("100.1", 7))
    [task] = await tasks(desk)
    assert (task.linkedids, task.recording_ids) == (["100.1"], [7])


async def test_the_database_refuses_a_second_active_task_for_a_caller(desk: Desk) -> None:
    await opened(desk)
    async with desk.sessions() as session:
        session.add(Callback(caller=CALLER, reason="missed", reasons=["missed"], status="open",
                             due_at=WEDNESDAY_MORNING, attempts=0, linkedids=["x"],
                             recording_ids=[]))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_a_caller_reached_before_gets_a_new_task_for_a_new_message(desk: Desk) -> None:
    first = await opened(desk)
    await desk.service.call_back(first.id, "alice")
    await desk.service.finish(desk.dialer.calls[0][0], CallbackOutcome.REACHED, "ANSWER")
    second = await desk.service.request(voicemail("100.2", 8))
    assert second is not None and second.id != first.id
    assert [(t.id, t.status) for t in await tasks(desk)] == [(first.id, "reached"),
                                                            (second.id, "open")]


# -- calling back -------------------------------------------------------------------------------


async def test_call_back_rings_the_operators_seat_for_the_caller(desk: Desk) -> None:
    task = await opened(desk)
    called = await desk.service.call_back(task.id, "alice")
    assert (called.status, called.assigned_to) == ("in_progress", "alice")
    [(attempt_id, seat, number)] = desk.dialer.calls
    assert (seat, number) == ("seat1", CALLER)
    async with desk.sessions() as session:
        [attempt] = await attempts_of(session, task.id)
    assert (attempt.id, attempt.operator, attempt.seat, attempt.outcome) == (
        attempt_id, "alice", "seat1", None)


@pytest.mark.parametrize(("reports", "answered", "disposition"), [
    (["ANSWER"], True, "answered"),  # the caller answered: the conversation goes on
    (["ANSWER", "ANSWER"], True, "answered"),  # ... and ended (the hang-up handler's report)
    (["BUSY"], False, "failed"),
])
async def test_a_callback_is_a_call_too_with_its_origin(
        desk: Desk, reports: list[str], answered: bool, disposition: str) -> None:
    task = await opened(desk)
    await desk.service.call_back(task.id, "alice")
    attempt_id = desk.dialer.calls[0][0]
    for status in reports:
        desk.service.on_result(DialReport(attempt_id, "caller", status))
        await desk.service.stop()  # waits for the report's work
    async with desk.sessions() as session:
        call = await get_call(session, call_linkedid(attempt_id))
    assert call is not None
    assert (call.origin, call.caller_id) == ("callback", CALLER)
    assert (call.answered_at is not None) is answered
    ended = len(reports) == 2 or not answered
    assert (call.ended_at is not None, call.disposition) == (
        ended, disposition if ended else "answered")


async def test_a_task_being_called_cannot_be_called_by_another_operator(desk: Desk) -> None:
    desk.seats.views.append(ready_seat("bob", "seat2"))
    task = await opened(desk)
    await desk.service.call_back(task.id, "alice")
    with pytest.raises(CallbackUnavailable, match="in_progress"):
        await desk.service.call_back(task.id, "bob")


async def test_an_operator_not_at_a_seat_cannot_call_back(desk: Desk) -> None:
    task = await opened(desk)
    with pytest.raises(NotAtSeat):
        await desk.service.call_back(task.id, "carol")
    assert desk.dialer.calls == []


async def test_no_call_starts_without_a_trunk_or_from_an_unregistered_seat(desk: Desk) -> None:
    task = await opened(desk)
    assert desk.service.call_blocker("alice") is None
    assert desk.service.call_blocker("carol") == CannotCall.NO_SEAT
    desk.seats.views[0] = replace(desk.seats.views[0], registered=False)
    assert desk.service.call_blocker("alice") == CannotCall.SEAT_UNREGISTERED
    with pytest.raises(CannotCall) as refused:
        await desk.service.call_back(task.id, "alice")
    assert refused.value.reason == CannotCall.SEAT_UNREGISTERED
    desk.seats.views[0] = ready_seat()
    desk.service.outbound_trunk = False
    assert desk.service.call_blocker("alice") == CannotCall.NO_TRUNK
    with pytest.raises(CannotCall):
        await desk.service.call_back(task.id, "alice")
    assert await desk.service.offer_due() == []  # the automatic mode waits for a trunk too
    assert desk.dialer.calls == []
    [after] = await tasks(desk)
    assert after.status == "open" and after.attempts == 0 and after.last_outcome is None


async def test_a_call_asterisk_refuses_leaves_the_task_open_and_uncounted(desk: Desk) -> None:
    task = await opened(desk)
    desk.dialer.refuse = True
    with pytest.raises(DialFailed):
        await desk.service.call_back(task.id, "alice")
    [after] = await tasks(desk)
    assert (after.status, after.attempts, after.last_outcome) == ("open", 0, "failed")


async def test_unanswered_calls_are_retried_with_spacing_then_the_caller_is_unreachable(
    desk: Desk,
) -> None:
    task = await opened(desk)
    await desk.service.call_back(task.id, "alice")
    after = await desk.service.finish(desk.dialer.calls[-1][0], CallbackOutcome.NO_ANSWER,
                                      "NOANSWER")
    assert after is not None
    assert (after.status, after.attempts, after.due_at) == (
        "open", 1, WEDNESDAY_MORNING + timedelta(minutes=30))
    desk.clock.now += timedelta(minutes=30)
    await desk.service.call_back(task.id, "alice")
    after = await desk.service.finish(desk.dialer.calls[-1][0], CallbackOutcome.BUSY, "BUSY")
    assert after is not None
    assert (after.status, after.attempts, after.last_outcome) == ("unreachable", 2, "busy")


async def test_a_retry_due_after_closing_time_waits_for_the_next_opening(desk: Desk) -> None:
    desk.clock.now = datetime(2026, 3, 11, 15, 45, tzinfo=ROME)
    task = await opened(desk)
    await desk.service.call_back(task.id, "alice")
    after = await desk.service.finish(desk.dialer.calls[-1][0], CallbackOutcome.NO_ANSWER,
                                      "NOANSWER")
    assert after is not None and after.due_at == datetime(2026, 3, 12, 9, 0, tzinfo=ROME)


async def test_a_result_reported_twice_is_stored_once(desk: Desk) -> None:
    task = await opened(desk)
    await desk.service.call_back(task.id, "alice")
    attempt_id = desk.dialer.calls[0][0]
    assert await desk.service.finish(attempt_id, CallbackOutcome.NO_ANSWER, "NOANSWER")
    assert await desk.service.finish(attempt_id, CallbackOutcome.NO_ANSWER, "NOANSWER") is None
    async with desk.sessions() as session:
        stored = await get_callback(session, task.id)
    assert stored is not None and stored.attempts == 1


# -- the automatic mode -------------------------------------------------------------------------


async def test_a_seat_idle_long_enough_is_offered_the_task_due_longest_ago(
    db_session_factory: Sessions,
) -> None:
    desk = await desk_for(db_session_factory, auto_offer_idle_seconds=60)
    desk.clock.now = WEDNESDAY_MORNING - timedelta(minutes=10)
    older = await desk.service.request(voicemail("100.1", 7))
    desk.clock.now = WEDNESDAY_MORNING
    await desk.service.request(voicemail("100.2", 8, caller_id="+390669820000"))
    offered = await desk.service.offer_due()
    assert older is not None and [t.id for t in offered] == [older.id]
    assert [(seat, number) for _, seat, number in desk.dialer.calls] == [("seat1", CALLER)]
    assert await desk.service.offer_due() == []  # alice's call is still on


async def test_a_seat_idle_only_briefly_is_not_offered_a_task(
    db_session_factory: Sessions,
) -> None:
    desk = await desk_for(db_session_factory, auto_offer_idle_seconds=600)
    await desk.service.request(voicemail("100.1", 7))
    assert await desk.service.offer_due() == []
    assert desk.dialer.calls == []


async def test_nothing_is_offered_while_the_center_is_closed(
    db_session_factory: Sessions,
) -> None:
    desk = await desk_for(db_session_factory)
    desk.clock.now = datetime(2026, 3, 11, 20, 0, tzinfo=ROME)
    desk.seats.views = [ready_seat(since=desk.clock.now - timedelta(hours=1))]
    await desk.service.request(voicemail("100.1", 7))
    assert await desk.service.offer_due() == []


async def test_an_attempt_never_reported_is_failed_once_its_call_must_be_over(
    desk: Desk,
) -> None:
    task = await opened(desk)
    await desk.service.call_back(task.id, "alice")
    desk.clock.now += timedelta(seconds=30)  # ringing, dialling: not lost yet
    assert await desk.service.fail_lost_attempts() == []
    desk.clock.now += timedelta(minutes=5)
    [after] = await desk.service.fail_lost_attempts()
    assert (after.id, after.status, after.attempts, after.last_outcome) == (
        task.id, "open", 0, "failed")
    async with desk.sessions() as session:
        call = await get_call(session, call_linkedid(desk.dialer.calls[0][0]))
    assert call is not None and call.disposition == "lost"
