"""CSRF protection: a random token per session, required on every state-changing request.

Pages put it in their forms with ``{{ csrf_input(request) }}`` (see
:func:`centralino.core.auth.web.page_templates`); scripts send it as the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request
from markupsafe import Markup, escape

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_SESSION_KEY = "csrf"
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get(_SESSION_KEY)
    if not isinstance(token, str):
        token = request.session[_SESSION_KEY] = secrets.token_urlsafe(32)
    return token


def csrf_input(request: Request) -> Markup:
    """A hidden form field carrying the session's CSRF token."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, escape(csrf_token(request)))


async def require_csrf(request: Request) -> None:
    """FastAPI dependency: 403 unless a POST/PUT/PATCH/DELETE carries the session's token.

    The token is read from the ``X-CSRF-Token`` header, else the ``csrf_token`` form field.
    """
    if request.method not in UNSAFE_METHODS:
        return
    expected = request.session.get(_SESSION_KEY)
    given = request.headers.get(CSRF_HEADER) or await _form_token(request)
    if not (isinstance(expected, str) and given
            and hmac.compare_digest(expected.encode(), given.encode())):
        raise HTTPException(403, detail="missing or wrong CSRF token: reload the page")


async def _form_token(request: Request) -> str | None:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in _FORM_TYPES:
        return None
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else None
