"""The operators' queue's outcome of each call, kept on its ticket: answered, or abandoned (the
caller hung up while waiting), with the wait. The live counts
(:mod:`cti.supervisor.queue_stats`) live in memory; this is what stays.

The bus handlers only start tasks: the database writes run in those tasks, never in the bus.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core import events
from centralino.core.bus import EventBus
from centralino.core.tasks import TaskSet
from cti.tickets.models import QueueOutcome
from cti.tickets.store import save_queue_outcome

log = structlog.get_logger(__name__)


class QueueOutcomeLog:
    """Follows ``QueueCallAnswered`` and ``QueueCallAbandoned`` onto the calls' tickets."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], bus: EventBus) -> None:
        self._sessions = sessions
        self._tasks = TaskSet(failure_event="queue.outcome_task_failed")
        bus.subscribe(events.QueueCallAnswered, lambda event: self._spawn(
            self.record(event.linkedid, QueueOutcome.ANSWERED, event.hold_seconds)))
        bus.subscribe(events.QueueCallAbandoned, lambda event: self._spawn(
            self.record(event.linkedid, QueueOutcome.ABANDONED, event.hold_seconds)))

    async def record(self, linkedid: str, outcome: QueueOutcome, wait_seconds: int) -> None:
        """Store ``outcome`` on the ticket of call ``linkedid``; a failure is logged."""
        try:
            async with self._sessions() as session:
                stored = await save_queue_outcome(session, linkedid, outcome, wait_seconds)
        except SQLAlchemyError as exc:
            log.error("queue.outcome_not_stored", linkedid=linkedid, outcome=outcome.value,
                      error=str(exc))
            return
        if not stored:
            log.debug("queue.outcome_without_ticket", linkedid=linkedid, outcome=outcome.value)

    async def stop(self) -> None:
        """Let the writes in progress finish."""
        await self._tasks.wait()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        self._tasks.spawn(work, name="queue-outcome")
