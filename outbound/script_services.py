"""The runner's :class:`~outbound.runner.ScriptServices` for real: the contact's ticket changed
through the ticket workflow, the call's own ticket and PINs by the ticket desk, the do-not-call
list written by the callable the campaign store gives (``outbound.store.add_dnc``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.calls.service import CallNotFound
from cti.tickets.desk import TicketDesk
from cti.tickets.store import TrackingCodesExhausted, get_ticket
from cti.tickets.terms import TicketStatus
from cti.tickets.workflow import (
    ConcurrentChange,
    InvalidTicketChange,
    TicketNotFound,
    add_note,
    change_status,
    resolve,
)

log = structlog.get_logger(__name__)

ACTOR = "campaign"  # who the ticket's history says made the change
CLOSED_ON_CALL = "Confirmed by the customer on an automated call."
_REFUSED = (TicketNotFound, InvalidTicketChange, ConcurrentChange)


class WorkflowScriptServices:
    """Ticket changes through :mod:`cti.tickets.workflow`; one that the workflow refuses (no
    such ticket, a move it does not allow) is logged and reported as not applied."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], desk: TicketDesk,
                 add_dnc: Callable[[str], Awaitable[None]], actor: str = ACTOR) -> None:
        self._sessions = sessions
        self._desk = desk
        self._add_dnc = add_dnc
        self._actor = actor

    async def close_ticket(self, tracking_code: str, note: str | None) -> bool:
        """Close the ticket, resolving it first if it is still being worked on."""
        try:
            async with self._sessions() as session:
                ticket = await get_ticket(session, tracking_code)
                if ticket is None:
                    raise TicketNotFound(tracking_code)
                if ticket.status == TicketStatus.CLOSED:
                    return False
                if ticket.status != TicketStatus.RESOLVED:
                    await resolve(session, tracking_code, note or CLOSED_ON_CALL, self._actor)
                await change_status(session, tracking_code, TicketStatus.CLOSED, self._actor,
                                    note)
        except _REFUSED as exc:
            log.warning("outbound.ticket_not_closed", ticket=tracking_code, error=str(exc))
            return False
        return True

    async def reopen_ticket(self, tracking_code: str, note: str | None) -> bool:
        """Reopen a resolved or closed ticket."""
        try:
            async with self._sessions() as session:
                await change_status(session, tracking_code, TicketStatus.REOPENED, self._actor,
                                    note)
        except _REFUSED as exc:
            log.warning("outbound.ticket_not_reopened", ticket=tracking_code, error=str(exc))
            return False
        return True

    async def note_ticket(self, tracking_code: str, note: str) -> bool:
        try:
            async with self._sessions() as session:
                await add_note(session, tracking_code, note, self._actor)
        except _REFUSED as exc:
            log.warning("outbound.ticket_not_noted", ticket=tracking_code, error=str(exc))
            return False
        return True

    async def add_dnc(self, phone: str) -> None:
        await self._add_dnc(phone)

    async def contact_for_pin(self, pin: str) -> int | None:
        return await self._desk.contact_for_pin(pin)

    async def open_call_ticket(self, linkedid: str, note: str) -> str | None:
        """Open the call's ticket (the one ticket of ``linkedid``, as the IVR does) and note on
        it what the call is; None, logged, if the call is not stored or the database fails."""
        try:
            ticket = await self._desk.open_for_call(linkedid)
            async with self._sessions() as session:
                await add_note(session, ticket.tracking_code, note, self._actor)
        except (*_REFUSED, CallNotFound, TrackingCodesExhausted, SQLAlchemyError) as exc:
            log.warning("outbound.call_ticket_not_opened", linkedid=linkedid, error=str(exc))
            return None
        return ticket.tracking_code
