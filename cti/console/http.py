"""The operator console: ``GET /console``, its forms, and the screen-pop WebSocket.

- ``GET /console`` (the ``console`` permission): the seat's state and buttons, the live pop,
  the ticket form of the current call (``?ticket=CODE`` for another), the operator's recent
  tickets, and a search (``?q=``) of contacts and tickets by number, name or tracking code;
- ``POST /console/tickets/{code}``: the ticket form (:mod:`cti.console.ticket_form`);
- ``POST /console/seat/login | ready | pause | logout``: the ACD's operator actions, for the
  signed-in user as the queue member;
- ``POST /console/callbacks/{id}/call``: call a callback task back from the user's seat (the
  list of tasks, soonest due first, with their messages, is on the page);
- ``POST /console/callbacks/{id}/close``: close an open task that needs no call;
- ``GET /console/callbacks``: the list alone (HTML), which the page fetches again whenever a
  task changes (the WebSocket's ``callbacks`` message);
- ``GET /ws/console`` (WebSocket, the session cookie): the operator's own pops
  (:mod:`cti.console.screen_pop`), as JSON messages.

Forms answer with a redirect to the console (its message kept in the session for one page);
a ticket form that is refused shows the page again with what was typed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Protocol
from urllib.parse import quote, urlsplit

import structlog
from fastapi import APIRouter, Depends, Form, HTTPException, Request, WebSocket
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.websockets import WebSocketDisconnect

from acd.operators import OperatorError, Placement
from acd.state import SeatView
from centralino.core.ami import AmiError
from centralino.core.auth import live
from centralino.core.auth.models import Permission, User
from centralino.core.auth.web import current_user, signed_in
from centralino.core.path_params import RowId
from config.menu import MenuFile
from cti.callbacks.http import (
    BLOCKED_CALL,
    CALL_REFUSED,
    CallbackCalls,
    CallbackCard,
    callback_cards,
    refusal,
)
from cti.console.feed import ConsoleFeed
from cti.console.screen_pop import ScreenPopService, classification_label
from cti.console.ticket_form import FormAction, InvalidForm, TicketForm, apply_form
from cti.pages import (
    CALLBACK_OUTCOME_NAMES,
    CALLBACK_REASON_NAMES,
    PAUSE_REASON_NAMES,
    SEAT_STATE_NAMES,
    STATUS_NAMES,
    new_nonce,
    page_headers,
    templates,
)
from cti.tickets.classifications import classification_codes
from cti.tickets.queries import TicketView, search, ticket_with_contact, tickets_of
from cti.tickets.terms import TicketStatus
from cti.tickets.tracking import format_for_display
from cti.tickets.workflow import ConcurrentChange, InvalidTicketChange, InvalidTransition
from recordings.access import playable_recordings

log = structlog.get_logger(__name__)

WS_POLICY_VIOLATION = 1008
OUTCOME_NAMES = {
    "queued": "In coda operatori", "voicemail": "Segreteria",
    "hangup_in_menu": "Riaggancio nel menu", "info_message": "Messaggio informativo",
    "transfer": "Trasferita", "status_query": "Stato pratica",
}
DISPOSITION_NAMES = {"in_progress": "In corso", "answered": "Risposta",
                     "abandoned": "Abbandonata", "failed": "Non riuscita", "lost": "Persa"}
ORIGIN_NAMES = {"inbound": "In entrata", "callback": "Richiamata", "campaign": "Campagna"}
_FLASH = "console_flash"

Operator = Annotated[User, Depends(current_user(Permission.CONSOLE))]


class CallbackTask(Protocol):
    """What the console reads of a callback task it called or closed."""

    @property
    def caller(self) -> str: ...


class SeatsView(Protocol):
    """What the console reads of the ACD picture (:class:`acd.state.AcdPicture`)."""

    def seats(self) -> list[SeatView]: ...


class OperatorActions(Protocol):
    """The ACD's operator actions (:class:`acd.operators.OperatorDesk`)."""

    async def login(self, operator: str, seat: str) -> Placement: ...
    async def pause(self, operator: str, reason: str) -> Placement: ...
    async def ready(self, operator: str) -> Placement: ...
    async def logout(self, operator: str) -> Placement: ...


def console_router(sessions: async_sessionmaker[AsyncSession], pops: ScreenPopService,
                   seats: SeatsView, operators: OperatorActions, menu: Callable[[], MenuFile],
                   pause_reasons: Sequence[str],
                   callbacks: CallbackCalls | None = None) -> APIRouter:
    """The console's page, forms and WebSocket.

    ``menu`` gives the current menu file (classifications, the time zone of its hours);
    ``pause_reasons`` are the ACD's (``acd.pause_reasons``); ``callbacks`` calls tasks back
    (no callback list without it).
    """
    router = APIRouter(tags=["console"])
    pages = templates(lambda: menu().hours.timezone)

    async def render(request: Request, user: User, *, ticket_code: str | None = None,
                     query: str = "", form: TicketForm | None = None,
                     error: str | None = None, status_code: int = 200) -> Response:
        current = menu()
        code = ticket_code or pops.current_ticket(user.name)
        async with sessions() as session:
            ticket = await ticket_with_contact(session, code) if code else None
            recent = await tickets_of(session, user.name)
            found = await search(session, query) if query else None
            callback_list = await callback_cards(session) if callbacks else None
            recordings = (await playable_recordings(session, user, ticket.id, ticket.call_linkedid)
                          if ticket else [])
        if ticket_code and ticket is None:
            error = error or f"Nessuna pratica con il codice {ticket_code}."
        nonce, all_seats = new_nonce(), seats.seats()
        context = {
            **_callback_list(callback_list, _seat_of(all_seats, user.name),
                             _blocker(callbacks, user.name)),
            "user": user, "seats": all_seats, "pause_reasons": [
                (reason, PAUSE_REASON_NAMES.get(reason, reason)) for reason in pause_reasons],
            "flash": request.session.pop(_FLASH, None), "error": error,
            "ticket": ticket, "form": form or _form_of(ticket), "query": query,
            "found": found, "recent": recent, "nonce": nonce, "recordings": recordings,
            "classifications": _choices(current),
            "label": lambda code: classification_label(current, code),
            "status_names": STATUS_NAMES, "seat_state_names": SEAT_STATE_NAMES,
            "pause_reason_names": PAUSE_REASON_NAMES,
            "client": {"statusNames": STATUS_NAMES, "outcomeNames": OUTCOME_NAMES,
                       "dispositionNames": DISPOSITION_NAMES, "originNames": ORIGIN_NAMES,
                       "seatStateNames": SEAT_STATE_NAMES, "timezone": current.hours.timezone},
        }
        return pages.TemplateResponse(request, "console/console.html.j2", context,
                                      status_code=status_code, headers=page_headers(nonce))

    @router.get("/console", response_class=HTMLResponse)
    async def console_page(request: Request, user: Operator, ticket: str | None = None,
                           q: str = "") -> Response:
        """The console (``ticket``: open that ticket's form; ``q``: search)."""
        code = "".join(ticket.split()) if ticket else None
        return await render(request, user, ticket_code=code, query=q.strip()[:64])

    @router.post("/console/tickets/{code}")
    async def save_ticket(
        request: Request, code: str, user: Operator,
        classification: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "",
        resolution: Annotated[str, Form()] = "", callback: Annotated[bool, Form()] = False,
        second_level: Annotated[bool, Form()] = False, team: Annotated[str, Form()] = "",
        action: Annotated[FormAction, Form()] = FormAction.SAVE,
    ) -> Response:
        """Apply the ticket form; back to the console with what was done."""
        form = TicketForm(classification, note, resolution, callback, second_level, team, action)
        try:
            async with sessions() as session:
                ticket = await ticket_with_contact(session, code)
                if ticket is None:
                    raise HTTPException(404, detail=f"no ticket with tracking code {code}")
                done = await apply_form(session, ticket, form, user.name, menu())
                saved = await ticket_with_contact(session, code)
        except (InvalidForm, InvalidTicketChange, ConcurrentChange) as exc:
            return await render(request, user, ticket_code=code, form=form,
                                error=_explain(exc), status_code=_status_for(exc))
        if saved is not None:
            pops.ticket_changed(user.name, saved)
        log.info("console.ticket_saved", tracking_code=code, user=user.name, done=done)
        what = ", ".join(done) if done else "nessuna modifica"
        _flash(request, f"Pratica {format_for_display(code)}: {what}.")
        return _back(code)

    async def seat_action(request: Request, user: User,
                          action: Callable[[], Awaitable[Placement]], done: str) -> Response:
        try:
            placement = await action()
        except OperatorError as exc:
            _flash(request, f"Non è stato possibile: {exc}.", error=True)
        except (AmiError, OSError) as exc:
            log.warning("console.seat_action_failed", user=user.name, error=str(exc))
            _flash(request, "Il centralino non risponde: riprova tra poco.", error=True)
        else:
            _flash(request, f"{done} ({placement.seat}).")
        return RedirectResponse("/console", status_code=303)

    @router.post("/console/seat/login")
    async def seat_login(request: Request, user: Operator,
                         seat: Annotated[str, Form()]) -> Response:
        """Log the user in to ``seat``: their name becomes the queue member's."""
        return await seat_action(request, user, lambda: operators.login(user.name, seat),
                                 "In servizio")

    @router.post("/console/seat/ready")
    async def seat_ready(request: Request, user: Operator) -> Response:
        return await seat_action(request, user, lambda: operators.ready(user.name), "Pronto")

    @router.post("/console/seat/pause")
    async def seat_pause(request: Request, user: Operator,
                         reason: Annotated[str, Form()]) -> Response:
        return await seat_action(request, user, lambda: operators.pause(user.name, reason),
                                 f"In pausa: {PAUSE_REASON_NAMES.get(reason, reason)}")

    @router.post("/console/seat/logout")
    async def seat_logout(request: Request, user: Operator) -> Response:
        return await seat_action(request, user, lambda: operators.logout(user.name),
                                 "Fuori servizio")

    async def callback_action(request: Request,
                              action: Callable[[CallbackCalls], Awaitable[CallbackTask]],
                              done: Callable[[CallbackTask], str]) -> Response:
        if callbacks is None:
            raise HTTPException(404, detail="callbacks are not available here")
        try:
            task = await action(callbacks)
        except CALL_REFUSED as exc:
            _flash(request, refusal(exc)[1], error=True)
        else:
            _flash(request, done(task))
        return RedirectResponse("/console", status_code=303)

    @router.post("/console/callbacks/{callback_id}/call")
    async def call_back(request: Request, callback_id: RowId, user: Operator) -> Response:
        """Ring the user's seat, then the task's caller."""
        return await callback_action(
            request, lambda calls: calls.call_back(callback_id, user.name),
            lambda task: f"Richiamata di {task.caller}: risponde la tua postazione, poi "
                         "squilla il chiamante.")

    @router.get("/console/callbacks", response_class=HTMLResponse)
    async def callback_list(request: Request, user: Operator) -> Response:
        """The callback list as on the page (the page swaps it in when a task changes)."""
        if callbacks is None:
            raise HTTPException(404, detail="callbacks are not available here")
        async with sessions() as session:
            cards = await callback_cards(session)
        return pages.TemplateResponse(
            request, "console/callbacks.html.j2",
            _callback_list(cards, _seat_of(seats.seats(), user.name),
                           _blocker(callbacks, user.name)),
            headers=page_headers(new_nonce()))

    @router.post("/console/callbacks/{callback_id}/close")
    async def close_callback(request: Request, callback_id: RowId, user: Operator) -> Response:
        """Close an open task that needs no call (the caller was reached another way)."""
        return await callback_action(request, lambda calls: calls.close(callback_id, user.name),
                                     lambda task: f"Richiamata di {task.caller} chiusa.")

    @router.websocket("/ws/console")
    async def console_socket(websocket: WebSocket) -> None:
        """The signed-in operator's pops; refused without a session or from another site."""
        user = await _socket_user(websocket)
        if user is None or not _same_origin(websocket):
            await websocket.close(code=WS_POLICY_VIOLATION)
            return
        await websocket.accept()
        feed = pops.open_console(user.name)
        log.info("console.connected", user=user.name, consoles=pops.hub.connected(user.name))
        try:
            await _pump(websocket, feed, lambda: _socket_user(websocket))
        finally:
            pops.close_console(feed)
            log.info("console.disconnected", user=user.name)

    return router


# -- the WebSocket ---------------------------------------------------------------------------------


async def _socket_user(websocket: WebSocket) -> User | None:
    """The signed-in user of the WebSocket's session cookie if they may use the console."""
    try:
        user = await signed_in(websocket)
    except SQLAlchemyError as exc:
        log.warning("console.session_check_failed", error=str(exc))
        return None
    return user if user is not None and user.may(Permission.CONSOLE) else None


def _same_origin(websocket: WebSocket) -> bool:
    """Browsers send ``Origin``: it must be this site (no cross-site WebSocket hijacking)."""
    origin = websocket.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == websocket.headers.get("host")


async def _pump(websocket: WebSocket, feed: ConsoleFeed,
                still_signed_in: Callable[[], Awaitable[User | None]]) -> None:
    """Send the feed's messages until the console goes or its user may no longer have them."""
    receiver = asyncio.create_task(_until_disconnect(websocket))
    checked = time.monotonic()
    try:
        while not receiver.done():
            getter = asyncio.create_task(feed.queue.get())
            done, _ = await asyncio.wait({getter, receiver}, timeout=live.RECHECK_SECONDS,
                                         return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                await websocket.send_json(getter.result())
            else:
                getter.cancel()
            if receiver.done():
                return
            if time.monotonic() - checked >= live.RECHECK_SECONDS:  # busy or idle alike
                checked = time.monotonic()
                if await still_signed_in() is None:
                    await websocket.close(code=WS_POLICY_VIOLATION)
                    return
    except (WebSocketDisconnect, OSError):
        return
    finally:
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await receiver


async def _until_disconnect(websocket: WebSocket) -> None:
    """Read (and ignore) what the console sends, until it disconnects."""
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass


# -- helpers -------------------------------------------------------------------------------------


def _callback_list(cards: list[CallbackCard] | None, seat: SeatView | None,
                   call_blocked: str | None) -> dict[str, Any]:
    """What ``console/callbacks.html.j2`` needs (no list: ``cards`` None; ``call_blocked``:
    why the call button is disabled)."""
    return {"callbacks": cards, "seat": seat, "call_blocked": call_blocked,
            "callback_outcome_names": CALLBACK_OUTCOME_NAMES,
            "callback_reason_names": CALLBACK_REASON_NAMES}


def _blocker(callbacks: CallbackCalls | None, operator: str) -> str | None:
    """Why ``operator`` cannot call back now, as the console says it; None if they can."""
    reason = callbacks.call_blocker(operator) if callbacks is not None else None
    return BLOCKED_CALL.get(reason, reason) if reason is not None else None


def _seat_of(seats: list[SeatView], operator: str) -> SeatView | None:
    return next((seat for seat in seats if seat.operator == operator), None)


def _choices(menu: MenuFile) -> list[tuple[str, str, int]]:
    """Every classification as (code, label, depth), parents first, for a select."""
    return [(code, classification_label(menu, code) or code, code.count("."))
            for code in classification_codes(menu)]


def _form_of(ticket: TicketView | None) -> TicketForm:
    if ticket is None:
        return TicketForm()
    return TicketForm(classification=ticket.classification or "",
                      callback=ticket.callback_requested,
                      second_level=ticket.status == TicketStatus.WAITING_SECOND_LEVEL,
                      team=ticket.second_level_team or "")


def _explain(exc: Exception) -> str:
    if isinstance(exc, ConcurrentChange):
        return "Qualcun altro ha modificato la pratica nel frattempo: ricarica e riprova."
    if isinstance(exc, InvalidTransition):
        allowed = ", ".join(STATUS_NAMES[s] for s in exc.allowed) or "nessuno"
        return (f"Una pratica «{STATUS_NAMES[exc.from_status]}» non può diventare "
                f"«{STATUS_NAMES[exc.to_status]}» (stati possibili: {allowed}).")
    return str(exc)


def _status_for(exc: Exception) -> int:
    return 409 if isinstance(exc, ConcurrentChange | InvalidTransition) else 422


def _flash(request: Request, text: str, *, error: bool = False) -> None:
    request.session[_FLASH] = {"text": text, "error": error}


def _back(code: str) -> RedirectResponse:
    return RedirectResponse(f"/console?ticket={quote(code)}", status_code=303)

