"""Login, logout and role checks for the web app, on a signed session cookie.

:func:`install_auth` wires everything into an app. Pages then take the signed-in user with
``Depends(current_user([Role.SUPERVISOR]))``; that also refuses a state-changing request
without the session's CSRF token (:mod:`centralino.core.auth.csrf`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Awaitable, Callable, Collection
from pathlib import Path
from typing import Annotated

import jinja2
import structlog
from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.middleware.sessions import SessionMiddleware

from centralino.core.auth.csrf import csrf_input, csrf_token, require_csrf
from centralino.core.auth.models import Role, User
from centralino.core.auth.service import authenticate
from centralino.core.auth.throttle import LoginThrottle

__all__ = ["auth_router", "current_user", "install_auth", "page_templates", "require_csrf"]

log = structlog.get_logger(__name__)

SESSION_COOKIE = "centralino_session"
SESSION_MAX_AGE = 12 * 3600  # seconds: a login lasts one long shift at most
HOME = {Role.OPERATOR: "/console", Role.SUPERVISOR: "/supervisor", Role.ADMIN: "/supervisor"}
MAX_NAME = 64
MAX_PASSWORD = 1024  # longer ones are refused unhashed: argon2 of megabytes is a cheap DoS
BAD_LOGIN = "Wrong name or password."
TOO_MANY = "Too many failed attempts: wait a minute, then try again."
# The login page: no caching, no framing, inline style only, the form posts to this origin.
LOGIN_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "form-action 'self'; frame-ancestors 'none'",
}


class NotSignedIn(Exception):
    """The request needs a signed-in user and has none (or the login has ended)."""


def page_templates(directory: Path) -> Jinja2Templates:
    """Jinja2 templates for a package's pages: autoescaped, ``csrf_input(request)`` defined."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(directory), autoescape=True)
    env.globals["csrf_input"] = csrf_input
    return Jinja2Templates(env=env)


_templates = page_templates(Path(__file__).with_name("templates"))


def install_auth(app: FastAPI, session_key: str, sessions: async_sessionmaker[AsyncSession],
                 *, secure_cookies: bool = False) -> None:
    """Add sessions, ``/login``, ``/logout`` and the sign-in redirect to ``app``.

    The session cookie is signed with ``session_key``, ``HttpOnly``, ``SameSite=Lax``, lasts
    12 hours, and is ``Secure`` with ``secure_cookies`` (behind HTTPS). Users are looked up
    through ``sessions``.
    """
    if not session_key:
        raise ValueError("an empty session key would let anyone forge a session")
    app.state.auth_sessions = sessions
    app.include_router(auth_router(sessions))
    app.add_exception_handler(NotSignedIn, _sign_in_first)
    app.add_middleware(SessionMiddleware, secret_key=session_key, session_cookie=SESSION_COOKIE,
                       max_age=SESSION_MAX_AGE, same_site="lax", https_only=secure_cookies)


def auth_router(sessions: async_sessionmaker[AsyncSession],
                throttle: LoginThrottle | None = None) -> APIRouter:
    """``GET /login`` (the form), ``POST /login`` and ``POST /logout``.

    Failed logins are limited per name and client address by ``throttle`` (default: 5 a
    minute); beyond it the form answers 429.
    """
    router = APIRouter(tags=["auth"])
    failures = throttle or LoginThrottle()

    @router.get("/login", include_in_schema=False)
    async def login_form(request: Request) -> Response:
        return _login_page(request)

    @router.post("/login", include_in_schema=False, dependencies=[Depends(require_csrf)])
    async def login(request: Request, name: Annotated[str, Form()] = "",
                    password: Annotated[str, Form()] = "") -> Response:
        name = name.strip().lower()[:MAX_NAME]
        key = (name, request.client.host if request.client else "")
        wait = failures.retry_after(key)
        if wait > 0:
            return _login_page(request, name, TOO_MANY, 429,
                               {"Retry-After": str(math.ceil(wait))})
        failures.failed(key)  # counted before checking: parallel guesses cannot outrun it
        user = None
        if len(password) <= MAX_PASSWORD:
            async with sessions() as session:
                user = await authenticate(session, name, password)
        if user is None:
            log.info("auth.login_failed", name=name, address=key[1])
            return _login_page(request, name, BAD_LOGIN, 401)
        failures.succeeded(key)
        _sign_in(request, user)
        log.info("auth.login", user=user.name, role=user.role)
        return RedirectResponse(HOME[Role(user.role)], status_code=303)

    @router.post("/logout", include_in_schema=False, dependencies=[Depends(require_csrf)])
    async def logout(request: Request) -> RedirectResponse:
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    return router


def current_user(required_roles: Collection[Role] = ()) -> Callable[..., Awaitable[User]]:
    """FastAPI dependency: the signed-in, active user whose role grants one of ``required_roles``.

    Admin grants supervisor grants operator; no roles: any signed-in user. Nobody signed in:
    a redirect to ``/login`` for a browser asking for HTML, else 401. A role that does not
    grant: 403. A POST/PUT/PATCH/DELETE without the session's CSRF token: 403.
    """
    needed = tuple(Role(role) for role in required_roles)

    async def signed_in_user(request: Request,
                             _csrf: Annotated[None, Depends(require_csrf)]) -> User:
        user = await _session_user(request)
        if user is None:
            raise NotSignedIn()
        if needed and not any(Role(user.role).grants(role) for role in needed):
            raise HTTPException(403, detail="your role may not open this page")
        return user

    return signed_in_user


def _login_page(request: Request, name: str = "", error: str | None = None,
                status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return _templates.TemplateResponse(request, "login.html.j2", {"name": name, "error": error},
                                       status_code=status_code,
                                       headers=LOGIN_HEADERS | (headers or {}))


def _sign_in(request: Request, user: User) -> None:
    request.session.clear()  # nothing of the anonymous session survives, its CSRF token neither
    request.session.update(user_id=user.id, stamp=_stamp(user), since=int(time.time()))
    csrf_token(request)


def _stamp(user: User) -> str:
    """Changes with the password, so a new password ends the sessions opened with the old one."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


async def _session_user(request: Request) -> User | None:
    data = request.session
    user_id, since, stamp = data.get("user_id"), data.get("since"), data.get("stamp")
    if not (isinstance(user_id, int) and isinstance(since, int) and isinstance(stamp, str)):
        return None
    user = None
    if time.time() - since < SESSION_MAX_AGE:
        sessions: async_sessionmaker[AsyncSession] = request.app.state.auth_sessions
        async with sessions() as session:
            user = await session.get(User, user_id)
    if user is None or not user.active or not hmac.compare_digest(stamp, _stamp(user)):
        data.clear()  # ended: expired, disabled, removed or a new password
        return None
    return user


async def _sign_in_first(request: Request, _exc: Exception) -> Response:
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse("/login", status_code=303)
    return JSONResponse({"detail": "sign in first"}, status_code=401)
