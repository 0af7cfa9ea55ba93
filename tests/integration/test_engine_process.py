"""The engine as a process: SIGTERM mid-call ends cleanly; SIGKILL mid-call loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from centralino.core.calls.models import Call
from centralino.core.calls.service import list_calls
from centralino.core.db import create_engine, session_factory, upgrade_database
from centralino.core.hours.service import set_override
from centralino.core.sandbox.process import SandboxStatus
from config.settings import Settings
from cti.tickets.models import Ticket
from cti.tickets.store import list_tickets

from .ari_observer import observe_asterisk
from .conftest import wait_until
from .sipp_caller import HANG_UP, WAIT_FOR_BYE, Pause, Press, place_call


class EngineProcess:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.stderr = ""


async def force_hours(settings: Settings, mode: str) -> None:
    """The engine process keeps the real clock: the override makes the test menu's center
    open whatever the time CI runs at (``auto`` gives the clock back)."""
    await upgrade_database(settings.database_url)  # when run before any in-process engine
    db = create_engine(settings.database_url)
    try:
        async with session_factory(db)() as session:
            await set_override(session, mode, "integration test", "tests")
    finally:
        await db.dispose()


@asynccontextmanager
async def engine_process(settings: Settings, config: Path) -> AsyncIterator[EngineProcess]:
    """``centralino run --config`` in a child process, healthy before the body runs, with the
    center forced open."""
    await force_hours(settings, "open")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "centralino", "run", "--config", str(config),
        env=os.environ, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    running = EngineProcess(process)
    health = f"http://{settings.web.host}:{settings.web.port}/health"

    async def probe() -> httpx.Response:
        async with httpx.AsyncClient(timeout=5) as client:
            return await client.get(health)

    try:
        await wait_until(probe, lambda r: r.status_code == 200, timeout=30)
        yield running
    finally:
        if process.returncode is None:  # a clean stop writes the end of every call it holds
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
        running.stderr = (await process.stderr.read()).decode() if process.stderr else ""
        await force_hours(settings, "auto")


async def stored(settings: Settings, caller: str) -> tuple[list[Call], list[Ticket]]:
    db = create_engine(settings.database_url)
    try:
        async with session_factory(db)() as session:
            calls = [c for c in await list_calls(session, limit=50) if c.caller_id == caller]
            linkedids = {c.linkedid for c in calls}
            tickets = [t for t in await list_tickets(session, limit=500)
                       if t.call_linkedid in linkedids]
        return calls, tickets
    finally:
        await db.dispose()


async def test_sigterm_mid_call_hands_the_caller_to_the_fallback_and_stores_the_end(
    asterisk: SandboxStatus, settings: Settings, itest_config: Path
) -> None:
    async with engine_process(settings, itest_config) as engine:
        call = asyncio.create_task(
            place_call(settings, [], WAIT_FOR_BYE, caller="3334440001"))
        await asyncio.sleep(3)
        engine.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(engine.process.wait(), 20)
        assert engine.process.returncode == 0
        result = await call
        assert result.succeeded, result.output  # the fallback hung up on the caller, cleanly
    assert "Traceback" not in engine.stderr, engine.stderr

    calls, tickets = await stored(settings, "3334440001")
    assert len(calls) == 1 and len(tickets) == 1
    assert calls[0].ended_at is not None and calls[0].disposition == "answered", engine.stderr


async def test_engine_killed_mid_call_adopts_the_call_on_restart_with_the_same_ticket(
    asterisk: SandboxStatus, settings: Settings, itest_config: Path
) -> None:
    async with observe_asterisk(settings) as observer:
        async with engine_process(settings, itest_config) as first:
            call = asyncio.create_task(
                place_call(settings, [], WAIT_FOR_BYE, caller="3334440002"))
            await wait_until(lambda: asyncio.sleep(0), lambda _: any(
                m.startswith("sound:digits/") for m in observer.media_played()), timeout=15)
            first.process.kill()
            await first.process.wait()
        async with engine_process(settings, itest_config):
            result = await asyncio.wait_for(call, 60)
        assert result.succeeded, result.output

    calls, tickets = await stored(settings, "3334440002")
    assert len(calls) == 1 and len(tickets) == 1
    assert calls[0].disposition == "answered" and calls[0].ended_at is not None
    assert observer.times_read_out(tickets[0].tracking_code) == 2


async def test_a_caller_waiting_in_the_queue_outlives_an_engine_kill_and_the_end_is_written(
    asterisk: SandboxStatus, settings: Settings, itest_config: Path
) -> None:
    async with observe_asterisk(settings) as observer:
        async with engine_process(settings, itest_config) as first:
            call = asyncio.create_task(place_call(
                settings, [Pause(500), Press("2"), Pause(9000)], HANG_UP, caller="3334440003"))
            await wait_until(lambda: asyncio.sleep(0), lambda _: any(
                e["channel"]["dialplan"]["context"] == "acd-queue"
                for e in observer.events_of("ChannelDialplan")), timeout=20)
            first.process.kill()
            await first.process.wait()
        async with engine_process(settings, itest_config) as second:
            result = await asyncio.wait_for(call, 60)
            assert result.succeeded, result.output  # the caller stayed in the queue

            async def ended() -> list[Call]:
                return (await stored(settings, "3334440003"))[0]

            calls = await wait_until(ended, lambda found: bool(found) and
                                     found[0].ended_at is not None, timeout=15)
    assert calls[0].disposition == "answered", second.stderr
    assert calls[0].duration_seconds is not None and calls[0].duration_seconds > 9
