"""Recording calls: started, answered, ended, and closing the ones nobody will end.

Functions take an :class:`AsyncSession` (see :func:`centralino.core.db.session_factory`) and commit
their own unit of work, except the writes every call makes (``record_call_*``): those are
synchronous, on a :class:`Connection`, and leave the commit to the caller (the engine batches
them in :mod:`centralino.core.group_commit`; :func:`centralino.core.db.run_write` runs one
in a session).
Writes are idempotent by ``linkedid``: Asterisk may report an event twice and the engine may
restart mid-call, and the row must come out the same.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from centralino.core.calls.models import OPEN_DISPOSITIONS, Call, CallDisposition
from centralino.core.calls.terms import CallOrigin
from centralino.core.db import insert_unless_duplicate, run_write, table_of

# The statements every call runs, as Core statements built once: executing them costs no ORM work
# and no statement building (values come as execution parameters, keyed by column name).
_CALLS = table_of(Call)
_ANSWER = update(_CALLS).where(_CALLS.c.linkedid == bindparam("match_linkedid"),
                               _CALLS.c.answered_at.is_(None), _CALLS.c.ended_at.is_(None))
_START_OF = select(_CALLS.c.id, _CALLS.c.started_at, _CALLS.c.ended_at).where(
    _CALLS.c.linkedid == bindparam("match_linkedid"))
_END = update(_CALLS).where(_CALLS.c.id == bindparam("match_id"), _CALLS.c.ended_at.is_(None))


class CallNotFound(LookupError):
    """No call is stored under this linkedid."""

    def __init__(self, linkedid: str) -> None:
        super().__init__(f"no call with linkedid {linkedid!r}")
        self.linkedid = linkedid


async def get_call(session: AsyncSession, linkedid: str) -> Call | None:
    """The call stored under ``linkedid``, read fresh from the database."""
    result = await session.execute(
        select(Call).where(Call.linkedid == linkedid).execution_options(populate_existing=True))
    return result.scalar_one_or_none()


def record_call_started(
    connection: Connection,
    linkedid: str,
    *,
    channel: str,
    did: str,
    at: datetime,
    caller_id: str | None = None,
    caller_name: str | None = None,
    origin: CallOrigin = CallOrigin.INBOUND,
) -> None:
    """Store a new call; a ``linkedid`` already stored (even by a racing writer) stays as it is.

    The write functions return nothing: they run on every call, and reading the row back
    would cost a query the engine never uses (:func:`get_call` reads it).
    """
    connection.execute(insert_unless_duplicate(connection, _CALLS), {
        "linkedid": linkedid, "channel": channel, "did": did, "started_at": at,
        "caller_id": caller_id, "caller_name": caller_name,
        "disposition": CallDisposition.IN_PROGRESS, "origin": origin})


def record_call_answered(connection: Connection, linkedid: str, at: datetime) -> None:
    """Mark the call answered at ``at``; a repeated answer or one after the end changes nothing."""
    connection.execute(_ANSWER, {"match_linkedid": linkedid, "answered_at": at,
                                 "disposition": CallDisposition.ANSWERED})


def record_call_ended(connection: Connection, linkedid: str, at: datetime,
                      disposition: str) -> None:
    """End the call once: ``ended_at``, ``duration_seconds`` and ``disposition``.

    ``disposition`` is one of ``answered``, ``abandoned``, ``failed``, ``lost``. A call that is
    already ended keeps its first end (a late or repeated hang-up report does not overwrite it).
    Raises :class:`CallNotFound` for a call never stored.
    """
    final = _final_disposition(disposition)
    call = connection.execute(_START_OF, {"match_linkedid": linkedid}).one_or_none()
    if call is None:
        raise CallNotFound(linkedid)
    if call.ended_at is None:
        _end(connection, call.id, call.started_at, at, final)


async def open_call_linkedids(session: AsyncSession) -> set[str]:
    """The linkedids of the calls not ended yet."""
    result = await session.execute(select(Call.linkedid).where(Call.ended_at.is_(None)))
    return set(result.scalars().all())


async def close_orphaned_calls(
    session: AsyncSession, active_linkedids: Collection[str], at: datetime
) -> int:
    """End as ``lost`` every open call whose linkedid is not in ``active_linkedids``.

    For recovery after a restart or a lost Asterisk: the engine passes the calls it still
    handles, and everything else left open can no longer be ended by anyone. Returns how many
    calls were closed.
    """
    query = select(Call).where(Call.ended_at.is_(None),
                               Call.disposition.in_(list(OPEN_DISPOSITIONS)))
    if active_linkedids:
        query = query.where(Call.linkedid.not_in(list(active_linkedids)))
    orphans = [(call.id, call.started_at) for call in (await session.execute(query)).scalars()]

    def end_all(connection: Connection) -> int:
        return sum(_end(connection, call_id, started_at, at, CallDisposition.LOST)
                   for call_id, started_at in orphans)

    return await run_write(session, end_all)


async def list_calls(session: AsyncSession, limit: int = 50) -> list[Call]:
    """The ``limit`` most recent calls, newest first."""
    result = await session.execute(
        select(Call).order_by(Call.started_at.desc(), Call.id.desc()).limit(limit))
    return list(result.scalars().all())


def linkedids_from(caller_ids: Collection[str]) -> Select[str]:
    """The linkedids of the calls from any of ``caller_ids``, as a subquery for another
    domain's ``IN`` (a ticket of a call from this number)."""
    return select(Call.linkedid).where(Call.caller_id.in_(list(caller_ids)))


async def previous_calls(session: AsyncSession, *, caller_ids: Collection[str],
                         linkedids: Select[str | None] | None = None, excluding: str,
                         limit: int) -> list[Call]:
    """The ``limit`` most recent calls from any of ``caller_ids`` or among ``linkedids`` (a
    subquery: the calls of a contact's tickets), call ``excluding`` left out, newest first."""
    condition: ColumnElement[bool] = Call.caller_id.in_(list(caller_ids))
    if linkedids is not None:
        condition = or_(condition, Call.linkedid.in_(linkedids))
    result = await session.scalars(
        select(Call).where(condition, Call.linkedid != excluding)
        .order_by(Call.started_at.desc(), Call.id.desc()).limit(limit))
    return list(result.all())


async def count_calls_by_hour(session: AsyncSession, hours: Sequence[tuple[datetime, datetime]],
                              marked: Select[str | None],
                              origin: CallOrigin = CallOrigin.INBOUND) -> list[tuple[int, int]]:
    """For each hour ``[start, end)`` of ``hours`` (consecutive), how many calls of ``origin``
    (callers', by default) started in it, and how many of those are among ``marked`` (a
    subquery of linkedids: another domain's say, such as the calls its IVR queued). One query,
    counted by the database."""
    if not hours:
        return []
    started, is_marked = Call.started_at, Call.linkedid.in_(marked)
    row = (await session.execute(
        select(*(_count_in(started, lo, hi) for lo, hi in hours),
               *(_count_in(started, lo, hi, is_marked) for lo, hi in hours))
        .where(started >= hours[0][0], started < hours[-1][1], Call.origin == origin))).one()
    counts = [int(value or 0) for value in row]
    return [(counts[n], counts[len(hours) + n]) for n in range(len(hours))]


def _count_in(column: InstrumentedAttribute[datetime], lo: datetime, hi: datetime,
              *also: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows have ``column`` in [lo, hi) (and ``also``)."""
    return func.sum(case((and_(column >= lo, column < hi, *also), 1), else_=0))


def _end(connection: Connection, call_id: int, started_at: datetime, at: datetime,
         disposition: str) -> int:
    """End call ``call_id`` unless another writer did first; returns the number of rows changed."""
    duration = max(0.0, (at - started_at).total_seconds())
    result = connection.execute(_END, {"match_id": call_id, "ended_at": at,
                                       "duration_seconds": duration,
                                       "disposition": disposition})
    return int(getattr(result, "rowcount", 0) or 0)


def _final_disposition(disposition: str) -> CallDisposition:
    try:
        final = CallDisposition(disposition)
    except ValueError:
        raise ValueError(f"unknown call disposition {disposition!r}") from None
    if final is CallDisposition.IN_PROGRESS:
        raise ValueError("a call cannot end 'in_progress'")
    return final
