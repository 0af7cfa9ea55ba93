"""Opening and finding tickets.

Same convention as :mod:`centralino.core.calls.service`: functions take an :class:`AsyncSession`
and commit their own unit of work, except the writes every call makes (opening its ticket,
saving its IVR trace): synchronous, on a :class:`Connection`, committed by the caller. A call has
exactly one ticket, whoever asks for it first (the database's unique constraint on
``call_linkedid`` settles races).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from centralino.core.calls.service import CallNotFound
from centralino.core.db import insert_unless_duplicate, run_write, table_of, utcnow
from cti.tickets.models import QueueOutcome, Ticket, TicketChannel, TicketStatus
from cti.tickets.tracking import new_tracking_code

MAX_CODE_ATTEMPTS = 8

# Written at every call: Core statements built once (values as execution parameters).
_TICKETS = table_of(Ticket)
_TRACE_UPDATE = update(_TICKETS).where(_TICKETS.c.call_linkedid == bindparam("match_linkedid"))
_TRACE_COLUMNS = (_TICKETS.c.tracking_code, _TICKETS.c.dtmf_path, _TICKETS.c.ivr_nodes,
                  _TICKETS.c.ivr_outcome, _TICKETS.c.classification, _TICKETS.c.language,
                  _TICKETS.c.contact_id)
_CALL_TICKET = select(*_TRACE_COLUMNS).where(
    _TICKETS.c.call_linkedid == bindparam("match_linkedid"))


@functools.cache
def _returning_trace(insert: Any) -> Any:
    """``insert`` (the backend's conflict-ignoring insert of a ticket, itself built once)
    returning what a call's script needs; built once too: building it at every call cost more
    than running it."""
    return insert.returning(*_TRACE_COLUMNS)


class TrackingCodesExhausted(RuntimeError):
    """Every generated tracking code was already taken (practically impossible: a bug)."""


async def ticket_for_call(session: AsyncSession, linkedid: str) -> Ticket | None:
    """The ticket of the call ``linkedid``, if one was opened."""
    result = await session.execute(
        select(Ticket).where(Ticket.call_linkedid == linkedid)
        .execution_options(populate_existing=True))
    return result.scalar_one_or_none()


async def tracking_codes(session: AsyncSession, ticket_ids: Collection[int]) -> dict[int, str]:
    """The tracking code of each ticket in ``ticket_ids`` that exists, by ticket id."""
    if not ticket_ids:
        return {}
    result = await session.execute(
        select(Ticket.id, Ticket.tracking_code).where(Ticket.id.in_(set(ticket_ids))))
    return {ticket_id: code for ticket_id, code in result.all()}


async def is_assigned_to(session: AsyncSession, operator: str, *, ticket_id: int | None,
                         linkedid: str | None) -> bool:
    """Whether ticket ``ticket_id``, or the ticket of call ``linkedid``, is assigned to
    ``operator``."""
    belongs = [Ticket.id == ticket_id] if ticket_id is not None else []
    if linkedid is not None:
        belongs.append(Ticket.call_linkedid == linkedid)
    if not belongs:
        return False
    found = await session.scalar(select(Ticket.id).where(
        or_(*belongs), Ticket.assigned_to == operator).limit(1))
    return found is not None


async def open_ticket_for_call(
    session: AsyncSession,
    linkedid: str,
    *,
    new_code: Callable[[], str] = new_tracking_code,
) -> Ticket:
    """The ticket of call ``linkedid``: the existing one, else a new ``phone`` ticket.

    Safe to call again after a retry, a restart or from a concurrent task: all get the same
    ticket. Raises :class:`CallNotFound` if the call itself is not stored.
    """
    await run_write(session, open_or_find_ticket, linkedid, new_code=new_code)
    ticket = await ticket_for_call(session, linkedid)
    assert ticket is not None, "a ticket just opened or found"
    return ticket


def open_or_find_ticket(
    connection: Connection,
    linkedid: str,
    *,
    new_code: Callable[[], str] = new_tracking_code,
) -> tuple[CallTicket, bool]:
    """The ticket of call ``linkedid``, as the call's script sees it, and whether this call
    opened it (False: it existed). Raises :class:`CallNotFound` if the call is not stored.

    The constraints do the checking, with no look-up first (this runs at every call's start):
    the unique call_linkedid makes a second ticket a no-op, the foreign key a missing call.
    """
    insert = _returning_trace(insert_unless_duplicate(connection, _TICKETS))
    for _ in range(MAX_CODE_ATTEMPTS):
        try:
            inserted = connection.execute(insert, {
                "tracking_code": new_code(), "call_linkedid": linkedid,
                "status": TicketStatus.NEW, "channel": TicketChannel.PHONE}).one_or_none()
        except IntegrityError:  # the foreign key: no such call
            raise CallNotFound(linkedid) from None
        if inserted is not None:
            return CallTicket.of(inserted), True
        # An earlier or concurrent writer's ticket: the one ticket of this call.
        existing = connection.execute(_CALL_TICKET, {"match_linkedid": linkedid}).one_or_none()
        if existing is not None:
            return CallTicket.of(existing), False
        # Nothing inserted and no ticket: the tracking code was taken. Draw another.
    raise TrackingCodesExhausted(
        f"no free tracking code after {MAX_CODE_ATTEMPTS} attempts for call {linkedid!r}")


async def get_ticket(session: AsyncSession, tracking_code: str) -> Ticket | None:
    """The ticket with ``tracking_code``, its call loaded (``ticket.call``)."""
    result = await session.execute(
        select(Ticket).options(joinedload(Ticket.call))
        .where(Ticket.tracking_code == tracking_code))
    return result.scalar_one_or_none()


async def list_tickets(session: AsyncSession, limit: int = 50) -> list[Ticket]:
    """The ``limit`` most recent tickets, newest first, each with its call loaded."""
    result = await session.execute(
        select(Ticket).options(joinedload(Ticket.call))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit))
    return list(result.scalars().all())


@dataclass(frozen=True)
class IvrTrace:
    """What the IVR learned about a call, saved on its ticket as a whole (idempotent)."""

    dtmf_path: str
    ivr_nodes: list[dict[str, str]]
    ivr_outcome: str | None
    classification: str | None
    language: str | None
    contact_id: int | None


@dataclass(frozen=True)
class CallTicket:
    """A call's ticket as its script sees it: the code to tell, the trace so far."""

    tracking_code: str
    trace: IvrTrace

    @classmethod
    def of(cls, row: Row[*tuple[Any, ...]]) -> CallTicket:
        """From a row of the tracking code and the trace's columns."""
        return cls(row.tracking_code, IvrTrace(
            dtmf_path=row.dtmf_path or "", ivr_nodes=list(row.ivr_nodes or []),
            ivr_outcome=row.ivr_outcome, classification=row.classification,
            language=row.language, contact_id=row.contact_id))


def save_ivr_trace(connection: Connection, linkedid: str, trace: IvrTrace) -> None:
    """Write ``trace`` on the ticket of call ``linkedid`` (the last write wins)."""
    connection.execute(_TRACE_UPDATE, {
        "match_linkedid": linkedid, "dtmf_path": trace.dtmf_path[:255],
        "ivr_nodes": trace.ivr_nodes, "ivr_outcome": trace.ivr_outcome,
        "classification": trace.classification, "language": trace.language,
        "contact_id": trace.contact_id, "updated_at": utcnow()})


async def save_queue_outcome(session: AsyncSession, linkedid: str, outcome: QueueOutcome,
                             wait_seconds: int) -> bool:
    """Write how call ``linkedid`` left the operators' queue on its ticket (the last write
    wins: a caller queued again is judged by the last wait). False if the call has no ticket
    (a caller who did not come through the IVR)."""
    result = await session.execute(
        update(Ticket).where(Ticket.call_linkedid == linkedid)
        .values(queue_outcome=outcome, queue_wait_seconds=max(0, wait_seconds),
                updated_at=utcnow())
        .execution_options(synchronize_session=False))
    await session.commit()
    return bool(getattr(result, "rowcount", 0))
