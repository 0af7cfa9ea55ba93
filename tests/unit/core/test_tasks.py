"""TaskSet: background tasks are held until they end, failures are logged, stop waits or cancels."""

from __future__ import annotations

import asyncio

from structlog.testing import capture_logs

from centralino.core.tasks import TaskSet, cancel_and_wait


async def test_a_task_is_held_while_it_runs_and_forgotten_when_it_ends() -> None:
    tasks = TaskSet()
    release = asyncio.Event()
    task = tasks.spawn(release.wait(), name="waiting")
    assert len(tasks) == 1 and task.get_name() == "waiting"  # type: ignore[attr-defined]
    release.set()
    await tasks.wait()
    await asyncio.sleep(0)  # the done callback runs on the next turn of the loop
    assert len(tasks) == 0 and task.result() is True


async def test_a_failed_task_is_logged_under_the_owners_event_with_its_name() -> None:
    async def broken() -> None:
        raise RuntimeError("boom")

    tasks = TaskSet(failure_event="callbacks.event_failed")
    with capture_logs() as logs:
        tasks.spawn(broken(), name="broken-one")
        await tasks.wait()
        await asyncio.sleep(0)
    assert [(entry["event"], entry["task"]) for entry in logs] == [
        ("callbacks.event_failed", "broken-one")]
    assert len(tasks) == 0


async def test_cancel_all_cancels_what_still_runs_and_waits_for_it() -> None:
    tasks = TaskSet()
    never = asyncio.get_running_loop().create_future()
    stuck = tasks.spawn(asyncio.wait_for(never, timeout=None))
    with capture_logs() as logs:
        await tasks.cancel_all()
    assert stuck.cancelled() and logs == []  # a cancellation is no failure


async def test_a_future_already_running_is_held_too() -> None:
    tasks = TaskSet()
    future = asyncio.get_running_loop().create_future()
    held = tasks.spawn(future)
    assert held is future and len(tasks) == 1
    future.set_result(7)
    await tasks.wait()
    await asyncio.sleep(0)
    assert len(tasks) == 0


async def test_cancel_and_wait_ends_a_task_quietly_and_takes_none() -> None:
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.sleep(3600)

    task = asyncio.create_task(forever())
    await started.wait()
    await cancel_and_wait(task)
    await cancel_and_wait(None)
    assert task.cancelled()
