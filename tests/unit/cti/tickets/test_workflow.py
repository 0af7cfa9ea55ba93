"""The ticket workflow: allowed moves, the history of every change, SLA due times, concurrency."""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.calls.service import record_call_started
from centralino.core.db import run_write, utcnow
from config.menu import MenuFile
from cti.tickets.classifications import sla_hours_for
from cti.tickets.models import Ticket, TicketStatus
from cti.tickets.store import get_ticket, open_ticket_for_call
from cti.tickets.workflow import (
    TRANSITIONS,
    ConcurrentChange,
    InvalidTicketChange,
    InvalidTransition,
    TicketNotFound,
    add_note,
    allowed_from,
    assign,
    change_status,
    classify,
    history,
    overdue,
    request_callback,
    request_second_level,
    resolve,
    ticket_counts_by_status,
)

Sessions = async_sessionmaker[AsyncSession]
S = TicketStatus

MENU = MenuFile.model_validate({
    "version": 1,
    "classifications": [
        {"code": "seismic", "label": "Seismic", "sla_hours": 4, "children": [
            {"code": "seismic.damage", "label": "Damage"},
            {"code": "seismic.event", "label": "Event", "sla_hours": 1}]},
        {"code": "volunteering", "label": "Volunteering", "sla_hours": 72},
        {"code": "status_request", "label": "Case status"},
    ],
    "entry": {"open": "main", "closed": "main"},
    "nodes": {"main": {"action": "hangup"}},
})


async def new_ticket(sessions: Sessions, linkedid: str) -> str:
    """The tracking code of a new ticket, opened for a new call ``linkedid``."""
    async with sessions() as session:
        await run_write(session, record_call_started, linkedid, channel="PJSIP/trunk-1",
                        did="800100100", at=utcnow(), caller_id="3331234567")
        return (await open_ticket_for_call(session, linkedid)).tracking_code


def path_to(status: TicketStatus) -> list[TicketStatus]:
    """The fewest moves that take a new ticket to ``status``."""
    routes: deque[list[TicketStatus]] = deque([[]])
    while routes:
        route = routes.popleft()
        here = route[-1] if route else S.NEW
        if here is status:
            return route
        routes.extend([*route, to] for to in TRANSITIONS[here] if to not in route)
    raise AssertionError(f"no way to {status}")


async def ticket_in(sessions: Sessions, linkedid: str, status: TicketStatus) -> str:
    code = await new_ticket(sessions, linkedid)
    async with sessions() as session:
        for step in path_to(status):
            await change_status(session, code, step, "setup")
    return code


async def stored(sessions: Sessions, code: str) -> Ticket:
    async with sessions() as session:
        ticket = await get_ticket(session, code)
    assert ticket is not None
    return ticket


def test_the_transitions_are_those_of_the_workflow() -> None:
    assert TRANSITIONS == {
        S.NEW: {S.ASSIGNED, S.IN_PROGRESS, S.WAITING_SECOND_LEVEL, S.RESOLVED},
        S.ASSIGNED: {S.IN_PROGRESS, S.WAITING_SECOND_LEVEL, S.RESOLVED},
        S.IN_PROGRESS: {S.WAITING_SECOND_LEVEL, S.RESOLVED},
        S.WAITING_SECOND_LEVEL: {S.IN_PROGRESS, S.RESOLVED},
        S.RESOLVED: {S.CLOSED, S.REOPENED},
        S.CLOSED: {S.REOPENED},
        S.REOPENED: {S.ASSIGNED, S.IN_PROGRESS, S.WAITING_SECOND_LEVEL, S.RESOLVED},
    }


async def test_every_allowed_transition_is_made_and_recorded_with_its_actor(
    db_session_factory: Sessions,
) -> None:
    moves = [(start, target) for start in S for target in allowed_from(start)]
    assert len(moves) == 18
    for n, (start, target) in enumerate(moves):
        code = await ticket_in(db_session_factory, f"allowed.{n}", start)
        async with db_session_factory() as session:
            ticket = await change_status(session, code, target, "anna", "because")
            events = await history(session, code)
        assert ticket.status == target
        last = events[-1]
        assert (last.kind, last.from_value, last.to_value, last.actor, last.detail) == (
            "status", start, target, "anna", "because"), (start, target)


async def test_every_other_transition_is_refused_naming_from_to_and_the_allowed_ones(
    db_session_factory: Sessions,
) -> None:
    for start in S:
        code = await ticket_in(db_session_factory, f"refused.{start}", start)
        async with db_session_factory() as session:
            before = len(await history(session, code))
            for target in S:
                if target in TRANSITIONS[start]:
                    continue
                with pytest.raises(InvalidTransition) as refused:
                    await change_status(session, code, target, "anna")
                assert (refused.value.from_status, refused.value.to_status) == (start, target)
                assert refused.value.allowed == allowed_from(start)
                message = str(refused.value)
                assert f"from {start} to {target}" in message
                assert all(status in message for status in allowed_from(start))
            assert len(await history(session, code)) == before
        assert (await stored(db_session_factory, code)).status == start


async def test_resolving_and_closing_stamp_their_times_and_reopening_clears_them(
    db_session_factory: Sessions,
) -> None:
    code = await new_ticket(db_session_factory, "times.1")
    async with db_session_factory() as session:
        resolved = await resolve(session, code, "Sent a technician", "anna")
        assert resolved.resolution == "Sent a technician"
        assert resolved.resolved_at is not None and resolved.closed_at is None
        closed = await change_status(session, code, "closed", "supervisor")
        assert closed.resolved_at == resolved.resolved_at
        assert closed.closed_at is not None and closed.closed_at >= closed.resolved_at
        reopened = await change_status(session, code, "reopened", "supervisor", "citizen called")
    assert (reopened.resolved_at, reopened.closed_at) == (None, None)


async def test_history_records_who_changed_what_and_when_oldest_first(
    db_session_factory: Sessions,
) -> None:
    code = await new_ticket(db_session_factory, "history.1")
    before = utcnow()
    async with db_session_factory() as session:
        await assign(session, code, "anna", "supervisor")
        await change_status(session, code, "in_progress", "anna")
        await classify(session, code, "seismic.damage", "anna", 4)
        await add_note(session, code, "Cracks in the kitchen wall", "anna")
        await request_second_level(session, code, "genio-civile", "anna", "needs an engineer")
        await request_callback(session, code, "anna")
        await resolve(session, code, "Building inspected", "mario")
        events = await history(session, code)
    after = utcnow()

    assert [(e.kind, e.actor, e.from_value, e.to_value) for e in events] == [
        ("status", "supervisor", "new", "assigned"),
        ("assignment", "supervisor", None, "anna"),
        ("status", "anna", "assigned", "in_progress"),
        ("classification", "anna", None, "seismic.damage"),
        ("note", "anna", None, None),
        ("status", "anna", "in_progress", "waiting_second_level"),
        ("second_level", "anna", None, "genio-civile"),
        ("callback", "anna", "no", "yes"),
        ("status", "mario", "waiting_second_level", "resolved"),
    ]
    assert [e.detail for e in events if e.kind in ("note", "second_level")] == [
        "Cracks in the kitchen wall", "needs an engineer"]
    assert events[-1].detail == "Building inspected"
    times = [e.at for e in events]
    assert times == sorted(times)
    assert before <= times[0] and times[-1] <= after


async def test_assigning_makes_a_new_ticket_assigned_and_hands_over_one_being_worked_on(
    db_session_factory: Sessions,
) -> None:
    code = await new_ticket(db_session_factory, "assign.1")
    async with db_session_factory() as session:
        first = await assign(session, code, "anna", "supervisor")
        assert (first.status, first.assigned_to) == ("assigned", "anna")
        await change_status(session, code, "in_progress", "anna")
        handed = await assign(session, code, "mario", "supervisor")
        events = await history(session, code)
    assert (handed.status, handed.assigned_to) == ("in_progress", "mario")
    assert (events[-1].kind, events[-1].from_value, events[-1].to_value) == (
        "assignment", "anna", "mario")


async def test_a_resolved_ticket_is_not_assigned_until_it_is_reopened(
    db_session_factory: Sessions,
) -> None:
    code = await ticket_in(db_session_factory, "assign.2", S.RESOLVED)
    async with db_session_factory() as session:
        with pytest.raises(InvalidTransition, match="from resolved to assigned"):
            await assign(session, code, "anna", "supervisor")
        await change_status(session, code, "reopened", "supervisor")
        ticket = await assign(session, code, "anna", "supervisor")
    assert (ticket.status, ticket.assigned_to) == ("assigned", "anna")


async def test_a_change_that_changes_nothing_writes_no_history(
    db_session_factory: Sessions,
) -> None:
    code = await new_ticket(db_session_factory, "same.1")
    async with db_session_factory() as session:
        await assign(session, code, "anna", "supervisor")
        await classify(session, code, "volunteering", "anna", 72)
        await request_callback(session, code, "anna")
        count = len(await history(session, code))
        await assign(session, code, "anna", "supervisor")
        await classify(session, code, "volunteering", "anna", 72)
        await request_callback(session, code, "anna")
        assert len(await history(session, code)) == count
        cancelled = await request_callback(session, code, "anna", requested=False)
        assert cancelled.callback_requested is False
        assert len(await history(session, code)) == count + 1


async def test_notes_are_appended_and_two_written_at_once_are_both_kept(
    db_session_factory: Sessions,
) -> None:
    code = await new_ticket(db_session_factory, "notes.1")

    async def note(text: str, actor: str) -> None:
        async with db_session_factory() as session:
            await add_note(session, code, text, actor)

    await note("First call: water in the cellar", "anna")
    await asyncio.gather(note("Called back, no answer", "anna"),
                         note("Firefighters informed", "mario"))
    ticket = await stored(db_session_factory, code)
    assert ticket.notes is not None
    assert ticket.notes.startswith("First call: water in the cellar\n\n")
    assert "Called back, no answer" in ticket.notes and "Firefighters informed" in ticket.notes
    async with db_session_factory() as session:
        assert [e.kind for e in await history(session, code)] == ["note"] * 3


async def test_second_level_names_the_team_and_a_waiting_ticket_can_change_team(
    db_session_factory: Sessions,
) -> None:
    code = await ticket_in(db_session_factory, "second.1", S.IN_PROGRESS)
    async with db_session_factory() as session:
        waiting = await request_second_level(session, code, "genio-civile", "anna",
                                             "structural check")
        assert (waiting.status, waiting.second_level_team) == (
            "waiting_second_level", "genio-civile")
        moved = await request_second_level(session, code, "forestali", "anna")
        events = await history(session, code)
    assert (moved.status, moved.second_level_team) == ("waiting_second_level", "forestali")
    assert (events[-1].kind, events[-1].from_value, events[-1].to_value) == (
        "second_level", "genio-civile", "forestali")


async def test_classifying_sets_the_due_time_from_the_sla_children_inheriting_their_parents(
    db_session_factory: Sessions,
) -> None:
    code = await new_ticket(db_session_factory, "sla.1")
    created = (await stored(db_session_factory, code)).created_at
    async with db_session_factory() as session:
        inherited = await classify(session, code, "seismic.damage", "ivr",
                                   sla_hours_for(MENU, "seismic.damage"))
        assert inherited.due_at == created + timedelta(hours=4)
        own = await classify(session, code, "seismic.event", "anna",
                             sla_hours_for(MENU, "seismic.event"))
        assert own.due_at == created + timedelta(hours=1)
        none = await classify(session, code, "status_request", "anna",
                              sla_hours_for(MENU, "status_request"))
        assert none.due_at is None
        events = await history(session, code)
    assert [(e.from_value, e.to_value, e.actor) for e in events] == [
        (None, "seismic.damage", "ivr"), ("seismic.damage", "seismic.event", "anna"),
        ("seismic.event", "status_request", "anna")]
    assert events[0].detail == f"due {(created + timedelta(hours=4)).isoformat()}"


async def test_classifying_a_resolved_ticket_leaves_its_due_time(
    db_session_factory: Sessions,
) -> None:
    code = await new_ticket(db_session_factory, "sla.2")
    async with db_session_factory() as session:
        due = (await classify(session, code, "seismic", "anna", 4)).due_at
        await resolve(session, code, "Answered on the phone", "anna")
        ticket = await classify(session, code, "volunteering", "anna", 72)
    assert ticket.classification == "volunteering"
    assert ticket.due_at == due


async def test_overdue_lists_open_tickets_past_their_due_time_longest_overdue_first(
    db_session_factory: Sessions,
) -> None:
    four_hours = await new_ticket(db_session_factory, "late.4h")
    one_hour = await new_ticket(db_session_factory, "late.1h")
    three_days = await new_ticket(db_session_factory, "late.72h")
    resolved = await new_ticket(db_session_factory, "late.resolved")
    unclassified = await new_ticket(db_session_factory, "late.none")
    async with db_session_factory() as session:
        await classify(session, four_hours, "seismic", "anna", 4)
        await classify(session, one_hour, "seismic.event", "anna", 1)
        await classify(session, three_days, "volunteering", "anna", 72)
        await classify(session, resolved, "seismic.event", "anna", 1)
        await resolve(session, resolved, "done", "anna")
        now = utcnow() + timedelta(hours=5)
        late = await overdue(session, now, limit=10)
        first = await overdue(session, now, limit=1)
        earlier = await overdue(session, utcnow() + timedelta(hours=2), limit=10)
    assert [t.tracking_code for t in late] == [one_hour, four_hours]
    assert [t.tracking_code for t in first] == [one_hour]
    assert [t.tracking_code for t in earlier] == [one_hour]
    assert late[0].call is not None and late[0].call.caller_id == "3331234567"
    assert unclassified not in [t.tracking_code for t in late]


async def test_a_change_from_a_status_the_ticket_has_left_is_a_concurrent_change(
    db_session_factory: Sessions,
) -> None:
    code = await new_ticket(db_session_factory, "race.1")
    async with db_session_factory() as session:
        await assign(session, code, "mario", "mario")  # while anna's form still shows "new"
        with pytest.raises(ConcurrentChange, match=code):
            await change_status(session, code, "in_progress", "anna", expected="new")
        events = await history(session, code)
    assert (await stored(db_session_factory, code)).status == "assigned"
    assert [e.actor for e in events] == ["mario", "mario"]


async def test_of_two_operators_moving_one_ticket_at_once_only_one_wins(
    db_session_factory: Sessions,
) -> None:
    code = await new_ticket(db_session_factory, "race.2")

    async def take(actor: str) -> Ticket:
        async with db_session_factory() as session:
            return await change_status(session, code, "in_progress", actor)

    results = await asyncio.gather(take("anna"), take("mario"), return_exceptions=True)
    winners = [r for r in results if isinstance(r, Ticket)]
    losers = [r for r in results if isinstance(r, ConcurrentChange | InvalidTransition)]
    assert (len(winners), len(losers)) == (1, 1), results
    async with db_session_factory() as session:
        assert len(await history(session, code)) == 1


async def test_counts_by_status_name_every_status(db_session_factory: Sessions) -> None:
    await new_ticket(db_session_factory, "count.1")
    await ticket_in(db_session_factory, "count.2", S.RESOLVED)
    await ticket_in(db_session_factory, "count.3", S.RESOLVED)
    async with db_session_factory() as session:
        counts = await ticket_counts_by_status(session)
    assert counts == {"new": 1, "assigned": 0, "in_progress": 0, "waiting_second_level": 0,
                      "resolved": 2, "closed": 0, "reopened": 0}


async def test_an_unknown_ticket_an_unknown_status_and_a_blank_actor_are_refused(
    db_session_factory: Sessions,
) -> None:
    code = await new_ticket(db_session_factory, "bad.1")
    async with db_session_factory() as session:
        with pytest.raises(TicketNotFound):
            await change_status(session, "123456786", "resolved", "anna")
        with pytest.raises(TicketNotFound):
            await history(session, "123456786")
        with pytest.raises(InvalidTicketChange, match="unknown status 'done'"):
            await change_status(session, code, "done", "anna")
        with pytest.raises(InvalidTicketChange, match="actor"):
            await change_status(session, code, "resolved", "  ")
        with pytest.raises(InvalidTicketChange, match="resolution"):
            await resolve(session, code, "", "anna")
        assert await history(session, code) == []


async def test_the_database_refuses_a_status_outside_the_workflow(
    db_session_factory: Sessions,
) -> None:
    code = await new_ticket(db_session_factory, "check.1")
    async with db_session_factory() as session:
        with pytest.raises(IntegrityError):
            await session.execute(update(Ticket).where(Ticket.tracking_code == code)
                                  .values(status="lost"))
        await session.rollback()
        with pytest.raises(IntegrityError):
            await session.execute(text(
                "INSERT INTO ticket_events (ticket_id, at, actor, kind) "
                "SELECT id, CURRENT_TIMESTAMP, 'x', 'rumour' FROM tickets"))
