"""Who may play or download a recording, and the log of every playback and download.

Users with the ``all_recordings`` permission (supervisors, admins) may open every recording.
An operator may open a recording when one of the ownership checks says it is theirs;
:data:`OWNERSHIP_CHECKS` has the one for tickets (the recording's ticket, or its call's, is
assigned to them). Another package adds its own by passing ``(*OWNERSHIP_CHECKS, its_check)``
to :func:`recordings.http.recordings_router`: a check is
``async (session, user name, recording) -> bool``.

A player fetches a recording in several range requests: a ``play`` is logged once per user
and recording within :data:`PLAY_LOG_WINDOW`; every download is logged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from centralino.core.auth.models import Permission, User
from cti.tickets.store import is_assigned_to
from recordings.models import Recording, RecordingAccess, RecordingAccessAction


class RecordingRef(Protocol):
    """What an ownership check reads of a recording (another domain names this, never the row)."""

    @property
    def id(self) -> int: ...
    @property
    def ticket_id(self) -> int | None: ...
    @property
    def call_linkedid(self) -> str | None: ...


OwnershipCheck = Callable[[AsyncSession, str, RecordingRef], Awaitable[bool]]
PLAY_LOG_WINDOW = timedelta(minutes=5)

async def assigned_ticket(session: AsyncSession, operator: str, recording: RecordingRef) -> bool:
    """Whether the recording's ticket (or the ticket of its call) is assigned to ``operator``."""
    return await is_assigned_to(session, operator, ticket_id=recording.ticket_id,
                                linkedid=recording.call_linkedid)


OWNERSHIP_CHECKS: tuple[OwnershipCheck, ...] = (assigned_ticket,)


async def may_open(session: AsyncSession, user: User, recording: Recording,
                   ownership: Sequence[OwnershipCheck] = OWNERSHIP_CHECKS) -> bool:
    """Whether ``user`` may play or download ``recording``."""
    if user.may(Permission.ALL_RECORDINGS):
        return True
    for owns in ownership:
        if await owns(session, user.name, recording):
            return True
    return False


async def log_access(session: AsyncSession, recording_id: int, actor: str,
                     action: RecordingAccessAction, client_address: str | None,
                     now: datetime) -> bool:
    """Add the access to the log (a ``play`` only if none of the same is in the window);
    returns whether a row was added. The caller commits."""
    if action == RecordingAccessAction.PLAY:
        recent = await session.scalar(select(RecordingAccess.id).where(
            RecordingAccess.recording_id == recording_id, RecordingAccess.actor == actor,
            RecordingAccess.action == action.value,
            RecordingAccess.at > now - PLAY_LOG_WINDOW).limit(1))
        if recent is not None:
            return False
    session.add(RecordingAccess(recording_id=recording_id, at=now, actor=actor,
                                action=action.value, client_address=client_address))
    return True


async def access_log(session: AsyncSession, recording_id: int | None = None,
                     limit: int = 1000) -> list[RecordingAccess]:
    """The newest accesses first (of one recording, or all)."""
    query = select(RecordingAccess).order_by(RecordingAccess.at.desc(), RecordingAccess.id.desc())
    if recording_id is not None:
        query = query.where(RecordingAccess.recording_id == recording_id)
    return list((await session.scalars(query.limit(limit))).all())


async def recordings_of_ticket(session: AsyncSession, ticket_id: int,
                               call_linkedid: str | None) -> list[Recording]:
    """The recordings of a ticket or of its call, oldest first (purged ones included)."""
    belongs = [Recording.ticket_id == ticket_id]
    if call_linkedid is not None:
        belongs.append(Recording.call_linkedid == call_linkedid)
    query = select(Recording).where(or_(*belongs)).order_by(Recording.recorded_at)
    return list((await session.scalars(query)).all())


async def playable_recordings(session: AsyncSession, user: User, ticket_id: int,
                              call_linkedid: str | None) -> list[Recording]:
    """The recordings of a ticket (or its call) that ``user`` may open, oldest first."""
    return [recording for recording in await recordings_of_ticket(session, ticket_id,
                                                                  call_linkedid)
            if await may_open(session, user, recording)]


async def recordings_by_id(session: AsyncSession, recording_ids: Sequence[int]) -> list[Recording]:
    """The recordings with these ids, oldest first (read-only: a callback task's messages)."""
    if not recording_ids:
        return []
    return list((await session.scalars(select(Recording).where(
        Recording.id.in_(list(recording_ids))).order_by(Recording.id))).all())
