"""The supervisor's live view: seats, waiting callers, today's numbers and calls by hour.

- ``GET /supervisor`` (the ``live_view`` permission: supervisors and admins): the page;
- ``GET /supervisor/live``: the live picture as JSON (:meth:`LiveBoard.snapshot`);
- ``GET /supervisor/events``: the same picture as Server-Sent Events, every second and at once
  when the ACD reports a change, until the user's session ends;
- ``GET /supervisor/chart``: today's calls by hour, an SVG drawn by the server (the page
  fetches it again every minute).

Seats and callers come from the ACD's picture, answered/abandoned calls and the service level
from its events (:mod:`cti.supervisor.queue_stats`), calls by hour from the database
(:mod:`cti.supervisor.call_stats`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from acd.state import SeatView, WaitingCaller
from centralino.core import events
from centralino.core.auth.live import while_signed_in
from centralino.core.auth.models import Permission, User
from centralino.core.auth.web import current_user
from centralino.core.bus import EventBus
from cti.pages import PAUSE_REASON_NAMES, SEAT_STATE_NAMES, new_nonce, page_headers, templates
from cti.supervisor.call_stats import calls_by_hour
from cti.supervisor.hourly_chart import hourly_chart
from cti.supervisor.queue_stats import QueueDayStats

TICK_SECONDS = 1.0
CHART_REFRESH_SECONDS = 60
_WAKING_EVENTS = (events.SeatChanged, events.CallerQueued, events.CallerLeftQueue,
                  events.QueueCallAnswered, events.QueueCallAbandoned)

Supervisor = Annotated[User, Depends(current_user(Permission.LIVE_VIEW))]


class AcdView(Protocol):
    """What the live view reads of the ACD picture (:class:`acd.state.AcdPicture`)."""

    def seats(self) -> list[SeatView]: ...
    def waiting(self) -> list[WaitingCaller]: ...


class LiveBoard:
    """The live picture for supervisors, and a wake-up for its streams when the ACD changes."""

    def __init__(self, acd: AcdView, stats: QueueDayStats, bus: EventBus,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._acd = acd
        self._stats = stats
        self._clock = clock
        self._watchers: set[asyncio.Event] = set()
        self._closed = False
        for event_type in _WAKING_EVENTS:
            bus.subscribe(event_type, self._wake)

    def snapshot(self) -> dict[str, Any]:
        """Now, every seat, the waiting callers (first in line first) and today's counts."""
        now = self._clock()
        waiting = self._acd.waiting()
        return {
            "now": now.isoformat(),
            "seats": [{**seat.to_json(), "state_label": SEAT_STATE_NAMES[seat.state.value],
                       "reason_label": PAUSE_REASON_NAMES.get(seat.reason or "", seat.reason)}
                      for seat in self._acd.seats()],
            "waiting": [{"caller_id": caller.caller_id, "position": caller.position,
                         "joined_at": caller.joined_at.isoformat()} for caller in waiting],
            "longest_wait_seconds": max(
                (round((now - caller.joined_at).total_seconds()) for caller in waiting),
                default=None),
            "today": self._stats.today().to_json(),
        }

    async def stream(self, tick: float = TICK_SECONDS) -> AsyncIterator[str]:
        """Server-Sent Events: a snapshot now, then every ``tick`` seconds or on a change,
        until the client goes or :meth:`close`."""
        wake = asyncio.Event()
        self._watchers.add(wake)
        try:
            while not self._closed:
                wake.clear()
                yield f"data: {json.dumps(self.snapshot())}\n\n"
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), tick)
        finally:
            self._watchers.discard(wake)

    def close(self) -> None:
        """End every stream: the web server waits for open responses before it stops."""
        self._closed = True
        self._wake(None)

    def _wake(self, _event: object) -> None:
        for wake in self._watchers:
            wake.set()


def supervisor_router(board: LiveBoard, sessions: async_sessionmaker[AsyncSession],
                      timezone: Callable[[], str]) -> APIRouter:
    """The live view's page, JSON, event stream and chart; ``timezone`` says what today is."""
    router = APIRouter(tags=["supervisor"])
    pages = templates(timezone)

    async def chart_markup() -> Markup:
        zone = ZoneInfo(timezone())
        now = datetime.now(zone)
        async with sessions() as session:
            hours = await calls_by_hour(session, now.date(), zone)
        return Markup(pages.get_template("supervisor/hourly_chart.svg.j2").render(
            chart=hourly_chart(hours, now)))

    @router.get("/supervisor", response_class=HTMLResponse)
    async def live_page(request: Request, user: Supervisor) -> Response:
        nonce = new_nonce()
        return pages.TemplateResponse(request, "supervisor/live.html.j2", {
            "user": user, "nonce": nonce, "chart": await chart_markup(),
            "client": {"snapshot": board.snapshot(), "timezone": timezone(),
                       "chartRefreshSeconds": CHART_REFRESH_SECONDS},
        }, headers=page_headers(nonce))

    @router.get("/supervisor/live")
    async def live_json(_user: Supervisor) -> dict[str, Any]:
        """``now``, ``seats`` (as ``GET /api/seats``, plus ``state_label``, ``reason_label``),
        ``waiting``
        (``caller_id``, ``position``, ``joined_at``), ``longest_wait_seconds``, ``today``
        (``answered``, ``abandoned``, ``answered_within``, ``threshold_seconds``,
        ``service_level`` 0..1 or null, ``since``)."""
        return board.snapshot()

    @router.get("/supervisor/events")
    async def live_events(request: Request, _user: Supervisor) -> StreamingResponse:
        """The stream ends when the user's session does (checked every few seconds)."""
        stream = while_signed_in(request, board.stream(), Permission.LIVE_VIEW)
        return StreamingResponse(stream, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store",
                                          "X-Accel-Buffering": "no"})

    @router.get("/supervisor/chart", response_class=HTMLResponse)
    async def chart(_user: Supervisor) -> HTMLResponse:
        return HTMLResponse(await chart_markup(), headers={"Cache-Control": "no-store"})

    return router
