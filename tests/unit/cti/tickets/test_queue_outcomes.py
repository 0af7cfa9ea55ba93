"""How a call left the operators' queue stays on its ticket: answered, or abandoned, and the
wait."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core import events
from centralino.core.bus import EventBus
from centralino.core.calls.service import record_call_started
from centralino.core.db import run_write
from cti.tickets.models import QueueOutcome
from cti.tickets.queue_outcomes import QueueOutcomeLog
from cti.tickets.store import open_ticket_for_call, save_queue_outcome, ticket_for_call

T0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
Sessions = async_sessionmaker[AsyncSession]


async def call_with_ticket(sessions: Sessions, linkedid: str) -> None:
    async with sessions() as session:
        await run_write(session, record_call_started, linkedid, channel="PJSIP/trunk-1",
                        did="800100100", at=T0, caller_id="3339990000")
        await open_ticket_for_call(session, linkedid)


async def queue_fields(sessions: Sessions, linkedid: str) -> tuple[str | None, int | None]:
    async with sessions() as session:
        ticket = await ticket_for_call(session, linkedid)
    assert ticket is not None
    return ticket.queue_outcome, ticket.queue_wait_seconds


async def test_a_caller_who_hangs_up_in_the_queue_leaves_an_abandoned_ticket(
    db_session_factory: Sessions,
) -> None:
    bus = EventBus()
    outcomes = QueueOutcomeLog(db_session_factory, bus)
    await call_with_ticket(db_session_factory, "gone.1")
    await call_with_ticket(db_session_factory, "served.1")

    bus.publish(events.QueueCallAbandoned("gone.1", "operators", 1, 42, T0))
    bus.publish(events.QueueCallAnswered("served.1", "operators", "seat1", "alice", 7, T0))
    await outcomes.stop()

    assert await queue_fields(db_session_factory, "gone.1") == ("abandoned", 42)
    assert await queue_fields(db_session_factory, "served.1") == ("answered", 7)


async def test_a_queued_caller_without_a_ticket_changes_no_ticket(
    db_session_factory: Sessions,
) -> None:
    await call_with_ticket(db_session_factory, "ivr.1")
    async with db_session_factory() as session:  # a caller who did not come through the IVR
        stored = await save_queue_outcome(session, "no-ivr.1", QueueOutcome.ABANDONED, 3)
    assert stored is False
    assert await queue_fields(db_session_factory, "ivr.1") == (None, None)
