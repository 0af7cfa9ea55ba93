"""The dispatcher's call log, stored in the ``calls`` table.

Each event's write is a unit of the engine's :class:`~centralino.group_commit.GroupCommit`:
the writes of calls happening at the same moment share a transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.call_session import CallSession
from centralino.calls import service
from centralino.group_commit import GroupCommit


class DatabaseCallLog:
    """Implements :class:`centralino.stasis.CallLog` on the database."""

    def __init__(self, writer: GroupCommit, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._writer = writer
        self._sessions = sessions

    async def started(self, call: CallSession) -> None:
        await self._writer.run(lambda session: service.record_call_started(
            session, call.linkedid, channel=call.channel.name,
            did=call.channel.dialplan.exten, at=call.started_at, caller_id=call.caller_number,
            caller_name=call.channel.caller.name or None, commit=False))

    async def answered(self, call: CallSession) -> None:
        answered_at = call.answered_at
        assert answered_at is not None
        await self._writer.run(lambda session: service.record_call_answered(
            session, call.linkedid, answered_at, commit=False))

    async def ended(self, call: CallSession, disposition: str) -> None:
        ended_at = call.ended_at or datetime.now(UTC)
        await self._writer.run(lambda session: service.record_call_ended(
            session, call.linkedid, ended_at, disposition, commit=False))

    async def open_linkedids(self) -> set[str]:
        async with self._sessions() as session:
            return await service.open_call_linkedids(session)

    async def close_orphans(self, active_linkedids: set[str]) -> int:
        async with self._sessions() as session:
            return await service.close_orphaned_calls(session, active_linkedids, datetime.now(UTC))
