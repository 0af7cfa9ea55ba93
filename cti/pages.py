"""What the signed-in pages (console, live view) share: headers, a script nonce, time filters."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates

from centralino.core.auth.web import page_templates
from cti.tickets.tracking import format_for_display

TEMPLATES = Path(__file__).with_name("templates")

STATUS_NAMES = {  # a ticket's status, for operators
    "new": "Nuova", "assigned": "Assegnata", "in_progress": "In lavorazione",
    "waiting_second_level": "Al secondo livello", "resolved": "Risolta", "closed": "Chiusa",
    "reopened": "Riaperta",
}
SEAT_STATE_NAMES = {  # a seat's state (acd.state.SeatState)
    "logged_out": "Fuori servizio", "ready": "Pronto", "paused": "In pausa",
    "ringing": "Squilla", "in_call": "In chiamata", "wrap_up": "Post-chiamata",
}
PAUSE_REASON_NAMES = {  # the usual acd.pause_reasons; others are shown as they are
    "break": "Pausa", "back_office": "Back office", "training": "Formazione",
    "lunch": "Pranzo", "meeting": "Riunione",
}

CALLBACK_REASON_NAMES = {  # why a callback task exists (cti.callbacks.models.CallbackReason)
    "voicemail": "Messaggio in segreteria", "abandoned": "Abbandonata in coda",
    "missed": "Chiamata persa",
}
CALLBACK_OUTCOME_NAMES = {  # how a callback attempt ended (cti.callbacks.models.CallbackOutcome)
    "reached": "Raggiunto", "no_answer": "Non risponde", "busy": "Occupato",
    "wrong_number": "Numero errato", "seat_unavailable": "Postazione non risponde",
    "cancelled": "Annullata", "failed": "Non riuscita",
}


def templates(timezone: Callable[[], str], *more: Path) -> Jinja2Templates:
    """The package's page templates (and those of the directories ``more``, found first) with
    ``code`` (a tracking code, grouped) and ``local`` (a time in ``timezone()``, ``strftime``
    format as argument) filters."""
    pages = page_templates(*more, TEMPLATES)

    def local(value: datetime | None, fmt: str = "%d/%m %H:%M") -> str:
        return value.astimezone(ZoneInfo(timezone())).strftime(fmt) if value else ""

    pages.env.filters["code"] = format_for_display
    pages.env.filters["local"] = local
    return pages


def new_nonce() -> str:
    """A fresh nonce for the page's inline script."""
    return secrets.token_urlsafe(16)


def page_headers(nonce: str) -> dict[str, str]:
    """No caching, no framing, only this page's inline script, connections to this site."""
    return {
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
            "connect-src 'self'; img-src 'self' data:; media-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"),
    }
