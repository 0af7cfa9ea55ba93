"""Login, logout and permission checks for the web app, on a session cookie and a server row.

:func:`install_auth` wires everything into an app: every route then needs a signed-in user
unless it is declared open (:mod:`centralino.core.auth.access`). Pages take the signed-in user with
``Depends(current_user(Permission.LIVE_VIEW))``; that also refuses a state-changing request
without the session's CSRF token (:mod:`centralino.core.auth.csrf`).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Annotated

import jinja2
import structlog
from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection
from starlette.routing import Match

from centralino.core.auth.access import (
    TOKEN_STATE,
    USER_STATE,
    NotSignedIn,
    public,
    sign_in_by_default,
    sign_in_first,
)
from centralino.core.auth.csrf import csrf_input, csrf_token, require_csrf
from centralino.core.auth.models import User
from centralino.core.auth.passwords import HashingBusy
from centralino.core.auth.roles import HOME, ROLE_LABELS, Permission, Role
from centralino.core.auth.service import authenticate
from centralino.core.auth.throttle import LoginThrottle
from centralino.core.auth.web_sessions import end_session, open_session, session_user

__all__ = ["auth_router", "current_user", "home_of", "install_auth", "page_templates",
           "require_csrf", "signed_in", "user_or_token"]

log = structlog.get_logger(__name__)

SESSION_COOKIE = "centralino_session"
SESSION_MAX_AGE = 12 * 3600  # seconds: a login lasts one long shift at most
MAX_NAME = 64
MAX_PASSWORD = 1024  # longer ones are refused unhashed: argon2 of megabytes is a cheap DoS
BAD_LOGIN = "Wrong name or password."
TOO_MANY = "Too many failed attempts: wait a minute, then try again."
BUSY = "Too many sign-ins at this moment: try again in a few seconds."
BUSY_RETRY_SECONDS = 5
_SESSION_ID = "sid"
# The login page: no caching, no framing, inline style only, the form posts to this origin.
LOGIN_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "form-action 'self'; frame-ancestors 'none'",
}


def page_templates(*directories: Path) -> Jinja2Templates:
    """Jinja2 templates for a package's pages (looked up in ``directories`` in order):
    autoescaped, ``csrf_input(request)`` defined."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(directories), autoescape=True)
    env.globals["csrf_input"] = csrf_input
    return Jinja2Templates(env=env)


_templates = page_templates(Path(__file__).with_name("templates"))


def install_auth(app: FastAPI, session_key: str, sessions: async_sessionmaker[AsyncSession],
                 *, secure_cookies: bool = False, tokens: Mapping[str, str] | None = None,
                 throttle: LoginThrottle | None = None) -> None:
    """Add sign-in by default, sessions, ``/``, ``/login`` and ``/logout`` to ``app``.

    Call it on a new app, before including routers: sign-in by default is a dependency of the
    routes added after it (:mod:`centralino.core.auth.access`).

    The session cookie is signed with ``session_key``, ``HttpOnly``, ``SameSite=Lax``, lasts
    12 hours, and is ``Secure`` with ``secure_cookies`` (behind HTTPS); the session it names is
    a row of ``web_sessions``, looked up through ``sessions``. ``tokens`` are the bearer tokens
    routes may accept by name (:func:`centralino.core.auth.access.token_access`).
    """
    if not session_key:
        raise ValueError("an empty session key would let anyone forge a session")
    app.state.auth_sessions = sessions
    app.state.auth_tokens = dict(tokens or {})
    # Of every route included from now on: call install_auth before including routers.
    app.router.dependencies.append(Depends(sign_in_by_default(signed_in)))
    app.include_router(auth_router(sessions, throttle))
    app.add_exception_handler(NotSignedIn, _sign_in_first)
    app.add_middleware(SessionMiddleware, secret_key=session_key, session_cookie=SESSION_COOKIE,
                       max_age=SESSION_MAX_AGE, same_site="lax", https_only=secure_cookies)


def home_of(app: FastAPI, role: Role) -> str:
    """Where ``role`` lands: its home page, or ``/`` while the app has no such page."""
    home = HOME[role]
    scope = {"type": "http", "method": "GET", "path": home, "root_path": "", "headers": [],
             "query_string": b""}
    has_page = any(route.matches(dict(scope))[0] == Match.FULL for route in app.router.routes)
    return home if has_page else "/"


def auth_router(sessions: async_sessionmaker[AsyncSession],
                throttle: LoginThrottle | None = None) -> APIRouter:
    """``GET /`` (to the user's home page), ``GET /login`` (the form), ``POST /login`` and
    ``POST /logout``.

    Failed logins are limited per client address, whatever the name, by ``throttle``
    (default: 5 a minute), checked before any password is hashed; beyond it the form answers
    429. While the hashing threads are all taken the form answers 503.
    """
    router = APIRouter(tags=["auth"])
    failures = throttle or LoginThrottle()

    @router.get("/", include_in_schema=False)
    async def home(request: Request, user: Annotated[User, Depends(current_user())]) -> Response:
        role = Role(user.role)
        landing = home_of(request.app, role)
        if landing != "/":
            return RedirectResponse(landing, status_code=303)
        return _templates.TemplateResponse(request, "home.html.j2", {
            "user": user, "role": ROLE_LABELS[role],
            "permissions": sorted(p.value for p in role.permissions)}, headers=LOGIN_HEADERS)

    @router.get("/login", include_in_schema=False)
    @public
    async def login_form(request: Request) -> Response:
        return _login_page(request)

    @router.post("/login", include_in_schema=False, dependencies=[Depends(require_csrf)])
    @public
    async def login(request: Request, name: Annotated[str, Form()] = "",
                    password: Annotated[str, Form()] = "") -> Response:
        name = name.strip().lower()[:MAX_NAME]
        address = request.client.host if request.client else ""
        wait = failures.retry_after(address)
        if wait > 0:
            return _login_page(request, name, TOO_MANY, 429,
                               {"Retry-After": str(math.ceil(wait))})
        failures.failed(address)  # counted before checking: parallel guesses cannot outrun it
        user = None
        if len(password) <= MAX_PASSWORD:
            try:
                async with sessions() as session:
                    user = await authenticate(session, name, password)
            except HashingBusy:
                log.warning("auth.login_busy", address=address)
                return _login_page(request, name, BUSY, 503,
                                   {"Retry-After": str(BUSY_RETRY_SECONDS)})
        if user is None:
            log.info("auth.login_failed", name=name, address=address)
            return _login_page(request, name, BAD_LOGIN, 401)
        failures.succeeded(address)
        async with sessions() as session:
            session_id = await open_session(session, user, SESSION_MAX_AGE)
        _sign_in(request, session_id)
        log.info("auth.login", user=user.name, role=user.role)
        return RedirectResponse(home_of(request.app, Role(user.role)), status_code=303)

    @router.post("/logout", include_in_schema=False, dependencies=[Depends(require_csrf)])
    async def logout(request: Request) -> RedirectResponse:
        session_id = request.session.get(_SESSION_ID)
        if isinstance(session_id, str):
            async with sessions() as session:
                await end_session(session, session_id)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    return router


def current_user(*needed: Permission) -> Callable[..., Awaitable[User]]:
    """FastAPI dependency: the signed-in, active user whose role has every one of ``needed``.

    No permissions: any signed-in user. Nobody signed in: a redirect to ``/login`` for a
    browser asking for HTML, else 401. A permission missing: 403. A POST/PUT/PATCH/DELETE
    without the session's CSRF token: 403.
    """
    async def signed_in_user(request: Request,
                             _csrf: Annotated[None, Depends(require_csrf)]) -> User:
        return await _permitted_user(request, needed)

    return signed_in_user


def user_or_token(*needed: Permission, token: str) -> Callable[..., Awaitable[User | None]]:
    """Like :func:`current_user`, or None when the request shows the app's bearer token
    ``token`` (a script's credential: no CSRF token needed, browsers never send it by
    themselves). The route must be declared ``@token_access(token)``."""
    async def user_or_script(request: Request) -> User | None:
        if request.scope.get("state", {}).get(TOKEN_STATE) == token:
            return None
        await require_csrf(request)
        return await _permitted_user(request, needed)

    return user_or_script


async def signed_in(connection: HTTPConnection) -> User | None:
    """The active user of the connection's session, None if nobody is signed in or the session
    has ended (logged out, expired, user disabled, new password); an ended one is cleared.

    Reads only ``connection.session`` and ``connection.app``: works for a WebSocket too.
    """
    data = connection.session
    session_id = data.get(_SESSION_ID)
    if not isinstance(session_id, str):
        return None
    sessions: async_sessionmaker[AsyncSession] = connection.app.state.auth_sessions
    async with sessions() as session:
        user = await session_user(session, session_id)
    if user is None:
        data.clear()
    return user


async def _permitted_user(request: Request, needed: tuple[Permission, ...]) -> User:
    user = request.scope.get("state", {}).get(USER_STATE) or await signed_in(request)
    if user is None:
        raise NotSignedIn()
    if not all(user.may(permission) for permission in needed):
        raise HTTPException(403, detail="your role may not open this page")
    return user


def _login_page(request: Request, name: str = "", error: str | None = None,
                status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return _templates.TemplateResponse(request, "login.html.j2", {"name": name, "error": error},
                                       status_code=status_code,
                                       headers=LOGIN_HEADERS | (headers or {}))


def _sign_in(request: Request, session_id: str) -> None:
    request.session.clear()  # nothing of the anonymous session survives, its CSRF token neither
    request.session[_SESSION_ID] = session_id
    csrf_token(request)


async def _sign_in_first(request: Request, _exc: Exception) -> Response:
    response: JSONResponse | RedirectResponse = sign_in_first(request)
    return response
