"""The callback list for operators: ``GET /api/callbacks``, ``POST /api/callbacks/{id}/call``,
``POST /api/callbacks/{id}/close``, and the cards the console shows (task, tickets, messages
with player and transcript).

The console's call button is disabled, with the reason as its text, when no call can work
(:data:`BLOCKED_CALL`: no outbound trunk, the operator at no seat, the seat's phone not
registered); a task whose last attempt failed on the center's side (:data:`FAILED_ATTEMPT`:
Asterisk refused the call, the seat did not answer) shows that as an error.

Audio is served by the recordings package at ``/recordings/{id}/audio``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Protocol

import structlog
from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.auth.models import Permission, User
from centralino.core.auth.web import current_user
from centralino.core.dialing import DialFailed
from centralino.core.path_params import RowId
from cti.callbacks.models import ACTIVE_STATUSES, Callback, CallbackStatus
from cti.callbacks.service import CannotCall
from cti.callbacks.store import CallbackUnavailable, list_callbacks
from cti.tickets.queries import tracking_codes_of_calls
from recordings.access import recordings_by_id

log = structlog.get_logger(__name__)

MAX_LIMIT = 500
Operator = Annotated[User, Depends(current_user(Permission.CALLBACKS))]


class CallbackCalls(Protocol):
    """What the web needs of :class:`cti.callbacks.service.CallbackService`."""

    async def call_back(self, callback_id: int, operator: str) -> Callback: ...
    async def close(self, callback_id: int, operator: str) -> Callback: ...
    def call_blocker(self, operator: str) -> str | None: ...


BLOCKED_CALL = {  # why the call button is disabled (CannotCall codes)
    CannotCall.NO_TRUNK: "Nessuna linea in uscita: il centralino non ha un trunk per chiamare "
                         "(toll_free.outbound_contact non configurato).",
    CannotCall.NO_SEAT: "Entra in servizio su una postazione per richiamare.",
    CannotCall.SEAT_UNREGISTERED: "Il telefono della tua postazione non è registrato: "
                                  "accendilo o ricollegalo per richiamare.",
}
FAILED_ATTEMPT = {  # the last attempt's outcome, when the fault was on the center's side
    "failed": "L'ultima richiamata non è partita: il centralino non ha potuto avviare la "
              "chiamata.",
    "seat_unavailable": "L'ultima richiamata non è partita: la postazione non ha risposto.",
}


@dataclass(frozen=True, slots=True)
class Message:
    """A voicemail a task gathers, for the player."""

    recording_id: int
    recorded_at: datetime
    duration_seconds: float
    transcript: str | None

    @property
    def audio_url(self) -> str:
        return f"/recordings/{self.recording_id}/audio"

    def to_json(self) -> dict[str, Any]:
        return {"recording_id": self.recording_id, "audio_url": self.audio_url,
                "recorded_at": self.recorded_at.isoformat(),
                "duration_seconds": self.duration_seconds, "transcript": self.transcript}


@dataclass(frozen=True, slots=True)
class CallbackCard:
    """One task as operators see it."""

    task: Callback
    tickets: list[str]  # tracking codes of the calls it gathers
    messages: list[Message]

    @property
    def failed_attempt(self) -> str | None:
        """The error to show on an open task whose last attempt failed on the center's side."""
        if self.task.status != "open" or self.task.last_outcome is None:
            return None
        return FAILED_ATTEMPT.get(self.task.last_outcome)

    def to_json(self) -> dict[str, Any]:
        return {**self.task.to_json(), "tickets": self.tickets,
                "messages": [m.to_json() for m in self.messages]}


async def callback_cards(session: AsyncSession,
                         statuses: Sequence[CallbackStatus] = ACTIVE_STATUSES,
                         limit: int = 50) -> list[CallbackCard]:
    """Tasks in ``statuses``, soonest due first, with their tickets and messages."""
    tasks = await list_callbacks(session, statuses, limit)
    codes = await tracking_codes_of_calls(session, [i for t in tasks for i in t.linkedids])
    recordings = {r.id: r for r in await recordings_by_id(
        session, [i for t in tasks for i in t.recording_ids])}
    return [CallbackCard(
        task, [codes[i] for i in task.linkedids if i in codes],
        [Message(r.id, r.recorded_at, r.duration_seconds, _transcript_text(r.transcript))
         for r in (recordings.get(i) for i in task.recording_ids) if r is not None])
        for task in tasks]


CALL_REFUSED = (CannotCall, CallbackUnavailable, DialFailed)
"""What :meth:`CallbackCalls.call_back` raises when the call does not start."""


def refusal(exc: CannotCall | CallbackUnavailable | DialFailed) -> tuple[int, str]:
    """The HTTP status and the operator's explanation of a call back that did not start."""
    if isinstance(exc, CannotCall):
        return 409, BLOCKED_CALL.get(exc.reason, str(exc))
    if isinstance(exc, CallbackUnavailable):
        return 409, "Questa richiamata non è più da fare (già in corso o chiusa)."
    return 502, "Il centralino non ha potuto avviare la chiamata: riprova tra poco."


def callbacks_router(sessions: async_sessionmaker[AsyncSession],
                     calls: CallbackCalls) -> APIRouter:
    router = APIRouter(prefix="/api/callbacks", tags=["callbacks"])

    @router.get("")
    async def get_callbacks(
        _user: Operator, status: Annotated[list[CallbackStatus] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    ) -> list[dict[str, Any]]:
        """Tasks (the active ones unless ``status`` is given), soonest due first."""
        async with sessions() as session:
            cards = await callback_cards(session, status or ACTIVE_STATUSES, limit)
        return [card.to_json() for card in cards]

    @router.post("/{callback_id}/call", status_code=202)
    async def call(callback_id: RowId, user: Operator) -> dict[str, Any]:
        """Ring the signed-in operator's seat, then the caller; the outcome comes later."""
        return await _task_or_refusal(calls.call_back(callback_id, user.name))

    @router.post("/{callback_id}/close")
    async def close(callback_id: RowId, user: Operator) -> dict[str, Any]:
        """Close an open task that needs no call (the caller was reached another way)."""
        return await _task_or_refusal(calls.close(callback_id, user.name))

    return router


async def _task_or_refusal(action: Awaitable[Callback]) -> dict[str, Any]:
    """The task ``action`` gives, as JSON; a refusal as its HTTP status and explanation."""
    try:
        task = await action
    except CALL_REFUSED as exc:
        status, text = refusal(exc)
        raise HTTPException(status, detail=text) from None
    return task.to_json()


def _transcript_text(transcript: dict[str, Any] | None) -> str | None:
    text = (transcript or {}).get("text")
    return text if isinstance(text, str) and text.strip() else None
