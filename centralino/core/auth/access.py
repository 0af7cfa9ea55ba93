"""Sign-in by default: every route needs a signed-in user unless it is declared otherwise.

:func:`sign_in_by_default` is a dependency of the whole app (added by
:func:`centralino.core.auth.web.install_auth`, before any router is included): for every route it
looks at the route the request was routed to and refuses it when nobody is signed in, before
the route's own code runs. A route added later is private without anyone thinking of it. A
route opens up only by a declaration on its endpoint:

- ``@public``: anyone (the login form, the public status page, ``/health``);
- ``@token_access("metrics", loopback=True)``: a bearer token the app was given under that
  name (``Authorization: Bearer …``), or (``loopback``) any client on this machine; a
  signed-in user passes too.

Put the marker below the route decorator (it marks the function the route is made from).
Which permission a route needs is still the route's own ``Depends(current_user(...))``.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.exceptions import WebSocketException
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, RedirectResponse

F = TypeVar("F", bound=Callable[..., Any])

METRICS_TOKEN = "metrics"  # the bearer token of Prometheus, for /metrics
CONTROL_TOKEN = "control"  # the bearer token of the CLI on the engine's machine
ACCESS_ATTRIBUTE = "__centralino_access__"
USER_STATE = "centralino_user"  # request.state: the user the middleware found
TOKEN_STATE = "centralino_token"  # request.state: the name of the bearer token that was shown
WS_POLICY_VIOLATION = 1008


@dataclass(frozen=True)
class Access:
    """Who may reach a route besides a signed-in user."""

    public: bool = False
    token: str | None = None  # a bearer token of the app's, by name
    loopback: bool = False  # a client on this machine


def public(endpoint: F) -> F:
    """Declare a route open to anyone, signed in or not."""
    setattr(endpoint, ACCESS_ATTRIBUTE, Access(public=True))
    return endpoint


def token_access(name: str, *, loopback: bool = False) -> Callable[[F], F]:
    """Declare a route open to the bearer token ``name`` (and, with ``loopback``, to any
    client on this machine) as well as to signed-in users."""
    def mark(endpoint: F) -> F:
        setattr(endpoint, ACCESS_ATTRIBUTE, Access(token=name, loopback=loopback))
        return endpoint
    return mark


def access_of(route: object) -> Access:
    """What ``route`` declares (nothing: signed-in users only)."""
    declared = getattr(route, ACCESS_ATTRIBUTE, None) or getattr(
        getattr(route, "endpoint", None), ACCESS_ATTRIBUTE, None)
    return declared if isinstance(declared, Access) else Access()


def bearer_token(connection: HTTPConnection) -> str | None:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def is_loopback(connection: HTTPConnection) -> bool:
    host = connection.client.host if connection.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def shows_token(connection: HTTPConnection, name: str) -> bool:
    """Whether the request carries the app's bearer token ``name`` (never an empty one)."""
    expected = connection.app.state.auth_tokens.get(name, "")
    given = bearer_token(connection)
    return bool(expected and given and hmac.compare_digest(expected.encode(), given.encode()))


class NotSignedIn(Exception):
    """The request needs a signed-in user and has none (or the login has ended)."""


def sign_in_by_default(
    find_user: Callable[[HTTPConnection], Awaitable[Any]],
) -> Callable[[HTTPConnection], Awaitable[None]]:
    """The app-wide dependency: :class:`NotSignedIn` (a WebSocket: closed with 1008) unless
    the route is declared open to this request or ``find_user`` finds a signed-in user.

    The user found is left in the request's state for
    :func:`centralino.core.auth.web.current_user`.
    """
    async def signed_in_or_open(connection: HTTPConnection) -> None:
        access = access_of(connection.scope.get("route"))
        state = connection.scope.setdefault("state", {})
        if access.public:
            return
        if access.token is not None and shows_token(connection, access.token):
            state[TOKEN_STATE] = access.token
            return
        if access.loopback and is_loopback(connection):
            return
        user = await find_user(connection)
        if user is None:
            if connection.scope["type"] == "websocket":
                raise WebSocketException(WS_POLICY_VIOLATION, "sign in first")
            raise NotSignedIn()
        state[USER_STATE] = user

    return signed_in_or_open


def sign_in_first(connection: HTTPConnection) -> RedirectResponse | JSONResponse:
    """To the login page for a browser asking for HTML, else 401."""
    if "text/html" in connection.headers.get("accept", ""):
        return RedirectResponse("/login", status_code=303)
    return JSONResponse({"detail": "sign in first"}, status_code=401)
