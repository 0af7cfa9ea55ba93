"""The dispatcher's call log, stored in the ``calls`` table (one short transaction per event)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.call_session import CallSession
from centralino.calls import service


class DatabaseCallLog:
    """Implements :class:`centralino.stasis.CallLog` on the database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def started(self, call: CallSession) -> None:
        async with self._sessions() as session:
            await service.record_call_started(
                session, call.linkedid, channel=call.channel.name,
                did=call.channel.dialplan.exten, at=call.started_at,
                caller_id=call.caller_number, caller_name=call.channel.caller.name or None)

    async def answered(self, call: CallSession) -> None:
        assert call.answered_at is not None
        async with self._sessions() as session:
            await service.record_call_answered(session, call.linkedid, call.answered_at)

    async def ended(self, call: CallSession, disposition: str) -> None:
        async with self._sessions() as session:
            await service.record_call_ended(session, call.linkedid,
                                            call.ended_at or datetime.now(UTC), disposition)

    async def open_linkedids(self) -> set[str]:
        async with self._sessions() as session:
            return await service.open_call_linkedids(session)

    async def close_orphans(self, active_linkedids: set[str]) -> int:
        async with self._sessions() as session:
            return await service.close_orphaned_calls(session, active_linkedids, datetime.now(UTC))
