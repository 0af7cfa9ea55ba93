"""Long-lived connections (a Server-Sent Events stream, a WebSocket) check their user again.

A page opened before a logout, a disabled account or the end of the login must not keep
receiving the live picture: every :data:`RECHECK_SECONDS` the session is looked up again and
the connection ends when it no longer lets the user in.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import structlog
from starlette.requests import HTTPConnection

from centralino.core.auth.models import Permission, User
from centralino.core.auth.web import signed_in

log = structlog.get_logger(__name__)

RECHECK_SECONDS = 10.0  # an open stream's session is looked up again this often


async def still_permitted(connection: HTTPConnection, permission: Permission) -> User | None:
    """The connection's user if their session still lets them have ``permission``."""
    user = await signed_in(connection)
    return user if user is not None and user.may(permission) else None


async def while_signed_in(connection: HTTPConnection, stream: AsyncIterator[str],
                          permission: Permission) -> AsyncIterator[str]:
    """``stream``'s items while the connection's user may have ``permission``; ends the
    stream (closing ``stream``) at the first check that fails.

    Checks when an item comes and :data:`RECHECK_SECONDS` have passed since the last check:
    for a stream that yields at least that often (the live view ticks every second).
    """
    checked = time.monotonic()
    try:
        async for item in stream:
            if time.monotonic() - checked >= RECHECK_SECONDS:
                checked = time.monotonic()
                if await still_permitted(connection, permission) is None:
                    log.info("auth.stream_ended", path=connection.url.path,
                             reason="signed out, disabled or expired")
                    return
            yield item
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()
