"""Group commit: the small writes of many calls share one transaction instead of one each.

Every call writes a handful of rows (its start, its answer, its ticket, its IVR trace, its
end). Run one by one, each pays for a session, a pooled connection, a commit and, on SQLite,
a turn at the single write lock; hundreds of calls at once queue on that lock. Here one writer
task takes every unit of work waiting, runs them in order in one transaction and commits once.
A lone unit runs at once; under load, units gather into batches while the previous one commits.

A unit is ``async def unit(session) -> result`` that writes through ``session`` and never
commits. If a unit of a batch fails, the batch is rolled back and each of its units runs again
in a transaction of its own, so one bad write fails only its caller. If the database itself
fails (unreachable, locked past its busy timeout), every unit of the batch fails with that
error at once: running them again one by one would only make each caller wait as long again.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino import metrics

log = structlog.get_logger(__name__)

T = TypeVar("T")
Unit = Callable[[AsyncSession], Awaitable[T]]

#: The most units one transaction takes (it keeps each commit short).
MAX_BATCH = 200

#: Errors of the database, not of a unit: the whole batch fails with them.
DATABASE_ERRORS = (OperationalError, InterfaceError, OSError, TimeoutError)


class GroupCommitClosed(RuntimeError):
    """The writer was closed: no more units are taken."""


class GroupCommit:
    """Runs units of work from many tasks, batched into shared transactions, one at a time."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession],
                 max_batch: int = MAX_BATCH) -> None:
        self._sessions = sessions
        self._max_batch = max_batch
        self._waiting: deque[tuple[Unit[Any], asyncio.Future[Any]]] = deque()
        self._in_flight: list[tuple[Unit[Any], asyncio.Future[Any]]] = []
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._closing = False

    async def run(self, unit: Unit[T]) -> T:
        """Run ``unit`` in the next transaction; return its result once that committed."""
        if self._closing:
            raise GroupCommitClosed("the database writer is closed")
        if self._writer is None or self._writer.done():  # first use, or a writer that died
            self._writer = asyncio.create_task(self._write_forever(), name="group-commit")
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting.append((unit, done))
        self._wakeup.set()
        return await asyncio.shield(done)  # a cancelled caller does not cancel the write

    async def close(self, timeout: float = 30.0) -> None:
        """Write what is waiting, then stop taking units; after ``timeout`` seconds (a database
        that does not answer), the units still waiting fail with :class:`GroupCommitClosed`."""
        self._closing = True
        self._wakeup.set()
        if self._writer is None:
            return
        finished, _ = await asyncio.wait({self._writer}, timeout=timeout)
        if finished:
            return
        self._writer.cancel()
        await asyncio.gather(self._writer, return_exceptions=True)
        abandoned = [*self._in_flight, *self._waiting]
        self._in_flight, self._waiting = [], deque()
        log.error("group_commit.abandoned", units=len(abandoned))
        for _, waiting in abandoned:
            _settle(waiting,
                    error=GroupCommitClosed("the database did not answer before shutdown"))

    async def _write_forever(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._waiting:
                count = min(len(self._waiting), self._max_batch)
                self._in_flight = [self._waiting.popleft() for _ in range(count)]
                await self._write(self._in_flight)
                self._in_flight = []
            if self._closing:
                return

    async def _write(self, batch: list[tuple[Unit[Any], asyncio.Future[Any]]]) -> None:
        metrics.DB_BATCH_UNITS.observe(len(batch))
        try:
            async with self._sessions() as session, session.begin():
                results = [await unit(session) for unit, _ in batch]
        except Exception as exc:
            if len(batch) == 1 or isinstance(exc, DATABASE_ERRORS):
                for _, done in batch:
                    _settle(done, error=exc)
                return
            log.info("group_commit.batch_failed", units=len(batch), error=str(exc)[:200])
            for unit, done in batch:
                await self._write_alone(unit, done)
            return
        for (_, done), result in zip(batch, results, strict=True):
            _settle(done, result=result)

    async def _write_alone(self, unit: Unit[Any], done: asyncio.Future[Any]) -> None:
        try:
            async with self._sessions() as session, session.begin():
                result = await unit(session)
        except Exception as exc:
            _settle(done, error=exc)
            return
        _settle(done, result=result)


def _settle(done: asyncio.Future[Any], *, result: Any = None,
            error: BaseException | None = None) -> None:
    """Give the unit's caller its result or error (a caller that gave up is not told)."""
    if done.done():
        return
    if error is None:
        done.set_result(result)
        return
    done.set_exception(error)
    done.add_done_callback(_consume_error)


def _consume_error(done: asyncio.Future[Any]) -> None:
    """Mark the error seen: a caller cancelled while waiting leaves nobody to read it."""
    if not done.cancelled():
        done.exception()
