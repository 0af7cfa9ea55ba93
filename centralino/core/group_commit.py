"""Group commit: the small writes of many calls share one transaction, in a thread of their own.

Every call writes a handful of rows (its start, its answer, its ticket, its IVR trace, its
end). Run one by one, each pays for a session, a pooled connection, a commit and, on SQLite,
a turn at the single write lock; hundreds of calls at once queue on that lock. Here one writer
takes every unit of work waiting, runs them in order in one transaction and commits once.
A lone unit runs at once; under load, units gather into batches while the previous one commits.
A unit nobody waits on (a call's answer, its end, its trace) may wait a moment for company
(``within``): it rides along with the next unit that cannot wait, so at a modest call rate a
call's writes take one or two transactions instead of one each.

A unit is a synchronous ``unit(connection) -> result`` that writes through ``connection`` and
never commits. A whole batch runs in one worker thread on a synchronous engine, so the event
loop hands it over once per batch, not once per statement as an async driver would (with
aiosqlite, that hand-over cost more CPU than the writes).

If a unit of a batch fails, the batch is rolled back and each of its units runs again in a
transaction of its own, so one bad write fails only its caller. If the database itself fails
(unreachable, locked past its busy timeout), every unit of the batch fails with that error at
once: running them again one by one would only make each caller wait as long again.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import structlog
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import InterfaceError, OperationalError

from centralino.core import metrics

log = structlog.get_logger(__name__)

T = TypeVar("T")
Unit = Callable[[Connection], T]
#: What became of one unit: its result, or the error it failed with.
Outcome = tuple[Any, BaseException | None]

#: The most units one transaction takes (it keeps each commit short).
MAX_BATCH = 200

#: How long a write nobody waits on may wait for company (``run(unit, within=...)``).
WRITE_BEHIND_SECONDS = 0.25

#: Errors of the database, not of a unit: the whole batch fails with them.
DATABASE_ERRORS = (OperationalError, InterfaceError, OSError, TimeoutError)


class GroupCommitClosed(RuntimeError):
    """The writer was closed: no more units are taken."""


class GroupCommit:
    """Runs units of work from many tasks, batched into shared transactions, one at a time.

    It owns ``engine``: :meth:`close` disposes of it.
    """

    def __init__(self, engine: Engine, max_batch: int = MAX_BATCH) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="group-commit")
        self._waiting: deque[tuple[Unit[Any], asyncio.Future[Any]]] = deque()
        self._due = math.inf  # loop time by which the waiting units must be under way
        self._in_flight: list[tuple[Unit[Any], asyncio.Future[Any]]] = []
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._closing = False

    async def run(self, unit: Unit[T], *, within: float = 0.0) -> T:
        """Run ``unit`` in a transaction begun at most ``within`` seconds from now (0: the next
        one), after every unit made before it; return its result once that committed."""
        return await asyncio.shield(self.submit(unit, within=within))

    def submit(self, unit: Unit[T], *, within: float = 0.0) -> asyncio.Future[T]:
        """:meth:`run`, without waiting: ``unit`` is in line when this returns, before any unit
        made later. The future has the result; cancelling it does not cancel the write."""
        if self._closing:
            raise GroupCommitClosed("the database writer is closed")
        if self._writer is None or self._writer.done():  # first use, or a writer that died
            self._writer = asyncio.create_task(self._write_forever(), name="group-commit")
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()
        self._waiting.append((unit, done))
        self._due = min(self._due, loop.time() + within)
        self._wakeup.set()
        return done

    async def close(self, timeout: float = 30.0) -> None:
        """Write what is waiting, then stop taking units; after ``timeout`` seconds (a database
        that does not answer), the units still waiting fail with :class:`GroupCommitClosed`."""
        self._closing = True
        self._wakeup.set()
        writer = self._writer
        if writer is None or (await asyncio.wait({writer}, timeout=timeout))[0]:
            await asyncio.get_running_loop().run_in_executor(self._thread, self._engine.dispose)
            self._thread.shutdown()
            return
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        self._thread.shutdown(wait=False, cancel_futures=True)
        abandoned = [*self._in_flight, *self._waiting]
        self._in_flight, self._waiting = [], deque()
        log.error("group_commit.abandoned", units=len(abandoned))
        for _, waiting in abandoned:
            _settle(waiting, (None, GroupCommitClosed(
                "the database did not answer before shutdown")))

    async def _write_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._waiting:
                if not self._closing and self._due > loop.time():
                    await self._wait_until_due()
                    continue
                count = min(len(self._waiting), self._max_batch)
                self._in_flight = [self._waiting.popleft() for _ in range(count)]
                # What stays behind (beyond a full batch) goes into the next one at once.
                self._due = loop.time() if self._waiting else math.inf
                metrics.DB_BATCH_UNITS.observe(count)
                outcomes = await loop.run_in_executor(
                    self._thread, self._commit, [unit for unit, _ in self._in_flight])
                for (_, done), outcome in zip(self._in_flight, outcomes, strict=True):
                    _settle(done, outcome)
                self._in_flight = []
            if self._closing:
                return

    async def _wait_until_due(self) -> None:
        """Wait until the waiting units are due, or a unit that is due sooner arrives."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout_at(self._due):
                await self._wakeup.wait()
        self._wakeup.clear()

    def _commit(self, units: list[Unit[Any]]) -> list[Outcome]:
        """In the writer's thread: run ``units`` in one transaction (see the module's text)."""
        try:
            with self._engine.begin() as connection:
                return [(unit(connection), None) for unit in units]
        except Exception as exc:
            if len(units) == 1 or isinstance(exc, DATABASE_ERRORS):
                return [(None, exc)] * len(units)
            log.info("group_commit.batch_failed", units=len(units), error=str(exc)[:200])
            return [self._commit([unit])[0] for unit in units]


def _settle(done: asyncio.Future[Any], outcome: Outcome) -> None:
    """Give the unit's caller its result or error (a caller that gave up is not told)."""
    if done.done():
        return
    result, error = outcome
    if error is None:
        done.set_result(result)
        return
    done.set_exception(error)
    done.add_done_callback(_consume_error)


def _consume_error(done: asyncio.Future[Any]) -> None:
    """Mark the error seen: a caller cancelled while waiting leaves nobody to read it."""
    if not done.cancelled():
        done.exception()
