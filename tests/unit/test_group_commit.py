"""GroupCommit: units of many callers share transactions; one bad unit fails only its caller."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.calls.models import Call
from centralino.calls.service import CallNotFound, get_call, record_call_ended, record_call_started
from centralino.group_commit import GroupCommit, GroupCommitClosed, Unit
from cti.tickets import open_or_find_ticket

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
Sessions = async_sessionmaker[AsyncSession]


def start_unit(linkedid: str) -> Unit[None]:
    return lambda session: record_call_started(session, linkedid, channel="PJSIP/trunk-1",
                                               did="800100100", at=T0, commit=False)


class CountingSessions:
    """The real session factory, counting the transactions opened through it."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions
        self.opened = 0

    def __call__(self) -> AsyncSession:
        self.opened += 1
        return self._sessions()


async def count_calls(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Call)) or 0)


async def test_units_waiting_together_are_committed_in_one_transaction(
        db_session_factory: Sessions) -> None:
    counting = CountingSessions(db_session_factory)
    writer = GroupCommit(counting)  # type: ignore[arg-type]
    await asyncio.gather(*(writer.run(start_unit(f"batch.{n}")) for n in range(50)))
    await writer.close()
    assert await count_calls(db_session_factory) == 50
    assert counting.opened == 1


async def test_a_unit_returns_its_result_to_its_caller(db_session_factory: Sessions) -> None:
    writer = GroupCommit(db_session_factory)
    await writer.run(start_unit("ticket.1"))
    ticket, opened = await writer.run(
        lambda session: open_or_find_ticket(session, "ticket.1", commit=False))
    again, opened_again = await writer.run(
        lambda session: open_or_find_ticket(session, "ticket.1", commit=False))
    await writer.close()
    assert opened and not opened_again
    assert again.tracking_code == ticket.tracking_code


async def test_a_failing_unit_fails_only_its_caller_and_the_others_are_stored(
        db_session_factory: Sessions) -> None:
    writer = GroupCommit(db_session_factory)
    results = await asyncio.gather(
        writer.run(start_unit("good.1")),
        writer.run(lambda session: open_or_find_ticket(session, "never.started", commit=False)),
        writer.run(lambda session: record_call_ended(session, "not.there", T0, "answered",
                                                     commit=False)),
        writer.run(start_unit("good.2")),
        return_exceptions=True)
    await writer.close()
    assert results[0] is None and results[3] is None
    assert isinstance(results[1], CallNotFound) and isinstance(results[2], CallNotFound)
    async with db_session_factory() as session:
        assert await get_call(session, "good.1") is not None
        assert await get_call(session, "good.2") is not None


async def test_close_writes_what_waits_and_then_refuses_more(db_session_factory: Sessions) -> None:
    writer = GroupCommit(db_session_factory)
    pending = [asyncio.create_task(writer.run(start_unit(f"late.{n}"))) for n in range(5)]
    await asyncio.sleep(0)
    await writer.close()
    await asyncio.gather(*pending)
    assert await count_calls(db_session_factory) == 5
    with pytest.raises(GroupCommitClosed):
        await writer.run(start_unit("after.close"))


async def test_a_caller_that_gives_up_does_not_stop_its_write(db_session_factory: Sessions) -> None:
    writer = GroupCommit(db_session_factory)
    waiting = asyncio.create_task(writer.run(start_unit("cancelled.1")))
    await asyncio.sleep(0)
    waiting.cancel()
    await writer.close()
    async with db_session_factory() as session:
        assert await get_call(session, "cancelled.1") is not None


async def test_a_database_error_fails_the_whole_batch_once_without_running_it_again(
        db_session_factory: Sessions) -> None:
    runs: list[str] = []

    def failing(name: str) -> Unit[None]:
        async def unit(session: AsyncSession) -> None:
            runs.append(name)
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return unit

    writer = GroupCommit(db_session_factory)
    results = await asyncio.gather(*(writer.run(failing(f"u{n}")) for n in range(3)),
                                   return_exceptions=True)
    await writer.close()
    assert all(isinstance(result, OperationalError) for result in results)
    assert runs == ["u0"]  # the first unit's error ended the batch; nobody waited twice


async def test_close_gives_up_on_a_database_that_does_not_answer(
        db_session_factory: Sessions) -> None:
    async def hangs(session: AsyncSession) -> None:
        await asyncio.Event().wait()

    writer = GroupCommit(db_session_factory)
    stuck = asyncio.create_task(writer.run(hangs))
    behind = asyncio.create_task(writer.run(start_unit("behind.1")))
    await asyncio.sleep(0.05)
    await writer.close(timeout=0.1)
    for waiting in (stuck, behind):
        with pytest.raises(GroupCommitClosed):
            await waiting


async def test_units_still_get_written_after_the_writer_task_died(
        db_session_factory: Sessions) -> None:
    writer = GroupCommit(db_session_factory)
    await writer.run(start_unit("before.1"))
    assert writer._writer is not None
    writer._writer.cancel()  # what a loop shutting down under it does
    await asyncio.gather(writer._writer, return_exceptions=True)
    await asyncio.wait_for(writer.run(start_unit("after.1")), 5)
    await writer.close()
    assert await count_calls(db_session_factory) == 2
