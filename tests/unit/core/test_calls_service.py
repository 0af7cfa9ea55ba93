"""Recording calls: idempotent by linkedid, ended once, orphans closed as lost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.calls.models import Call
from centralino.core.calls.service import (
    CallNotFound,
    close_orphaned_calls,
    get_call,
    list_calls,
    record_call_answered,
    record_call_ended,
    record_call_started,
)
from centralino.core.calls.terms import CAMPAIGN_ENTRY, CallOrigin, origin_of_entry
from centralino.core.db import run_write

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
Sessions = async_sessionmaker[AsyncSession]


async def start(session: AsyncSession, linkedid: str, at: datetime = T0, **kw: str) -> Call:
    await run_write(session, record_call_started, linkedid, channel=f"PJSIP/trunk-{linkedid}",
                              did="800100100", at=at, caller_id="3331234567", **kw)
    return await stored(session, linkedid)


async def stored(session: AsyncSession, linkedid: str) -> Call:
    call = await get_call(session, linkedid)
    assert call is not None
    return call


async def test_a_started_call_is_stored_in_progress_with_aware_utc_times(
    db_session_factory: Sessions,
) -> None:
    rome = datetime(2025, 3, 1, 10, 30, tzinfo=UTC).astimezone()  # any zone: stored as UTC
    async with db_session_factory() as session:
        await start(session, "1700000000.1", at=rome, caller_name="Mario Rossi")
    async with db_session_factory() as session:
        call = await get_call(session, "1700000000.1")
    assert call is not None
    assert call.disposition == "in_progress"
    assert call.caller_name == "Mario Rossi"
    assert call.started_at == rome
    assert call.started_at.tzinfo == UTC
    assert call.answered_at is None and call.ended_at is None and call.duration_seconds is None


async def test_naive_datetimes_are_refused(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        with pytest.raises(Exception, match="naive datetime"):
            await start(session, "naive.1", at=datetime(2025, 3, 1, 9, 30))


async def test_starting_the_same_linkedid_twice_keeps_one_row(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        first = await start(session, "1.1")
        await run_write(session, record_call_started, "1.1", channel="other", did="999",
                                  at=T0 + timedelta(seconds=9))
        second = await stored(session, "1.1")
        assert second.id == first.id
        assert second.channel == "PJSIP/trunk-1.1"
        assert len(await list_calls(session)) == 1


async def test_concurrent_starts_of_one_linkedid_give_one_row(db_session_factory: Sessions) -> None:
    async def one() -> int:
        async with db_session_factory() as session:
            return (await start(session, "race.1")).id

    ids = await asyncio.gather(*(one() for _ in range(5)))
    assert len(set(ids)) == 1
    async with db_session_factory() as session:
        assert len(await list_calls(session)) == 1


async def test_an_ended_call_has_its_duration(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        await start(session, "2.1")
        await run_write(session, record_call_answered, "2.1", T0 + timedelta(seconds=2))
        answered = await stored(session, "2.1")
        assert answered.disposition == "answered"
        assert answered.answered_at == T0 + timedelta(seconds=2)
        await run_write(session, record_call_ended, "2.1", T0 + timedelta(seconds=42.5), "answered")
        ended = await stored(session, "2.1")
    assert ended.ended_at == T0 + timedelta(seconds=42.5)
    assert ended.duration_seconds == pytest.approx(42.5)
    assert ended.disposition == "answered"


async def test_a_second_end_does_not_overwrite_the_first(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        await start(session, "3.1")
        await run_write(session, record_call_ended, "3.1", T0 + timedelta(seconds=5), "abandoned")
        await run_write(session, record_call_ended, "3.1", T0 + timedelta(seconds=60), "lost")
        again = await stored(session, "3.1")
    assert again.disposition == "abandoned"
    assert again.duration_seconds == pytest.approx(5)


async def test_an_answer_after_the_end_changes_nothing(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        await start(session, "4.1")
        await run_write(session, record_call_ended, "4.1", T0 + timedelta(seconds=3), "abandoned")
        await run_write(session, record_call_answered, "4.1", T0 + timedelta(seconds=4))
        call = await stored(session, "4.1")
    assert call.answered_at is None
    assert call.disposition == "abandoned"


async def test_events_for_an_unknown_call_and_bad_dispositions_are_errors(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        with pytest.raises(CallNotFound):
            await run_write(session, record_call_ended, "nope", T0, "answered")
        await start(session, "5.1")
        with pytest.raises(ValueError, match="in_progress"):
            await run_write(session, record_call_ended, "5.1", T0, "in_progress")
        with pytest.raises(ValueError, match="unknown call disposition"):
            await run_write(session, record_call_ended, "5.1", T0, "hung_up")


async def test_open_calls_not_active_any_more_are_closed_as_lost(
    db_session_factory: Sessions,
) -> None:
    recovery = T0 + timedelta(minutes=10)
    async with db_session_factory() as session:
        await start(session, "still.live")
        await start(session, "orphan.ringing")
        await start(session, "orphan.talking")
        await run_write(session, record_call_answered, "orphan.talking", T0 + timedelta(seconds=1))
        await start(session, "done")
        await run_write(session, record_call_ended, "done", T0 + timedelta(seconds=30), "answered")

        closed = await close_orphaned_calls(session, {"still.live"}, recovery)

        assert closed == 2
        calls = {c.linkedid: c for c in await list_calls(session)}
    assert calls["still.live"].ended_at is None
    assert calls["done"].disposition == "answered"
    assert calls["done"].ended_at == T0 + timedelta(seconds=30)
    for linkedid in ("orphan.ringing", "orphan.talking"):
        assert calls[linkedid].disposition == "lost"
        assert calls[linkedid].ended_at == recovery
        assert calls[linkedid].duration_seconds == pytest.approx(600)


async def test_with_no_active_calls_every_open_call_is_lost(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        await start(session, "a")
        await start(session, "b")
        assert await close_orphaned_calls(session, set(), T0 + timedelta(minutes=1)) == 2
        assert await close_orphaned_calls(session, set(), T0 + timedelta(minutes=2)) == 0


async def test_calls_are_listed_newest_first_up_to_the_limit(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        for n in range(5):
            await start(session, f"list.{n}", at=T0 + timedelta(minutes=n))
        calls = await list_calls(session, limit=3)
    assert [c.linkedid for c in calls] == ["list.4", "list.3", "list.2"]


def test_a_call_entering_stasis_at_the_campaign_entry_is_a_campaign_call() -> None:
    assert origin_of_entry(CAMPAIGN_ENTRY) is CallOrigin.CAMPAIGN
    assert origin_of_entry("tollfree") is CallOrigin.INBOUND
