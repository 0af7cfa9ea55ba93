"""The ticket desk the call scripts use: a call's ticket, its IVR trace, status look-ups, PINs.

The writes every call makes (its ticket, its trace) are units of the engine's
:class:`~centralino.core.group_commit.GroupCommit`; look-ups use a session of their own. Events go
on the bus.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core import events
from centralino.core.bus import EventBus
from centralino.core.group_commit import GroupCommit
from cti.tickets.contacts import contact_by_pin
from cti.tickets.store import (
    CallTicket,
    IvrTrace,
    get_ticket,
    open_or_find_ticket,
    save_ivr_trace,
)
from cti.tickets.tracking import is_valid_tracking_code


class TicketDesk:
    def __init__(self, writer: GroupCommit, sessions: async_sessionmaker[AsyncSession],
                 bus: EventBus, pin_key: str) -> None:
        self._writer = writer
        self._sessions = sessions
        self._bus = bus
        self._pin_key = pin_key

    async def open_for_call(self, linkedid: str) -> CallTicket:
        """Open (or find, after a retry or a restart) the one ticket of call ``linkedid``."""
        ticket, opened = await self._writer.run(
            lambda connection: open_or_find_ticket(connection, linkedid))
        if opened:
            self._bus.publish(events.TicketOpened(linkedid, ticket.tracking_code))
        return ticket

    async def save_trace(self, linkedid: str, trace: IvrTrace, *, within: float = 0.0) -> None:
        """Save the call's trace, in a transaction begun within ``within`` seconds."""
        await self._writer.run(lambda connection: save_ivr_trace(connection, linkedid, trace),
                               within=within)

    async def status_of(self, tracking_code: str) -> str | None:
        """The status of the ticket with ``tracking_code``; None if no such (valid) code."""
        if not is_valid_tracking_code(tracking_code):
            return None
        async with self._sessions() as session:
            ticket = await get_ticket(session, tracking_code)
        return ticket.status if ticket is not None else None

    async def contact_for_pin(self, pin: str) -> int | None:
        """The id of the contact whose PIN is ``pin``, if any."""
        async with self._sessions() as session:
            contact = await contact_by_pin(session, pin, self._pin_key)
        return contact.id if contact is not None else None
