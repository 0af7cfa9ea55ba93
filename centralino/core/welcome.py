"""The last words of the engine's start-up: where the console is, the number to call, whether
the center is open now and why, and, on a fresh install, how to create the first user.

:func:`welcome_lines` turns plain values into the text; :func:`log_welcome` gathers them and
logs one ``engine.ready`` line carrying both the text and the same facts as fields.
"""

from __future__ import annotations

import socket
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.auth.models import User
from config.settings import Settings

log = structlog.get_logger(__name__)

CONSOLE_PATH = "/console"
FIRST_USER_COMMAND = "centralino users add NAME --role admin"
_ANY_ADDRESS = {"", "0.0.0.0", "::"}


def console_url(host: str, port: int, hostname: str | None = None) -> str:
    """The operator console's address; a server listening on every address is named by
    ``hostname`` (default: this machine's)."""
    if host in _ANY_ADDRESS:
        host = hostname or socket.gethostname()
    elif ":" in host:  # an IPv6 address
        host = f"[{host}]"
    return f"http://{host}:{port}{CONSOLE_PATH}"


def why_open_or_closed(status: dict[str, Any]) -> str:
    """Why the center is in its state, from the ``GET /api/hours`` document: the override
    (with its reason and who set it), a holiday or closure, or the office hours."""
    override = status.get("override")
    if override is not None:
        reason = f": {override['reason']}" if override.get("reason") else ""
        return f"override by {override['set_by']}{reason}"
    if status.get("reason"):
        return str(status["reason"])
    return "office hours"


def welcome_lines(console: str, number: str, state: str, why: str,
                  users: int | None) -> list[str]:
    """The text, one fact a line. ``state``: ``open``, ``closed`` or ``holiday``; ``users``:
    how many users exist (None: unknown, no advice given)."""
    lines = [f"operator console: {console}",
             f"number to call: {number}",
             f"the center is {'open' if state == 'open' else 'closed'} now ({why})"]
    if users == 0:
        lines.append(f"no user yet: create the first with `{FIRST_USER_COMMAND}` "
                     "(it prints the password once)")
    return lines


async def log_welcome(settings: Settings, hours_status: dict[str, Any],
                      sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    """Log ``engine.ready``: the welcome text and its facts; return the lines."""
    users = await _user_count(sessions)
    console = console_url(settings.web.host, settings.web.port)
    why = why_open_or_closed(hours_status)
    lines = welcome_lines(console, settings.toll_free.number, hours_status["state"], why, users)
    facts: dict[str, Any] = {"console": console, "number": settings.toll_free.number,
                             "center": hours_status["state"], "why": why, "users": users}
    if users == 0:
        facts["first_user"] = FIRST_USER_COMMAND
    log.info("engine.ready", text="; ".join(lines), **facts)
    return lines


async def _user_count(sessions: async_sessionmaker[AsyncSession]) -> int | None:
    try:
        async with sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(User)) or 0)
    except SQLAlchemyError as exc:  # the welcome is advice: never a reason not to start
        log.warning("engine.user_count_failed", error=str(exc))
        return None
