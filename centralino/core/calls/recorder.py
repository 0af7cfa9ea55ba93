"""The dispatcher's call log, stored in the ``calls`` table.

Each event's write is a unit of the engine's :class:`~centralino.core.group_commit.GroupCommit`:
the writes of calls happening at the same moment share a transaction. The start is written at
once (the call's ticket needs its row); the answer and the end nobody waits on, and they join
the next transaction within :data:`~centralino.core.group_commit.WRITE_BEHIND_SECONDS`.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.call_session import CallSession
from centralino.core.calls import service
from centralino.core.calls.terms import origin_of_entry
from centralino.core.group_commit import WRITE_BEHIND_SECONDS, GroupCommit


class DatabaseCallLog:
    """Implements :class:`centralino.core.stasis.CallLog` on the database."""

    def __init__(self, writer: GroupCommit, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._writer = writer
        self._sessions = sessions

    def started(self, call: CallSession) -> Awaitable[None]:
        return self._writer.submit(lambda connection: service.record_call_started(
            connection, call.linkedid, channel=call.channel.name,
            did=call.channel.dialplan.exten, at=call.started_at, caller_id=call.caller_number,
            caller_name=call.channel.caller.name or None,
            origin=origin_of_entry(call.args[0] if call.args else "")))

    async def answered(self, call: CallSession) -> None:
        answered_at = call.answered_at
        assert answered_at is not None
        await self._writer.run(lambda connection: service.record_call_answered(
            connection, call.linkedid, answered_at), within=WRITE_BEHIND_SECONDS)

    async def ended(self, call: CallSession, disposition: str) -> None:
        ended_at = call.ended_at or datetime.now(UTC)
        await self._writer.run(lambda connection: service.record_call_ended(
            connection, call.linkedid, ended_at, disposition), within=WRITE_BEHIND_SECONDS)

    async def open_linkedids(self) -> set[str]:
        async with self._sessions() as session:
            return await service.open_call_linkedids(session)

    async def close_orphans(self, active_linkedids: set[str]) -> int:
        async with self._sessions() as session:
            return await service.close_orphaned_calls(session, active_linkedids, datetime.now(UTC))
