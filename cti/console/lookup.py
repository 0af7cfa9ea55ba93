"""Finding tickets and contacts for the operator console: by number, name or tracking code."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from centralino.core.calls.models import Call
from cti.tickets.contacts import phone_variants
from cti.tickets.models import Contact, Ticket
from cti.tickets.tracking import is_valid_tracking_code

LIMIT = 20
MIN_QUERY = 2  # characters
MAX_QUERY = 64


@dataclass(frozen=True)
class SearchResult:
    contacts: list[Contact]
    tickets: list[Ticket]  # each with its call and contact loaded


async def search(session: AsyncSession, query: str, limit: int = LIMIT) -> SearchResult:
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
        ticket_match = or_(ticket_match, Ticket.call_linkedid.in_(
            select(Call.linkedid).where(Call.caller_id.in_(numbers))))
    tickets = await session.scalars(
        select(Ticket).options(joinedload(Ticket.call), joinedload(Ticket.contact))
        .where(ticket_match).order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit))
    return SearchResult(contacts, list(tickets.all()))


async def tickets_of(session: AsyncSession, user_name: str, limit: int = 10) -> list[Ticket]:
    """The tickets assigned to ``user_name``, the most recently changed first."""
    tickets = await session.scalars(
        select(Ticket).options(joinedload(Ticket.call), joinedload(Ticket.contact))
        .where(Ticket.assigned_to == user_name)
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc()).limit(limit))
    return list(tickets.all())


async def ticket_with_contact(session: AsyncSession, tracking_code: str) -> Ticket | None:
    """The ticket with ``tracking_code``, its call and contact loaded."""
    return await session.scalar(
        select(Ticket).options(joinedload(Ticket.call), joinedload(Ticket.contact))
        .where(Ticket.tracking_code == tracking_code)
        .execution_options(populate_existing=True))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
