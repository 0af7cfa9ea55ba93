"""What other domains read of tickets and contacts: typed queries, and the shapes they may
name in their own signatures.

The tables (:mod:`cti.tickets.models`) are this domain's own; another domain calls these
functions and, where it has to name what it got, uses :class:`TicketView` and
:class:`ContactView` (the rows returned satisfy them). Reports stay SQL run by the database.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from centralino.core.calls.service import linkedids_from
from centralino.core.db import UTCDateTime
from cti.tickets.contacts import phone_variants
from cti.tickets.models import Contact, Ticket, TicketEvent
from cti.tickets.terms import IvrOutcome, TicketEventKind, TicketStatus
from cti.tickets.tracking import is_valid_tracking_code

SEARCH_LIMIT = 20
MIN_QUERY = 2  # characters
MAX_QUERY = 64


class CallView(Protocol):
    """What a ticket shows of its call."""

    @property
    def caller_id(self) -> str | None: ...


class ContactView(Protocol):
    """A contact as other domains read it."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def phone(self) -> str | None: ...


class TicketView(Protocol):
    """A ticket as other domains read it (``call`` and ``contact`` loaded where the function
    returning it says so)."""

    @property
    def id(self) -> int: ...
    @property
    def tracking_code(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def call_linkedid(self) -> str | None: ...
    @property
    def classification(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def dtmf_path(self) -> str: ...
    @property
    def ivr_nodes(self) -> list[dict[str, Any]]: ...
    @property
    def ivr_outcome(self) -> str | None: ...
    @property
    def assigned_to(self) -> str | None: ...
    @property
    def second_level_team(self) -> str | None: ...
    @property
    def notes(self) -> str | None: ...
    @property
    def resolution(self) -> str | None: ...
    @property
    def callback_requested(self) -> bool: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def call(self) -> CallView | None: ...
    @property
    def contact(self) -> ContactView | None: ...


@dataclass(frozen=True)
class SearchResult:
    contacts: list[Contact]
    tickets: list[Ticket]  # each with its call and contact loaded


@dataclass(frozen=True, slots=True)
class StatusSince:
    """A ticket's status and when it last changed (its creation, if it never did)."""

    tracking_code: str
    status: TicketStatus
    since: datetime


async def search(session: AsyncSession, query: str, limit: int = SEARCH_LIMIT) -> SearchResult:
    """Contacts and tickets matching ``query``: a tracking code (spaces allowed), a phone
    number (of the contact or the caller, in any usual form) or part of a contact's name.

    Newest first, at most ``limit`` of each; nothing for a query under 2 characters.
    """
    query = query.strip()[:MAX_QUERY]
    if len(query) < MIN_QUERY:
        return SearchResult([], [])
    compact = "".join(query.split())
    numbers = phone_variants(compact) if sum(c.isdigit() for c in compact) >= 6 else []
    contact_match: ColumnElement[bool] = Contact.name.ilike(f"%{_escape_like(query)}%", escape="\\")
    if numbers:
        contact_match = or_(contact_match, Contact.phone.in_(numbers))
    contacts = list((await session.scalars(
        select(Contact).where(contact_match).order_by(Contact.id.desc()).limit(limit))).all())
    ticket_match: ColumnElement[bool] = Ticket.contact_id.in_([contact.id for contact in contacts])
    if is_valid_tracking_code(compact):
        ticket_match = or_(ticket_match, Ticket.tracking_code == compact)
    if numbers:
        ticket_match = or_(ticket_match, Ticket.call_linkedid.in_(linkedids_from(numbers)))
    tickets = await session.scalars(
        select(Ticket).options(joinedload(Ticket.call), joinedload(Ticket.contact))
        .where(ticket_match).order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit))
    return SearchResult(contacts, list(tickets.all()))


async def tickets_of(session: AsyncSession, user_name: str, limit: int = 10) -> list[Ticket]:
    """The tickets assigned to ``user_name``, the most recently changed first, each with its
    call and contact loaded."""
    tickets = await session.scalars(
        select(Ticket).options(joinedload(Ticket.call), joinedload(Ticket.contact))
        .where(Ticket.assigned_to == user_name)
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc()).limit(limit))
    return list(tickets.all())


async def ticket_with_contact(session: AsyncSession, tracking_code: str) -> Ticket | None:
    """The ticket with ``tracking_code``, its call and contact loaded, read fresh."""
    return await session.scalar(
        select(Ticket).options(joinedload(Ticket.call), joinedload(Ticket.contact))
        .where(Ticket.tracking_code == tracking_code)
        .execution_options(populate_existing=True))


async def call_ticket_with_contact(session: AsyncSession, linkedid: str) -> Ticket | None:
    """The ticket of call ``linkedid``, its call and contact loaded."""
    return await session.scalar(
        select(Ticket).options(joinedload(Ticket.call), joinedload(Ticket.contact))
        .where(Ticket.call_linkedid == linkedid))


async def previous_tickets(session: AsyncSession, *, caller_ids: Collection[str],
                           contact_id: int | None, excluding_call: str,
                           limit: int) -> list[Ticket]:
    """The ``limit`` most recent tickets of calls from any of ``caller_ids`` or of contact
    ``contact_id``, the ticket of call ``excluding_call`` left out, newest first."""
    condition: ColumnElement[bool] = Ticket.call_linkedid.in_(linkedids_from(caller_ids))
    if contact_id is not None:
        condition = or_(condition, Ticket.contact_id == contact_id)
    tickets = await session.scalars(
        select(Ticket).where(condition, or_(Ticket.call_linkedid.is_(None),
                                            Ticket.call_linkedid != excluding_call))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit))
    return list(tickets.all())


def call_linkedids_of_contact(contact_id: int) -> Select[str | None]:
    """The linkedids of contact ``contact_id``'s tickets' calls, as a subquery for an ``IN``."""
    return select(Ticket.call_linkedid).where(Ticket.contact_id == contact_id)


def queued_call_linkedids() -> Select[str | None]:
    """The linkedids of the calls the IVR handed to the operators' queue, as a subquery."""
    return select(Ticket.call_linkedid).where(Ticket.call_linkedid.is_not(None),
                                              Ticket.ivr_outcome == IvrOutcome.QUEUED)


async def tracking_codes_of_calls(session: AsyncSession,
                                  linkedids: Sequence[str]) -> dict[str, str]:
    """The tracking code of each call's ticket, by linkedid (calls without a ticket left out)."""
    if not linkedids:
        return {}
    rows = await session.execute(select(Ticket.call_linkedid, Ticket.tracking_code)
                                 .where(Ticket.call_linkedid.in_(list(linkedids))))
    return {linkedid: code for linkedid, code in rows.all() if linkedid is not None}


async def status_since(session: AsyncSession, tracking_code: str) -> StatusSince | None:
    """The status of the ticket with ``tracking_code`` and when it last changed, if there is
    such a ticket. Nothing else of it is read."""
    status_changed = (select(func.max(TicketEvent.at))
                      .where(TicketEvent.ticket_id == Ticket.id,
                             TicketEvent.kind == TicketEventKind.STATUS)
                      .scalar_subquery())
    row = (await session.execute(
        select(Ticket.tracking_code, Ticket.status,
               func.coalesce(status_changed, Ticket.created_at, type_=UTCDateTime()))
        .where(Ticket.tracking_code == tracking_code))).one_or_none()
    if row is None:
        return None
    code, status, since = row
    return StatusSince(code, TicketStatus(status), since)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
