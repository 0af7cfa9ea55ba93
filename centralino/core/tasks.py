"""Background tasks an object starts and must keep hold of: start, forget when done, stop.

``asyncio`` keeps only a weak reference to a task, so whoever starts one without awaiting it
must hold it until it ends; :class:`TaskSet` is that set, logs a task that failed, and waits
for (or cancels) the ones still running when its owner stops.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

import structlog

log = structlog.get_logger(__name__)

T = TypeVar("T")


class TaskSet:
    """The tasks one owner runs in the background.

    ``failure_event``: the log event of a task that ended with an exception (the exception is
    attached), so a failure is never silent.
    """

    def __init__(self, failure_event: str = "task.failed") -> None:
        self._failure_event = failure_event
        self._tasks: set[asyncio.Future[Any]] = set()

    def spawn(self, work: Awaitable[T], *, name: str | None = None) -> asyncio.Future[T]:
        """Run ``work`` (a coroutine, or a future already running) in the background."""
        if isinstance(work, Coroutine):
            task: asyncio.Future[T] = asyncio.get_running_loop().create_task(work, name=name)
        else:
            task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def __len__(self) -> int:
        return len(self._tasks)

    async def wait(self) -> None:
        """Wait until every task running now has ended (their exceptions were logged)."""
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def cancel_all(self) -> None:
        """Cancel every task and wait until they have ended."""
        for task in list(self._tasks):
            task.cancel()
        await self.wait()

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            name = task.get_name() if isinstance(task, asyncio.Task) else None
            log.error(self._failure_event, task=name, exc_info=task.exception())


async def cancel_and_wait(task: asyncio.Future[Any] | None) -> None:
    """Cancel ``task`` (if any) and wait until it has ended; its cancellation is not raised."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
