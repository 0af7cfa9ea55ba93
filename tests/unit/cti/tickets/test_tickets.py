"""Tickets: exactly one per call, with a valid tracking code."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.calls.service import CallNotFound, record_call_started
from centralino.core.db import run_write
from cti.tickets.store import (
    TrackingCodesExhausted,
    get_ticket,
    list_tickets,
    open_ticket_for_call,
)
from cti.tickets.tracking import is_valid_tracking_code

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
Sessions = async_sessionmaker[AsyncSession]


async def stored_call(session: AsyncSession, linkedid: str, caller_id: str = "3339990000") -> None:
    await run_write(session, record_call_started, linkedid, channel="PJSIP/trunk-1",
                    did="800100100", at=T0, caller_id=caller_id)


async def test_a_call_gets_a_new_phone_ticket_with_a_valid_code(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        await stored_call(session, "1.1")
        ticket = await open_ticket_for_call(session, "1.1")
    assert ticket.status == "new"
    assert ticket.channel == "phone"
    assert ticket.call_linkedid == "1.1"
    assert is_valid_tracking_code(ticket.tracking_code)
    assert ticket.created_at.tzinfo == UTC and ticket.updated_at.tzinfo == UTC


async def test_opening_the_ticket_of_a_call_again_returns_the_same_ticket(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        await stored_call(session, "2.1")
        first = await open_ticket_for_call(session, "2.1")
    async with db_session_factory() as session:  # e.g. after an engine restart
        again = await open_ticket_for_call(session, "2.1")
        assert again.tracking_code == first.tracking_code
        assert len(await list_tickets(session)) == 1


async def test_concurrent_openings_for_one_call_give_one_ticket(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        await stored_call(session, "race.1")

    async def one() -> str:
        async with db_session_factory() as session:
            return (await open_ticket_for_call(session, "race.1")).tracking_code

    codes = await asyncio.gather(*(one() for _ in range(5)))
    assert len(set(codes)) == 1
    async with db_session_factory() as session:
        assert len(await list_tickets(session)) == 1


async def test_a_tracking_code_collision_draws_a_new_code(
    db_session_factory: Sessions,
) -> None:
    codes: Iterator[str] = iter(["111111115", "111111115", "222222220"])
    async with db_session_factory() as session:
        await stored_call(session, "a")
        await stored_call(session, "b")
        first = await open_ticket_for_call(session, "a", new_code=lambda: next(codes))
        second = await open_ticket_for_call(session, "b", new_code=lambda: next(codes))
    assert first.tracking_code == "111111115"
    assert second.tracking_code == "222222220"


async def test_endless_collisions_end_in_an_error(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        await stored_call(session, "a")
        await stored_call(session, "b")
        await open_ticket_for_call(session, "a", new_code=lambda: "111111115")
        with pytest.raises(TrackingCodesExhausted):
            await open_ticket_for_call(session, "b", new_code=lambda: "111111115")


async def test_no_ticket_for_a_call_that_is_not_stored(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        with pytest.raises(CallNotFound):
            await open_ticket_for_call(session, "never.seen")
        assert await list_tickets(session) == []


async def test_a_ticket_is_found_by_its_code_with_its_call(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        await stored_call(session, "3.1", caller_id="3471112222")
        code = (await open_ticket_for_call(session, "3.1")).tracking_code
    async with db_session_factory() as session:
        ticket = await get_ticket(session, code)
        assert await get_ticket(session, "000000000") is None
    assert ticket is not None and ticket.call is not None
    assert ticket.call.caller_id == "3471112222"


async def test_tickets_are_listed_newest_first_up_to_the_limit(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        for n in range(4):
            await stored_call(session, f"list.{n}")
            await open_ticket_for_call(session, f"list.{n}")
            await asyncio.sleep(0.002)  # distinct created_at
        tickets = await list_tickets(session, limit=2)
    assert [t.call_linkedid for t in tickets] == ["list.3", "list.2"]
    assert tickets[0].created_at - tickets[1].created_at > timedelta(0)
