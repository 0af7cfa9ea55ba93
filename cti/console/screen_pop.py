"""The screen-pop: what an operator sees of a caller the moment their seat rings.

:func:`build_screen_pop` reads it from the database (the call's ticket and IVR trace, the
contact, their last calls and tickets); :class:`ScreenPopService` follows the ACD's events on the
bus and hands pops to the operator's consoles (:mod:`cti.console.feed`). Its bus handlers only
update memory and start tasks: the database work runs in those tasks, never in the bus.

Messages to a console (JSON):

- ``{"type": "pop", "answered": false, "pop": {...}}``: a seat of the operator rings
  (:meth:`ScreenPop.to_json`); sent again when a console connects, until the next call;
- ``{"type": "answered", "linkedid"}``: the operator took the call;
- ``{"type": "assigned", "linkedid", "tracking_code", "status", "assigned_to"}``: its ticket is
  now theirs;
- ``{"type": "withdrawn", "linkedid", "reason"}``: the pop is void (``not_answered``,
  ``answered_elsewhere``, ``abandoned``);
- ``{"type": "seat", "seat", "state", "reason", "registered", "since"}``: the operator's seat
  changed (as :class:`~centralino.core.events.SeatChanged`);
- ``{"type": "callbacks", "callback", "status"}`` (to every console): a callback task changed,
  the list is to be fetched again (``GET /console/callbacks``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core import events
from centralino.core.bus import EventBus
from centralino.core.calls.service import previous_calls
from centralino.core.tasks import TaskSet
from config.menu import MenuFile
from cti.console.feed import ConsoleFeed, ConsoleHub, Message
from cti.tickets.classifications import UnknownClassification, label
from cti.tickets.contacts import contact_by_phone, phone_variants
from cti.tickets.queries import (
    ContactView,
    TicketView,
    call_linkedids_of_contact,
    call_ticket_with_contact,
    previous_tickets,
    tracking_codes_of_calls,
)
from cti.tickets.store import get_ticket, ticket_for_call
from cti.tickets.tracking import is_valid_tracking_code
from cti.tickets.workflow import ConcurrentChange, InvalidTicketChange, TicketNotFound, assign

log = structlog.get_logger(__name__)

HISTORY = 5  # previous calls and tickets shown
ASSIGNED_BY = "system"  # the actor of the assignment made when an operator answers
STALE_AFTER = timedelta(hours=1)  # a queued caller never seen leaving is forgotten then
_RANG_OUT = frozenset({"ready", "paused", "logged_out", "wrap_up"})  # after ringing, unanswered


@dataclass(frozen=True, slots=True)
class PopContact:
    id: int
    name: str
    phone: str | None
    matched_by: str  # "pin" (keyed in the IVR) or "phone" (the caller id)


@dataclass(frozen=True, slots=True)
class PopTicket:
    tracking_code: str
    status: str
    classification: str | None
    classification_label: str | None
    language: str | None
    dtmf_path: str
    ivr_nodes: list[dict[str, Any]]
    ivr_outcome: str | None
    callback_requested: bool
    assigned_to: str | None
    notes: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PastCall:
    linkedid: str
    started_at: datetime
    caller_id: str | None
    disposition: str
    duration_seconds: float | None
    tracking_code: str | None
    origin: str  # inbound, callback or campaign: who placed the call


@dataclass(frozen=True, slots=True)
class PastTicket:
    tracking_code: str
    status: str
    classification: str | None
    classification_label: str | None
    created_at: datetime
    resolution: str | None


@dataclass(frozen=True, slots=True)
class CampaignTicket:
    """The ticket of a campaign's contact, as the campaign call says it (CENTRALINO_TICKET)."""

    tracking_code: str
    status: str | None  # None: no such ticket (a code the list had wrong, or deleted since)


@dataclass(frozen=True, slots=True)
class ScreenPop:
    """Everything an operator sees of a ringing caller."""

    linkedid: str
    queue: str
    seat: str
    operator: str
    caller_id: str | None
    rung_at: datetime
    queued_at: datetime | None  # when the caller joined the queue, if seen
    waited_seconds: int | None  # in the queue, until the seat rang
    ticket: PopTicket | None  # the ticket opened for this call
    contact: PopContact | None
    previous_calls: list[PastCall]
    previous_tickets: list[PastTicket]
    campaign: str | None = None  # a campaign call handed to the operators: its campaign
    campaign_ticket: CampaignTicket | None = None  # and its contact's ticket

    def to_json(self) -> dict[str, Any]:
        """The pop as JSON-ready data (times in ISO 8601)."""
        return _jsonable(asdict(self))


async def build_screen_pop(session: AsyncSession, called: events.AgentCalled,
                           queued_at: datetime | None, menu: MenuFile) -> ScreenPop:
    """The pop of the call ``called`` rings a seat for.

    The contact is the one the caller identified with their PIN (the ticket's), else the one
    whose phone is the caller id. Previous calls are those from the caller's number or the
    contact's (and the contact's tickets'), newest first, :data:`HISTORY` of each. A campaign
    call says its campaign and its contact's ticket.
    """
    ticket = await call_ticket_with_contact(session, called.linkedid)
    caller_id = called.caller_id or (ticket.call.caller_id if ticket and ticket.call else None)
    contact, matched_by = (ticket.contact, "pin") if ticket and ticket.contact else (None, "")
    if contact is None and caller_id:
        contact, matched_by = await contact_by_phone(session, caller_id), "phone"
    numbers = _numbers(caller_id, contact)
    waited = (max(0, round((called.at - queued_at).total_seconds()))
              if queued_at is not None else None)
    return ScreenPop(
        linkedid=called.linkedid, queue=called.queue, seat=called.seat,
        operator=called.operator, caller_id=caller_id, rung_at=called.at,
        queued_at=queued_at, waited_seconds=waited,
        ticket=_pop_ticket(ticket, menu) if ticket is not None else None,
        contact=(PopContact(contact.id, contact.name, contact.phone, matched_by)
                 if contact is not None else None),
        previous_calls=await _previous_calls(session, called.linkedid, numbers, contact),
        previous_tickets=await _previous_tickets(session, called.linkedid, numbers, contact,
                                                 menu),
        campaign=called.campaign,
        campaign_ticket=await _campaign_ticket(session, called.campaign_ticket))


def classification_label(menu: MenuFile, code: str | None) -> str | None:
    """The label of ``code`` in the menu's first language; the code itself if the menu no
    longer has it; None for None."""
    if code is None:
        return None
    try:
        return label(menu, code, menu.languages[0])
    except UnknownClassification:
        return code


@dataclass
class _Ringing:
    """The call a seat of an operator rings (or rang) for, and its pop once built."""

    linkedid: str
    seat: str
    pop: dict[str, Any] | None = None
    answered: bool = False


class ScreenPopService:
    """Follows the ACD on the bus; builds each pop and sends it to the operator's consoles."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], bus: EventBus,
                 menu: Callable[[], MenuFile], hub: ConsoleHub | None = None) -> None:
        """``menu`` gives the current menu file (for the classification labels)."""
        self.hub = hub or ConsoleHub()
        self._sessions = sessions
        self._menu = menu
        self._current: dict[str, _Ringing] = {}  # by operator
        self._queued_at: dict[str, datetime] = {}  # by linkedid
        self._seat_states: dict[str, str] = {}
        self._tasks = TaskSet(failure_event="screen_pop.task_failed")
        bus.subscribe(events.CallerQueued, self._on_caller_queued)
        bus.subscribe(events.CallerLeftQueue, self._on_caller_left)
        bus.subscribe(events.AgentCalled, self._on_agent_called)
        bus.subscribe(events.QueueCallAnswered, self._on_answered)
        bus.subscribe(events.QueueCallAbandoned, self._on_abandoned)
        bus.subscribe(events.SeatChanged, self._on_seat_changed)
        bus.subscribe(events.CallbackChanged, self._on_callback_changed)

    def open_console(self, operator: str) -> ConsoleFeed:
        """Connect a console of ``operator``; the current pop, if any, is its first message."""
        feed = self.hub.connect(operator)
        ringing = self._current.get(operator)
        if ringing is not None and ringing.pop is not None:
            feed.put(_pop_message(ringing))
        return feed

    def close_console(self, feed: ConsoleFeed) -> None:
        self.hub.disconnect(feed)

    def current_ticket(self, operator: str) -> str | None:
        """The tracking code of the ticket of ``operator``'s current pop, if any."""
        ringing = self._current.get(operator)
        ticket = ringing.pop.get("ticket") if ringing and ringing.pop else None
        return ticket["tracking_code"] if ticket else None

    def ticket_changed(self, operator: str, ticket: TicketView) -> None:
        """``ticket`` was changed: if it is in ``operator``'s current pop, the pop shows it as
        it is now (a console that connects later gets it so)."""
        ringing = self._current.get(operator)
        if ringing is None or ringing.pop is None or ringing.pop.get("ticket") is None:
            return
        if ringing.pop["ticket"]["tracking_code"] == ticket.tracking_code:
            ringing.pop["ticket"] = _jsonable(asdict(_pop_ticket(ticket, self._menu())))

    async def stop(self) -> None:
        """Cancel the pops and assignments still being worked on."""
        await self._tasks.cancel_all()

    # -- bus handlers: quick, synchronous ---------------------------------------------------------

    def _on_caller_queued(self, event: events.CallerQueued) -> None:
        self._queued_at[event.linkedid] = event.at
        horizon = event.at - STALE_AFTER
        for linkedid in [k for k, at in self._queued_at.items() if at < horizon]:
            del self._queued_at[linkedid]

    def _on_caller_left(self, event: events.CallerLeftQueue) -> None:
        self._queued_at.pop(event.linkedid, None)

    def _on_agent_called(self, event: events.AgentCalled) -> None:
        ringing = _Ringing(event.linkedid, event.seat)
        self._current[event.operator] = ringing
        self._spawn(self._pop(event, ringing, self._queued_at.get(event.linkedid)),
                    f"screen-pop-{event.linkedid}")

    def _on_answered(self, event: events.QueueCallAnswered) -> None:
        for operator, ringing in list(self._current.items()):
            if ringing.linkedid != event.linkedid or ringing.answered:
                continue
            if operator == event.operator:
                ringing.answered = True
                self.hub.send(operator, {"type": "answered", "linkedid": event.linkedid})
            else:
                self._withdraw(operator, "answered_elsewhere")
        self._spawn(self._assign(event.linkedid, event.operator),
                    f"screen-pop-assign-{event.linkedid}")

    def _on_abandoned(self, event: events.QueueCallAbandoned) -> None:
        for operator, ringing in list(self._current.items()):
            if ringing.linkedid == event.linkedid and not ringing.answered:
                self._withdraw(operator, "abandoned")

    def _on_callback_changed(self, event: events.CallbackChanged) -> None:
        """Every console shows the callback list: each is told to fetch it again."""
        self.hub.broadcast({"type": "callbacks", "callback": event.callback_id,
                            "status": event.status})

    def _on_seat_changed(self, event: events.SeatChanged) -> None:
        before = self._seat_states.get(event.seat)
        self._seat_states[event.seat] = event.state
        if event.operator is not None:
            self.hub.send(event.operator, {
                "type": "seat", "seat": event.seat, "state": event.state,
                "reason": event.reason, "registered": event.registered,
                "since": event.since.isoformat() if event.since else None})
        if before != "ringing" or event.state not in _RANG_OUT:
            return
        for operator, ringing in list(self._current.items()):
            if ringing.seat == event.seat and not ringing.answered:
                self._withdraw(operator, "not_answered")

    def _withdraw(self, operator: str, reason: str) -> None:
        ringing = self._current.pop(operator)
        self.hub.send(operator, {"type": "withdrawn", "linkedid": ringing.linkedid,
                                 "reason": reason})

    # -- tasks ----------------------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.spawn(work, name=name)

    async def _pop(self, event: events.AgentCalled, ringing: _Ringing,
                   queued_at: datetime | None) -> None:
        try:
            async with self._sessions() as session:
                pop = await build_screen_pop(session, event, queued_at, self._menu())
        except (SQLAlchemyError, OSError) as exc:
            log.error("screen_pop.failed", linkedid=event.linkedid, operator=event.operator,
                      error=str(exc))
            return
        ringing.pop = pop.to_json()
        if self._current.get(event.operator) is not ringing:
            return  # withdrawn, or another call rings already
        consoles = self.hub.send(event.operator, _pop_message(ringing))
        log.info("screen_pop.sent", linkedid=event.linkedid, operator=event.operator,
                 seat=event.seat, consoles=consoles)

    async def _assign(self, linkedid: str, operator: str) -> None:
        try:
            async with self._sessions() as session:
                ticket = await ticket_for_call(session, linkedid)
                if ticket is None:
                    log.warning("screen_pop.no_ticket_to_assign", linkedid=linkedid)
                    return
                ticket = await assign(session, ticket.tracking_code, operator, ASSIGNED_BY)
        except (InvalidTicketChange, ConcurrentChange, TicketNotFound, SQLAlchemyError,
                OSError) as exc:
            log.warning("screen_pop.assign_failed", linkedid=linkedid, operator=operator,
                        error=str(exc))
            return
        log.info("screen_pop.assigned", linkedid=linkedid, operator=operator,
                 tracking_code=ticket.tracking_code)
        self.hub.send(operator, {"type": "assigned", "linkedid": linkedid,
                                 "tracking_code": ticket.tracking_code, "status": ticket.status,
                                 "assigned_to": ticket.assigned_to})
        self.ticket_changed(operator, ticket)


# -- reading the database ------------------------------------------------------------------------


def _pop_message(ringing: _Ringing) -> Message:
    return {"type": "pop", "answered": ringing.answered, "pop": ringing.pop}


def _numbers(caller_id: str | None, contact: ContactView | None) -> list[str]:
    numbers = set(phone_variants(caller_id)) if caller_id else set()
    if caller_id:
        numbers.add(caller_id)
    if contact is not None and contact.phone:
        numbers.update(phone_variants(contact.phone))
    return sorted(numbers)


def _pop_ticket(ticket: TicketView, menu: MenuFile) -> PopTicket:
    return PopTicket(
        tracking_code=ticket.tracking_code, status=ticket.status,
        classification=ticket.classification,
        classification_label=classification_label(menu, ticket.classification),
        language=ticket.language, dtmf_path=ticket.dtmf_path, ivr_nodes=list(ticket.ivr_nodes),
        ivr_outcome=ticket.ivr_outcome, callback_requested=ticket.callback_requested,
        assigned_to=ticket.assigned_to, notes=ticket.notes, created_at=ticket.created_at)


async def _campaign_ticket(session: AsyncSession, code: str | None) -> CampaignTicket | None:
    if not code:
        return None
    ticket = await get_ticket(session, code) if is_valid_tracking_code(code) else None
    return CampaignTicket(code, ticket.status if ticket is not None else None)


async def _previous_calls(session: AsyncSession, linkedid: str, numbers: list[str],
                          contact: ContactView | None) -> list[PastCall]:
    if not numbers and contact is None:
        return []
    calls = await previous_calls(
        session, caller_ids=numbers, excluding=linkedid, limit=HISTORY,
        linkedids=call_linkedids_of_contact(contact.id) if contact is not None else None)
    codes = await tracking_codes_of_calls(session, [call.linkedid for call in calls])
    return [PastCall(call.linkedid, call.started_at, call.caller_id, call.disposition,
                     call.duration_seconds, codes.get(call.linkedid), call.origin)
            for call in calls]


async def _previous_tickets(session: AsyncSession, linkedid: str, numbers: list[str],
                            contact: ContactView | None, menu: MenuFile) -> list[PastTicket]:
    if not numbers and contact is None:
        return []
    tickets = await previous_tickets(
        session, caller_ids=numbers, contact_id=contact.id if contact is not None else None,
        excluding_call=linkedid, limit=HISTORY)
    return [PastTicket(t.tracking_code, t.status, t.classification,
                       classification_label(menu, t.classification), t.created_at, t.resolution)
            for t in tickets]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value
