"""GroupCommit: units of many callers share transactions; one bad unit fails only its caller."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from sqlalchemy import Connection, Engine, event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.calls.models import Call
from centralino.core.calls.service import (
    CallNotFound,
    get_call,
    record_call_ended,
    record_call_started,
)
from centralino.core.db import create_sync_engine
from centralino.core.group_commit import GroupCommit, GroupCommitClosed, Unit
from cti.tickets.store import open_or_find_ticket

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
Sessions = async_sessionmaker[AsyncSession]


def start_unit(linkedid: str) -> Unit[None]:
    return lambda connection: record_call_started(connection, linkedid, channel="PJSIP/trunk-1",
                                                  did="800100100", at=T0)


@pytest_asyncio.fixture
async def sync_engine(database_url: str,
                      db_session_factory: Sessions) -> AsyncIterator[Engine]:
    """A synchronous engine on the (upgraded) test database, for the writer to own."""
    engine = create_sync_engine(database_url)
    yield engine
    engine.dispose()


def count_transactions(engine: Engine) -> list[int]:
    """A one-item list counting the transactions begun on ``engine`` from now on."""
    begun = [0]

    @event.listens_for(engine, "begin")
    def counted(_connection: Connection) -> None:
        begun[0] += 1

    return begun


async def count_calls(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Call)) or 0)


async def test_units_waiting_together_are_committed_in_one_transaction(
        sync_engine: Engine, db_session_factory: Sessions) -> None:
    begun = count_transactions(sync_engine)
    writer = GroupCommit(sync_engine)
    await asyncio.gather(*(writer.run(start_unit(f"batch.{n}")) for n in range(50)))
    await writer.close()
    assert await count_calls(db_session_factory) == 50
    assert begun == [1]


async def test_a_unit_returns_its_result_to_its_caller(
        sync_engine: Engine, db_session_factory: Sessions) -> None:
    writer = GroupCommit(sync_engine)
    await writer.run(start_unit("ticket.1"))
    ticket, opened = await writer.run(
        lambda connection: open_or_find_ticket(connection, "ticket.1"))
    again, opened_again = await writer.run(
        lambda connection: open_or_find_ticket(connection, "ticket.1"))
    await writer.close()
    assert opened and not opened_again
    assert again.tracking_code == ticket.tracking_code


async def test_a_failing_unit_fails_only_its_caller_and_the_others_are_stored(
        sync_engine: Engine, db_session_factory: Sessions) -> None:
    writer = GroupCommit(sync_engine)
    results = await asyncio.gather(
        writer.run(start_unit("good.1")),
        writer.run(lambda connection: open_or_find_ticket(connection, "never.started")),
        writer.run(lambda connection: record_call_ended(connection, "not.there", T0,
                                                        "answered")),
        writer.run(start_unit("good.2")),
        return_exceptions=True)
    await writer.close()
    assert results[0] is None and results[3] is None
    assert isinstance(results[1], CallNotFound) and isinstance(results[2], CallNotFound)
    async with db_session_factory() as session:
        assert await get_call(session, "good.1") is not None
        assert await get_call(session, "good.2") is not None


async def test_close_writes_what_waits_and_then_refuses_more(
        sync_engine: Engine, db_session_factory: Sessions) -> None:
    writer = GroupCommit(sync_engine)
    pending = [asyncio.create_task(writer.run(start_unit(f"late.{n}"))) for n in range(5)]
    await asyncio.sleep(0)
    await writer.close()
    await asyncio.gather(*pending)
    assert await count_calls(db_session_factory) == 5
    with pytest.raises(GroupCommitClosed):
        await writer.run(start_unit("after.close"))


async def test_a_caller_that_gives_up_does_not_stop_its_write(
        sync_engine: Engine, db_session_factory: Sessions) -> None:
    writer = GroupCommit(sync_engine)
    waiting = asyncio.create_task(writer.run(start_unit("cancelled.1")))
    await asyncio.sleep(0)
    waiting.cancel()
    await writer.close()
    async with db_session_factory() as session:
        assert await get_call(session, "cancelled.1") is not None


async def test_a_database_error_fails_the_whole_batch_once_without_running_it_again(
        sync_engine: Engine, db_session_factory: Sessions) -> None:
    runs: list[str] = []

    def failing(name: str) -> Unit[None]:
        def unit(connection: Connection) -> None:
            runs.append(name)
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return unit

    writer = GroupCommit(sync_engine)
    results = await asyncio.gather(*(writer.run(failing(f"u{n}")) for n in range(3)),
                                   return_exceptions=True)
    await writer.close()
    assert all(isinstance(result, OperationalError) for result in results)
    assert runs == ["u0"]  # the first unit's error ended the batch; nobody waited twice


async def test_close_gives_up_on_a_database_that_does_not_answer(
        sync_engine: Engine, db_session_factory: Sessions) -> None:
    answer = threading.Event()

    def hangs(connection: Connection) -> None:
        answer.wait(10)

    writer = GroupCommit(sync_engine)
    stuck = asyncio.create_task(writer.run(hangs))
    behind = asyncio.create_task(writer.run(start_unit("behind.1")))
    await asyncio.sleep(0.05)
    try:
        await writer.close(timeout=0.1)
        for waiting in (stuck, behind):
            with pytest.raises(GroupCommitClosed):
                await waiting
    finally:
        answer.set()  # lets the writer's thread end


async def test_units_still_get_written_after_the_writer_task_died(
        sync_engine: Engine, db_session_factory: Sessions) -> None:
    writer = GroupCommit(sync_engine)
    await writer.run(start_unit("before.1"))
    assert writer._writer is not None
    writer._writer.cancel()  # what a loop shutting down under it does
    await asyncio.gather(writer._writer, return_exceptions=True)
    await asyncio.wait_for(writer.run(start_unit("after.1")), 5)
    await writer.close()
    assert await count_calls(db_session_factory) == 2


async def test_a_write_nobody_waits_on_rides_with_the_next_one_that_cannot_wait(
        sync_engine: Engine, db_session_factory: Sessions) -> None:
    begun = count_transactions(sync_engine)
    writer = GroupCommit(sync_engine)
    behind = asyncio.create_task(writer.run(start_unit("behind.1"), within=5))
    await asyncio.sleep(0.05)
    assert not behind.done() and begun == [0]  # waiting for company
    await writer.run(start_unit("urgent.1"))
    await asyncio.wait_for(behind, 1)
    assert begun == [1]  # both in the urgent unit's transaction
    await writer.close()
    assert await count_calls(db_session_factory) == 2


async def test_a_write_nobody_waits_on_is_written_within_its_delay_alone(
        sync_engine: Engine, db_session_factory: Sessions) -> None:
    writer = GroupCommit(sync_engine)
    await asyncio.wait_for(writer.run(start_unit("alone.1"), within=0.05), 2)
    await writer.close()
    assert await count_calls(db_session_factory) == 1


async def test_close_writes_the_writes_that_could_wait_at_once(
        sync_engine: Engine, db_session_factory: Sessions) -> None:
    writer = GroupCommit(sync_engine)
    behind = asyncio.create_task(writer.run(start_unit("behind.2"), within=60))
    await asyncio.sleep(0)
    await asyncio.wait_for(writer.close(), 5)
    await behind
    assert await count_calls(db_session_factory) == 1
