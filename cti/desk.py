"""The ticket desk the call scripts use: opens a call's ticket and announces it on the bus."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino import events
from centralino.bus import EventBus
from cti.tickets import open_ticket_for_call, ticket_for_call


class TicketDesk:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], bus: EventBus) -> None:
        self._sessions = sessions
        self._bus = bus

    async def open_for_call(self, linkedid: str) -> str:
        """Open (or find) the ticket of call ``linkedid``; return its tracking code."""
        async with self._sessions() as session:
            existing = await ticket_for_call(session, linkedid)
            if existing is not None:
                return existing.tracking_code
            code = (await open_ticket_for_call(session, linkedid)).tracking_code
        self._bus.publish(events.TicketOpened(linkedid, code))
        return code
