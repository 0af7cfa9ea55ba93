"""The ticket workflow: the statuses a ticket may move between, and every change with its history.

Same convention as :mod:`cti.tickets.store`: functions take an :class:`AsyncSession` and commit
their own unit of work. Each change writes its ``ticket_events`` rows (who, when, from, to) in the
same transaction as the change itself. A change that changes nothing writes nothing.

Changes are optimistic: the ``UPDATE`` applies only while the ticket still holds what was read
(its status, and the field being changed). When someone else got there first it changes no row,
nothing is written and :class:`ConcurrentChange` is raised: the operator reloads and decides
again. Notes are appended by the database, so two notes at once are both kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from centralino.core.db import utcnow
from cti.tickets.models import Ticket, TicketEvent, TicketEventKind, TicketStatus

_S = TicketStatus
TRANSITIONS: Mapping[TicketStatus, frozenset[TicketStatus]] = MappingProxyType({
    _S.NEW: frozenset({_S.ASSIGNED, _S.IN_PROGRESS, _S.WAITING_SECOND_LEVEL, _S.RESOLVED}),
    _S.ASSIGNED: frozenset({_S.IN_PROGRESS, _S.WAITING_SECOND_LEVEL, _S.RESOLVED}),
    _S.IN_PROGRESS: frozenset({_S.WAITING_SECOND_LEVEL, _S.RESOLVED}),
    _S.WAITING_SECOND_LEVEL: frozenset({_S.IN_PROGRESS, _S.RESOLVED}),
    _S.RESOLVED: frozenset({_S.CLOSED, _S.REOPENED}),
    _S.CLOSED: frozenset({_S.REOPENED}),
    _S.REOPENED: frozenset({_S.ASSIGNED, _S.IN_PROGRESS, _S.WAITING_SECOND_LEVEL, _S.RESOLVED}),
})
"""From each status, the statuses a ticket may move to."""

DONE = frozenset({_S.RESOLVED, _S.CLOSED})  # no SLA runs: never overdue
WORKED_ON = frozenset({_S.ASSIGNED, _S.IN_PROGRESS, _S.WAITING_SECOND_LEVEL})
MAX_NAME = 64  # user, team, actor and classification names
MAX_TEXT = 4000  # a note, a resolution, a detail
NOTE_SEPARATOR = "\n\n"


class TicketNotFound(LookupError):
    """No ticket has this tracking code."""

    def __init__(self, tracking_code: str) -> None:
        self.tracking_code = tracking_code
        super().__init__(f"no ticket with tracking code {tracking_code}")


class InvalidTicketChange(ValueError):
    """A change that cannot be made as asked; the message says why, for the operator."""


class InvalidTransition(InvalidTicketChange):
    """A status change the workflow does not allow."""

    def __init__(self, from_status: TicketStatus, to_status: TicketStatus) -> None:
        self.from_status = from_status
        self.to_status = to_status
        self.allowed = allowed_from(from_status)
        allowed = ", ".join(self.allowed) or "nothing"
        super().__init__(f"a ticket cannot go from {from_status} to {to_status} "
                         f"(from {from_status} it can go to {allowed})")


class ConcurrentChange(RuntimeError):
    """Someone else changed the ticket between reading and writing it; nothing was written."""

    def __init__(self, tracking_code: str) -> None:
        self.tracking_code = tracking_code
        super().__init__(f"ticket {tracking_code} was changed by someone else meanwhile: "
                         "reload it and try again")


def allowed_from(status: TicketStatus) -> list[TicketStatus]:
    """The statuses a ticket in ``status`` may move to, in workflow order."""
    return [to for to in TicketStatus if to in TRANSITIONS[status]]


def check_transition(from_status: str, to_status: str) -> TicketStatus:
    """``to_status``, if a ticket in ``from_status`` may move there; else InvalidTransition."""
    current, target = as_status(from_status), as_status(to_status)
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(current, target)
    return target


def as_status(value: str) -> TicketStatus:
    """``value`` as a :class:`TicketStatus`; InvalidTicketChange naming the statuses if not one."""
    try:
        return TicketStatus(value)
    except ValueError:
        raise InvalidTicketChange(
            f"unknown status {value!r} (statuses: {', '.join(TicketStatus)})") from None


def is_overdue(ticket: Ticket, now: datetime) -> bool:
    """True for an open ticket whose SLA due time has passed."""
    return ticket.status not in DONE and ticket.due_at is not None and ticket.due_at < now


# -- changes ---------------------------------------------------------------------------------


async def change_status(session: AsyncSession, code: str, to: str, actor: str,
                        detail: str | None = None, *, expected: str | None = None) -> Ticket:
    """Move ticket ``code`` to status ``to``, if the workflow allows it from where it is.

    ``expected`` is the status the actor saw (a form's): if the ticket has moved on since,
    :class:`ConcurrentChange`. Resolving sets ``resolved_at``, closing ``closed_at``, and
    reopening clears both. Raises :class:`InvalidTransition`, :class:`TicketNotFound`.
    """
    actor, detail = _name(actor, "actor"), _optional_text(detail, "detail")
    ticket = await _load(session, code)
    current = as_status(expected if expected is not None else ticket.status)
    target = check_transition(current, to)
    at = utcnow()
    return await _apply(session, ticket, actor, at, _status_changes(target, at),
                        [_Event(TicketEventKind.STATUS, current, target, detail)],
                        guard={"status": current})


async def assign(session: AsyncSession, code: str, user_name: str, actor: str) -> Ticket:
    """Give ticket ``code`` to ``user_name``.

    A new or reopened ticket becomes ``assigned``; one already being worked on (assigned, in
    progress, with the second level) changes hands and keeps its status. A resolved or closed
    ticket is refused (:class:`InvalidTransition`): reopen it first.
    """
    user_name, actor = _name(user_name, "user name"), _name(actor, "actor")
    ticket = await _load(session, code)
    at = utcnow()
    changes: dict[str, Any] = {}
    events = []
    if ticket.status not in WORKED_ON:
        target = check_transition(ticket.status, TicketStatus.ASSIGNED)
        changes |= _status_changes(target, at)
        events.append(_Event(TicketEventKind.STATUS, ticket.status, target))
    if user_name != ticket.assigned_to:
        changes["assigned_to"] = user_name
        events.append(_Event(TicketEventKind.ASSIGNMENT, ticket.assigned_to, user_name))
    return await _apply(session, ticket, actor, at, changes, events,
                        guard=_as_read(ticket, "status", "assigned_to"))


async def classify(session: AsyncSession, code: str, classification: str, actor: str,
                   sla_hours: float | None) -> Ticket:
    """Classify ticket ``code``; unless it is resolved or closed, set its SLA due time.

    The due time is ``created_at + sla_hours`` (none when ``sla_hours`` is None): the caller
    looks the SLA up in the menu file (:func:`cti.tickets.classifications.sla_hours_for`).
    """
    classification, actor = _name(classification, "classification"), _name(actor, "actor")
    if sla_hours is not None and sla_hours <= 0:
        raise InvalidTicketChange(f"an SLA is a positive number of hours (got {sla_hours})")
    ticket = await _load(session, code)
    changes: dict[str, Any] = {}
    if classification != ticket.classification:
        changes["classification"] = classification
    due_at = ticket.due_at
    if ticket.status not in DONE:
        due_at = ticket.created_at + timedelta(hours=sla_hours) if sla_hours is not None else None
        if due_at != ticket.due_at:
            changes["due_at"] = due_at
    if not changes:
        return ticket
    detail = f"due {due_at.isoformat()}" if due_at is not None else "no SLA"
    return await _apply(session, ticket, actor, utcnow(), changes,
                        [_Event(TicketEventKind.CLASSIFICATION, ticket.classification,
                                classification, detail)],
                        guard=_as_read(ticket, "status", "classification"))


async def add_note(session: AsyncSession, code: str, note: str, actor: str) -> Ticket:
    """Append ``note`` to ticket ``code``'s notes, in any status (two at once are both kept)."""
    note, actor = _text(note, "note"), _name(actor, "actor")
    ticket = await _load(session, code)
    appended = case((Ticket.notes.is_(None), note),
                    else_=Ticket.notes + NOTE_SEPARATOR + note)
    return await _apply(session, ticket, actor, utcnow(), {"notes": appended},
                        [_Event(TicketEventKind.NOTE, detail=note)], guard={})


async def request_second_level(session: AsyncSession, code: str, team: str, actor: str,
                               note: str | None = None) -> Ticket:
    """Hand ticket ``code`` to the back-office ``team``: it waits for the second level.

    A ticket already waiting changes team. ``note`` tells the team what is needed.
    Raises :class:`InvalidTransition` from a status that cannot move there (resolved, closed).
    """
    team, actor = _name(team, "team"), _name(actor, "actor")
    note = _optional_text(note, "note")
    ticket = await _load(session, code)
    at = utcnow()
    changes: dict[str, Any] = {}
    events = []
    if ticket.status != TicketStatus.WAITING_SECOND_LEVEL:
        target = check_transition(ticket.status, TicketStatus.WAITING_SECOND_LEVEL)
        changes |= _status_changes(target, at)
        events.append(_Event(TicketEventKind.STATUS, ticket.status, target))
    if team != ticket.second_level_team:
        changes["second_level_team"] = team
    if changes or note is not None:
        events.append(_Event(TicketEventKind.SECOND_LEVEL, ticket.second_level_team, team, note))
    return await _apply(session, ticket, actor, at, changes, events,
                        guard=_as_read(ticket, "status", "second_level_team"))


async def request_callback(session: AsyncSession, code: str, actor: str,
                           requested: bool = True, detail: str | None = None) -> Ticket:
    """Mark ticket ``code`` as wanting a call back (``requested=False``: no longer)."""
    actor, detail = _name(actor, "actor"), _optional_text(detail, "detail")
    ticket = await _load(session, code)
    if ticket.callback_requested == requested:
        return ticket
    return await _apply(session, ticket, actor, utcnow(), {"callback_requested": requested},
                        [_Event(TicketEventKind.CALLBACK, _yes_no(ticket.callback_requested),
                                _yes_no(requested), detail)],
                        guard=_as_read(ticket, "callback_requested"))


async def resolve(session: AsyncSession, code: str, resolution: str, actor: str) -> Ticket:
    """Resolve ticket ``code`` with ``resolution`` (what was done), from a status that may."""
    resolution, actor = _text(resolution, "resolution"), _name(actor, "actor")
    ticket = await _load(session, code)
    target = check_transition(ticket.status, TicketStatus.RESOLVED)
    at = utcnow()
    return await _apply(session, ticket, actor, at,
                        {**_status_changes(target, at), "resolution": resolution},
                        [_Event(TicketEventKind.STATUS, ticket.status, target, resolution)],
                        guard=_as_read(ticket, "status"))


# -- queries ---------------------------------------------------------------------------------


async def history(session: AsyncSession, code: str) -> list[TicketEvent]:
    """Every change of ticket ``code``, oldest first. Raises :class:`TicketNotFound`."""
    ticket_id = await session.scalar(select(Ticket.id).where(Ticket.tracking_code == code))
    if ticket_id is None:
        raise TicketNotFound(code)
    result = await session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
        .order_by(TicketEvent.at, TicketEvent.id))
    return list(result.all())


async def overdue(session: AsyncSession, now: datetime, limit: int = 50) -> list[Ticket]:
    """Open tickets whose SLA due time is before ``now``, the longest overdue first.

    Each with its call loaded (``ticket.call``).
    """
    result = await session.scalars(
        select(Ticket).options(joinedload(Ticket.call))
        .where(Ticket.status.not_in(DONE), Ticket.due_at < now)
        .order_by(Ticket.due_at, Ticket.id).limit(limit))
    return list(result.all())


async def ticket_counts_by_status(session: AsyncSession) -> dict[str, int]:
    """How many tickets are in each status, every status included, in workflow order."""
    result = await session.execute(
        select(Ticket.status, func.count()).group_by(Ticket.status))
    counts: dict[str, int] = {status: count for status, count in result.all()}
    return {status.value: counts.get(status.value, 0) for status in TicketStatus}


# -- the one way a change is written ---------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    kind: TicketEventKind
    from_value: str | None = None
    to_value: str | None = None
    detail: str | None = None


async def _load(session: AsyncSession, code: str) -> Ticket:
    ticket = await session.scalar(
        select(Ticket).where(Ticket.tracking_code == code)
        .execution_options(populate_existing=True))
    if ticket is None:
        raise TicketNotFound(code)
    return ticket


async def _apply(session: AsyncSession, ticket: Ticket, actor: str, at: datetime,
                 changes: Mapping[str, Any], events: Sequence[_Event],
                 guard: Mapping[str, Any]) -> Ticket:
    """Write ``changes`` and ``events`` in one transaction if the ticket still matches ``guard``.

    Returns the ticket as stored; raises :class:`ConcurrentChange` if it no longer matches.
    """
    if not events:
        return ticket
    ticket_id, code = ticket.id, ticket.tracking_code  # a rollback expires ``ticket``
    conditions = [Ticket.id == ticket_id]
    for name, value in guard.items():
        column = getattr(Ticket, name)
        conditions.append(column.is_(None) if value is None else column == value)
    result = await session.execute(
        update(Ticket).where(*conditions).values(**changes, updated_at=at)
        .execution_options(synchronize_session=False))
    if not getattr(result, "rowcount", 0):
        await session.rollback()
        raise ConcurrentChange(code)
    session.add_all(TicketEvent(ticket_id=ticket_id, at=at, actor=actor, kind=event.kind,
                                from_value=event.from_value, to_value=event.to_value,
                                detail=event.detail) for event in events)
    await session.commit()
    return await _load(session, code)


def _status_changes(target: TicketStatus, at: datetime) -> dict[str, Any]:
    changes: dict[str, Any] = {"status": target.value}
    if target is TicketStatus.RESOLVED:
        changes["resolved_at"] = at
    elif target is TicketStatus.CLOSED:
        changes["closed_at"] = at
    elif target is TicketStatus.REOPENED:
        changes |= {"resolved_at": None, "closed_at": None}
    return changes


def _as_read(ticket: Ticket, *names: str) -> dict[str, Any]:
    return {name: getattr(ticket, name) for name in names}


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _name(value: str, what: str) -> str:
    value = value.strip()
    if not 0 < len(value) <= MAX_NAME:
        raise InvalidTicketChange(f"the {what} must be 1 to {MAX_NAME} characters")
    return value


def _text(value: str, what: str) -> str:
    value = value.strip()
    if not 0 < len(value) <= MAX_TEXT:
        raise InvalidTicketChange(f"the {what} must be 1 to {MAX_TEXT} characters")
    return value


def _optional_text(value: str | None, what: str) -> str | None:
    return None if value is None or not value.strip() else _text(value, what)
