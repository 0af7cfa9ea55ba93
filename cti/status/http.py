"""The public status page: a citizen keys a tracking code and sees where the case stands.

Public (``@public``: no sign-in). Nothing personal can leak: the look-up reads only the code,
the status and when the status last changed, never the caller, the notes, the people or the
classification. Look-ups are limited per client address (30 a minute by default), so the 10^8
codes cannot be tried in bulk; the check digit already refuses nine mistyped codes in ten
before the database is asked.

Look-ups are counted per IPv4 address and per IPv6 /64, and all clients together have a
ceiling (600 a minute by default) so many addresses cannot try codes in bulk either.

Behind a reverse proxy every client has the proxy's address: list the proxy in
``web.trusted_proxies`` so ``request.client`` is the citizen's (:mod:`centralino.core.proxies`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.auth.access import public
from centralino.core.rate_limit import RateLimiter, client_key
from cti.tickets.queries import status_since
from cti.tickets.terms import TicketStatus
from cti.tickets.tracking import format_for_display, is_valid_tracking_code

log = structlog.get_logger(__name__)

TEMPLATES = Path(__file__).parent.parent / "templates"
MAX_INPUT = 40  # characters of a keyed code, spaces included
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the code is in the URL: never hand it to another site
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}

STATUS_LABELS: Mapping[TicketStatus, Mapping[str, str]] = {
    TicketStatus.NEW: {"it": "Registrata, in attesa di essere presa in carico",
                       "en": "Registered, waiting to be taken up"},
    TicketStatus.ASSIGNED: {"it": "Assegnata a un operatore", "en": "Assigned to an operator"},
    TicketStatus.IN_PROGRESS: {"it": "In lavorazione", "en": "Being worked on"},
    TicketStatus.WAITING_SECOND_LEVEL: {"it": "All'esame degli uffici competenti",
                                        "en": "With the competent office"},
    TicketStatus.RESOLVED: {"it": "Risolta", "en": "Resolved"},
    TicketStatus.CLOSED: {"it": "Chiusa", "en": "Closed"},
    TicketStatus.REOPENED: {"it": "Riaperta, di nuovo in lavorazione",
                            "en": "Reopened, being worked on again"},
}

Language = Literal["it", "en"]


@dataclass(frozen=True)
class PublicStatus:
    """All the status page may know of a ticket."""

    tracking_code: str
    status: TicketStatus
    updated_at: datetime  # when the status last changed (the ticket's creation, if never)

    def label(self, language: Language) -> str:
        return STATUS_LABELS[self.status][language]

    def to_json(self, language: Language) -> dict[str, Any]:
        return {"tracking_code": self.tracking_code, "status": self.status.value,
                "status_label": self.label(language), "updated_at": self.updated_at.isoformat()}


async def public_status(session: AsyncSession, tracking_code: str) -> PublicStatus | None:
    """The public status of the ticket with ``tracking_code``, if there is one."""
    found = await status_since(session, tracking_code)
    return None if found is None else PublicStatus(found.tracking_code, found.status, found.since)


@dataclass(frozen=True)
class _Refusal:
    """Why a look-up has no answer: an HTTP status and a message in Italian and English."""

    status_code: int
    it: str
    en: str
    retry_after: int | None = None


def status_page_router(
    sessions: async_sessionmaker[AsyncSession],
    *,
    lookups_per_minute: int = 30,
    lookups_per_minute_total: int = 600,
    timezone: str = "Europe/Rome",
    clock: Callable[[], float] = time.monotonic,
) -> APIRouter:
    """``GET /status`` (the page, ``?code=`` to look up) and ``GET /api/status/{code}`` (JSON).

    Times on the page are shown in ``timezone``; ``clock`` drives the rate limits (tests).
    """
    router = APIRouter(tags=["status"])
    limiter = RateLimiter(lookups_per_minute, 60.0, clock)
    ceiling = RateLimiter(lookups_per_minute_total, 60.0, clock)
    zone = ZoneInfo(timezone)
    page = Environment(loader=FileSystemLoader(TEMPLATES), trim_blocks=True, lstrip_blocks=True,
                       autoescape=select_autoescape(default=True),
                       ).get_template("status_page.html.j2")

    async def look_up(request: Request, keyed: str) -> PublicStatus | _Refusal:
        # the client's own limit first: its refused hits do not use up everyone's ceiling
        wait = (limiter.hit(client_key(request.client.host if request.client else None))
                or ceiling.hit(""))
        if wait:
            return _Refusal(429, "Troppe richieste. Riprovi tra un minuto.",
                            "Too many requests. Please try again in a minute.", math.ceil(wait))
        code = "".join(keyed.split())
        if len(keyed) > MAX_INPUT or not is_valid_tracking_code(code):
            return _Refusal(400, "Questo non è un numero di pratica valido: sono 9 cifre. "
                                 "Controlli di averle digitate tutte e nell'ordine giusto.",
                            "This is not a valid case number: it has 9 digits. Please check "
                            "you typed all of them, in the right order.")
        try:
            async with sessions() as session:
                found = await public_status(session, code)
        except (SQLAlchemyError, OSError) as exc:
            log.error("status_page.lookup_failed", error=str(exc))
            return _Refusal(503, "Il servizio non è disponibile in questo momento. Riprovi più "
                                 "tardi.", "The service is unavailable right now. Please try "
                                           "again later.")
        if found is None:
            return _Refusal(404, f"Nessuna pratica con il numero {format_for_display(code)}.",
                            f"No case with the number {format_for_display(code)}.")
        return found

    @router.get("/status", response_class=HTMLResponse)
    @public
    async def status_page(request: Request, code: str | None = None) -> HTMLResponse:
        """The form; with ``code``, the status of that case below it."""
        if code is None:
            return _html(page.render(code=""), 200)
        answer = await look_up(request, code)
        if isinstance(answer, _Refusal):
            return _html(page.render(code=code[:MAX_INPUT], refusal=answer), answer.status_code,
                         answer.retry_after)
        return _html(page.render(
            code=format_for_display(answer.tracking_code), result=answer,
            display_code=format_for_display(answer.tracking_code),
            updated=answer.updated_at.astimezone(zone).strftime("%d/%m/%Y %H:%M")), 200)

    @router.get("/api/status/{code}")
    @public
    async def status_json(request: Request, code: str, lang: Language = "it") -> JSONResponse:
        """``{tracking_code, status, status_label, updated_at}``; 400, 404, 429 with ``detail``."""
        answer = await look_up(request, code)
        if isinstance(answer, _Refusal):
            return _json({"detail": answer.en if lang == "en" else answer.it},
                         answer.status_code, answer.retry_after)
        return _json(answer.to_json(lang), 200)

    return router


def _headers(retry_after: int | None) -> dict[str, str]:
    if retry_after is None:
        return SECURITY_HEADERS
    return {**SECURITY_HEADERS, "Retry-After": str(retry_after)}


def _html(body: str, status_code: int, retry_after: int | None = None) -> HTMLResponse:
    return HTMLResponse(body, status_code, headers=_headers(retry_after))


def _json(body: dict[str, Any], status_code: int, retry_after: int | None = None) -> JSONResponse:
    return JSONResponse(body, status_code, headers=_headers(retry_after))
