"""A callback run end to end on the real sandbox: the operator's seat (a registered sipp
phone) rings first, then the caller's phone behind the trunk; the outcome is stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest

from acd.operators import OperatorDesk
from acd.state import AcdPicture
from centralino.core import events
from config.secrets import Secrets
from config.settings import Settings
from cti.callbacks.models import Callback, CallbackAttempt
from cti.callbacks.service import CallbackService
from cti.callbacks.store import attempts_of, get_callback, list_callbacks

from ..acd.conftest import AmiWatch
from ..acd.helpers import eventually
from ..acd.sipp_seat import seat_phone
from ..conftest import EngineRunner
from .caller_phone import caller_phone

CALLER = "+393331234567"
OPERATOR = "alice"


@pytest.fixture
async def alice_at_seat1(engine: EngineRunner, settings: Settings, secrets: Secrets,
                         ami: AmiWatch) -> AsyncIterator[None]:
    """Alice logged in at seat1, whose phone answers."""
    async with seat_phone(settings, "seat1", secrets.seat_passwords["seat1"]):
        await OperatorDesk(ami.client, settings.acd, settings.seats.names).login(
            OPERATOR, "seat1")
        await eventually(lambda: any(s.operator == OPERATOR and s.registered
                                     for s in engine.engine.service(AcdPicture).seats()),
                         what="alice at a registered seat1")
        yield


async def missed_call(engine: EngineRunner, linkedid: str) -> Callback:
    """The IVR's MissedCall for ``CALLER``, and the task it opened."""
    engine.engine.bus.publish(events.MissedCall(linkedid, "3331234567", "closed",
                                                engine.clock.now))
    return await until_task(engine, lambda task: True, linkedid)


async def until_task(engine: EngineRunner, ready: Callable[[Callback], bool], linkedid: str,
                     timeout: float = 30.0) -> Callback:
    """The task gathering call ``linkedid`` once ``ready(task)``; fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with engine.sessions() as session:
            tasks = [t for t in await list_callbacks(session) if linkedid in t.linkedids]
        if tasks and ready(tasks[0]):
            return tasks[0]
        if loop.time() > deadline:
            raise AssertionError(f"callback task of {linkedid} not ready: {tasks!r}")
        await asyncio.sleep(0.2)


async def attempts(engine: EngineRunner, task: Callback) -> list[CallbackAttempt]:
    async with engine.sessions() as session:
        return await attempts_of(session, task.id)


async def caller_leg_up(ami: AmiWatch) -> str | None:
    """The trunk channel of an answered callback, if there is one."""
    lines = (await ami.command("core show channels concise")).splitlines()
    return next((line.split("!")[0] for line in lines
                 if line.startswith("PJSIP/tollfree-trunk") and "!Up!" in line), None)


async def test_seat_answers_then_the_caller_answers_and_the_task_is_reached(
    engine: EngineRunner, alice_at_seat1: None, ami: AmiWatch, settings: Settings,
    caller_port: int,
) -> None:
    async with caller_phone(caller_port, answer=True):
        task = await missed_call(engine, "cb-reached.1")
        assert (task.caller, task.status) == (CALLER, "open")
        called = await engine.engine.service(CallbackService).call_back(task.id, OPERATOR)
        assert called.status == "in_progress"
        channel = None
        for _ in range(150):
            channel = await caller_leg_up(ami)
            if channel:
                break
            await asyncio.sleep(0.2)
        assert channel, "the caller's leg never came up"
        await ami.command(f"channel request hangup {channel}")  # the conversation ends
        done = await until_task(engine, lambda t: t.status != "in_progress", "cb-reached.1")
    assert (done.status, done.attempts, done.last_outcome, done.assigned_to) == (
        "reached", 1, "reached", OPERATOR)
    [attempt] = await attempts(engine, done)
    assert (attempt.seat, attempt.outcome, attempt.dial_status) == ("seat1", "reached",
                                                                    "ANSWER")


async def test_a_caller_who_does_not_answer_is_retried_then_unreachable(
    engine: EngineRunner, alice_at_seat1: None, settings: Settings, caller_port: int,
) -> None:
    async with caller_phone(caller_port, answer=False):
        task = await missed_call(engine, "cb-unanswered.1")
        await engine.engine.service(CallbackService).call_back(task.id, OPERATOR)
        first = await until_task(engine, lambda t: t.status != "in_progress",
                                 "cb-unanswered.1")
        assert (first.status, first.attempts, first.last_outcome) == ("open", 1, "no_answer")
        assert first.due_at == engine.clock.now + timedelta(minutes=30)
        await eventually(lambda: any(s.operator == OPERATOR and s.state.value == "ready"
                                     for s in engine.engine.service(AcdPicture).seats()),
                         what="alice ready again")
        await engine.engine.service(CallbackService).call_back(task.id, OPERATOR)
        second = await until_task(engine, lambda t: t.status != "in_progress",
                                  "cb-unanswered.1")
    assert (second.status, second.attempts, second.last_outcome) == (
        "unreachable", 2, "no_answer")
    assert [(a.outcome, a.dial_status) for a in await attempts(engine, second)] == [
        ("no_answer", "NOANSWER"), ("no_answer", "NOANSWER")]
    async with engine.sessions() as session:
        stored = await get_callback(session, task.id)
    assert stored is not None and stored.status == "unreachable"


async def test_a_seat_that_does_not_answer_leaves_the_task_open_and_uncounted(
    engine: EngineRunner, settings: Settings, secrets: Secrets, ami: AmiWatch,
    caller_port: int,
) -> None:
    async with seat_phone(settings, "seat2", secrets.seat_passwords["seat2"], answer=False), \
            caller_phone(caller_port, answer=True):
        await OperatorDesk(ami.client, settings.acd, settings.seats.names).login(
            OPERATOR, "seat2")
        await eventually(lambda: any(s.operator == OPERATOR and s.registered
                                     for s in engine.engine.service(AcdPicture).seats()),
                         what="alice at a registered seat2")
        task = await missed_call(engine, "cb-seat-away.1")
        await engine.engine.service(CallbackService).call_back(task.id, OPERATOR)
        after = await until_task(engine, lambda t: t.status != "in_progress",
                                 "cb-seat-away.1")
    assert (after.status, after.attempts, after.last_outcome) == ("open", 0,
                                                                  "seat_unavailable")
    [attempt] = await attempts(engine, after)
    assert (attempt.seat, attempt.dial_status) == ("seat2", "NOANSWER")
