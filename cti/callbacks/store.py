"""Callback tasks in the database. Same convention as :mod:`cti.tickets.store`: each function takes
an :class:`AsyncSession` and commits its own unit of work.

Concurrency: one active task per caller is the database's partial unique index; a task is
claimed for a call by a conditional ``UPDATE … WHERE status = 'open'``, so two operators (or
two engines) never call the same task at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from centralino.core.db import insert_unless_duplicate
from config.settings import CallbackSettings
from cti.callbacks.models import (
    ACTIVE_STATUSES,
    Callback,
    CallbackAttempt,
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
)
from cti.callbacks.rules import after_attempt, retry_after
from recordings.access import RecordingRef

MAX_MERGE_TRIES = 5
DueAt = Callable[[datetime], datetime]
"""``due(moment)``: when a task is due if it may be called from ``moment`` on (office hours)."""


class CallbackUnavailable(Exception):
    """The task cannot be called now: unknown, already being called, or finished."""


async def record_request(session: AsyncSession, *, caller: str, reason: CallbackReason,
                         linkedid: str, due: datetime, now: datetime,
                         recording_id: int | None = None) -> Callback:
    """Open a task for ``caller`` (E.164), or join the active one: the reason, the call and the
    recording are added, and the task becomes due at the earlier of the two due times. A call
    already gathered (the same event twice) changes nothing."""
    for _ in range(MAX_MERGE_TRIES):
        task = await _active_of(session, caller)
        if task is not None:
            _merge(task, reason, linkedid, recording_id, due, now)
            await session.commit()
            return task
        inserted = await session.execute(insert_unless_duplicate(session, Callback).values(
            caller=caller, reason=reason.value, reasons=[reason.value],
            status=CallbackStatus.OPEN.value, due_at=due, attempts=0, linkedids=[linkedid],
            recording_ids=[] if recording_id is None else [recording_id],
            created_at=now, updated_at=now))
        await session.commit()
        if inserted.rowcount:  # type: ignore[attr-defined]
            created = await _active_of(session, caller)
            assert created is not None
            return created
        # another writer opened the caller's task meanwhile: join it
    raise RuntimeError(f"could not open or join the callback task of {caller}")


async def list_callbacks(session: AsyncSession, statuses: Sequence[CallbackStatus] = (),
                         limit: int = 100) -> list[Callback]:
    """Tasks in ``statuses`` (every status if empty), soonest due first."""
    query = select(Callback).order_by(Callback.due_at, Callback.id).limit(limit)
    if statuses:
        query = query.where(Callback.status.in_([s.value for s in statuses]))
    return list((await session.scalars(query)).all())


async def get_callback(session: AsyncSession, callback_id: int) -> Callback | None:
    return await session.get(Callback, callback_id, populate_existing=True)


async def next_due(session: AsyncSession, now: datetime) -> Callback | None:
    """The open task due longest ago, if any is due at ``now``."""
    return await session.scalar(
        select(Callback).where(Callback.status == CallbackStatus.OPEN.value,
                               Callback.due_at <= now)
        .order_by(Callback.due_at, Callback.id).limit(1))


async def begin_attempt(session: AsyncSession, callback_id: int, operator: str, seat: str,
                        now: datetime) -> tuple[Callback, CallbackAttempt]:
    """Claim an open task for ``operator`` at ``seat`` and record the attempt.

    Raises :class:`CallbackUnavailable` if the task is not open (someone is calling it, it is
    finished, or there is no such task).
    """
    await _take_open(session, callback_id, CallbackStatus.IN_PROGRESS, operator, now)
    attempt = CallbackAttempt(callback_id=callback_id, operator=operator, seat=seat,
                              started_at=now)
    session.add(attempt)
    await session.commit()
    task = await get_callback(session, callback_id)
    assert task is not None
    return task, attempt


async def close_by_hand(session: AsyncSession, callback_id: int, operator: str,
                        now: datetime) -> Callback:
    """Close an open task that needs no call (the caller was reached another way, or wrote):
    ``assigned_to`` says who closed it.

    Raises :class:`CallbackUnavailable` if the task is not open (a call is being made, it is
    finished, or there is no such task).
    """
    await _take_open(session, callback_id, CallbackStatus.CLOSED, operator, now)
    await session.commit()
    task = await get_callback(session, callback_id)
    assert task is not None
    return task


async def _take_open(session: AsyncSession, callback_id: int, status: CallbackStatus,
                     operator: str, now: datetime) -> None:
    """Move an open task to ``status`` for ``operator`` (uncommitted), or raise
    :class:`CallbackUnavailable` saying why not: only one of two operators gets it."""
    taken = await session.execute(
        update(Callback)
        .where(Callback.id == callback_id, Callback.status == CallbackStatus.OPEN.value)
        .values(status=status.value, assigned_to=operator, updated_at=now))
    if not taken.rowcount:  # type: ignore[attr-defined]
        await session.rollback()
        task = await get_callback(session, callback_id)
        raise CallbackUnavailable(
            f"no callback task {callback_id}" if task is None
            else f"callback task {callback_id} is {task.status}, not open")


async def finish_attempt(session: AsyncSession, attempt_id: int, outcome: CallbackOutcome,
                         dial_status: str | None, now: datetime, settings: CallbackSettings,
                         due: DueAt) -> Callback | None:
    """Store how attempt ``attempt_id`` ended and move its task on (retry, reached,
    unreachable, closed). ``None`` if the attempt is unknown or already finished (a result
    reported twice)."""
    attempt = await session.get(CallbackAttempt, attempt_id, populate_existing=True)
    if attempt is None or attempt.outcome is not None:
        return None
    task = await get_callback(session, attempt.callback_id)
    assert task is not None
    attempt.outcome, attempt.dial_status, attempt.ended_at = outcome.value, dial_status, now
    after = after_attempt(outcome, task.attempts, task.due_at, now, settings,
                          due(retry_after(now, settings)))
    task.status, task.attempts, task.due_at = after.status.value, after.attempts, after.due_at
    task.last_outcome, task.updated_at = outcome.value, now
    await session.commit()
    return task


async def unfinished_attempts(session: AsyncSession, started_before: datetime) -> list[int]:
    """The ids of attempts started before ``started_before`` that have no outcome yet."""
    return list((await session.scalars(
        select(CallbackAttempt.id).where(CallbackAttempt.outcome.is_(None),
                                         CallbackAttempt.started_at < started_before)
        .order_by(CallbackAttempt.id))).all())


async def attempts_of(session: AsyncSession, callback_id: int) -> list[CallbackAttempt]:
    """The task's attempts, oldest first."""
    return list((await session.scalars(
        select(CallbackAttempt).where(CallbackAttempt.callback_id == callback_id)
        .order_by(CallbackAttempt.id))).all())


async def _active_of(session: AsyncSession, caller: str) -> Callback | None:
    query = select(Callback).where(
        Callback.caller == caller,
        Callback.status.in_([s.value for s in ACTIVE_STATUSES])
    ).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return await session.scalar(query)


def _merge(task: Callback, reason: CallbackReason, linkedid: str, recording_id: int | None,
           due: datetime, now: datetime) -> None:
    if linkedid in task.linkedids and (recording_id is None
                                       or recording_id in task.recording_ids):
        return
    if reason.value not in task.reasons:
        task.reasons = [*task.reasons, reason.value]
    if linkedid not in task.linkedids:
        task.linkedids = [*task.linkedids, linkedid]
    if recording_id is not None and recording_id not in task.recording_ids:
        task.recording_ids = [*task.recording_ids, recording_id]
    task.due_at = min(task.due_at, due)
    task.updated_at = now


async def callback_recording(session: AsyncSession, operator: str,
                             recording: RecordingRef) -> bool:
    """Whether ``recording`` belongs to a callback ``operator`` may work: one still to be called
    back (the console offers those to every operator, with their messages), or one they worked.

    An ownership check for :func:`recordings.access.may_open`.
    """
    tasks = await session.execute(select(Callback.recording_ids, Callback.linkedids).where(
        (Callback.status.in_(ACTIVE_STATUSES)) | (Callback.assigned_to == operator)))
    return any(recording.id in (recording_ids or [])
               or (recording.call_linkedid is not None and recording.call_linkedid in linkedids)
               for recording_ids, linkedids in tasks)
