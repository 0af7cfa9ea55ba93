"""Server-side web sessions: a row per signed-in browser, so ending one is final.

The session cookie carries a random id; the ``web_sessions`` row (keyed by the id's SHA-256)
says whose it is and until when. Same convention as :mod:`centralino.core.auth.service`: functions
take an :class:`AsyncSession` and commit their own unit of work.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from centralino.core.auth.models import User, WebSession


def now() -> datetime:
    """The time sessions are measured by (``time.time``, so tests can move it)."""
    return datetime.fromtimestamp(time.time(), UTC)


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


async def open_session(session: AsyncSession, user: User, max_age: float) -> str:
    """A new session of ``user`` lasting ``max_age`` seconds; returns its id for the cookie.

    Sessions that have expired meanwhile (anyone's) are deleted on the way.
    """
    session_id = secrets.token_urlsafe(32)
    start = now()
    await session.execute(delete(WebSession).where(WebSession.expires_at <= start))
    session.add(WebSession(id=_key(session_id), user_id=user.id, created_at=start,
                           expires_at=start + timedelta(seconds=max_age)))
    await session.commit()
    return session_id


async def session_user(session: AsyncSession, session_id: str) -> User | None:
    """The active user of an open, unexpired session ``session_id``, else None."""
    row = (await session.execute(
        select(User).join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.id == _key(session_id), WebSession.expires_at > now(),
               User.active.is_(True)))).scalar_one_or_none()
    return row


async def end_session(session: AsyncSession, session_id: str) -> None:
    """Delete the session ``session_id`` (logging out); nothing if there is none."""
    await session.execute(delete(WebSession).where(WebSession.id == _key(session_id)))
    await session.commit()


async def end_user_sessions(session: AsyncSession, user_id: int) -> None:
    """Delete every session of the user (disabled, new password). The caller commits."""
    await session.execute(delete(WebSession).where(WebSession.user_id == user_id))
