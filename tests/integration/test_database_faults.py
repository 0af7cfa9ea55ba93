"""A slow or stalled database under real calls: the caller is served late, or told to call back.

The engine's SQLite file is write-locked from outside (``BEGIN EXCLUSIVE`` on a connection of
the test's own), the way a long report, a backup or a slow disk holds it on a real machine.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator

from sqlalchemy import make_url

from centralino.core.db import SQLITE_BUSY_TIMEOUT_MS
from config.settings import Settings

from .ari_observer import observe_asterisk
from .conftest import EngineRunner, wait_until
from .sipp_caller import HANG_UP, WAIT_FOR_BYE, Pause, place_call
from .stored import ended_call, tickets_of


@contextlib.contextmanager
def write_locked(settings: Settings, seconds: float) -> Iterator[None]:
    """Hold the engine's database write-locked for ``seconds`` (from a thread), starting now."""
    path = make_url(settings.database_url).database
    assert path, settings.database_url
    locked = threading.Event()

    def hold() -> None:
        connection = sqlite3.connect(path, timeout=10, isolation_level=None)
        try:
            connection.execute("BEGIN EXCLUSIVE")
            locked.set()
            threading.Event().wait(seconds)
            connection.execute("ROLLBACK")
        finally:
            connection.close()

    holder = threading.Thread(target=hold, name="db-lock")
    holder.start()
    assert locked.wait(10), "could not lock the database"
    try:
        yield
    finally:
        holder.join()


async def test_a_database_slow_to_take_writes_delays_the_caller_but_loses_nothing(
    engine: EngineRunner, settings: Settings
) -> None:
    slow = SQLITE_BUSY_TIMEOUT_MS / 1000 / 2  # slower than any healthy write, within the wait
    with write_locked(settings, slow):
        result = await place_call(settings, [Pause(3000)], HANG_UP, caller="3337770001")
    assert result.succeeded, result.output
    call = await ended_call(engine, "3337770001")
    assert call.disposition == "answered"
    tickets = await tickets_of(engine, call.linkedid)
    assert len(tickets) == 1
    assert [node["node"] for node in tickets[0].ivr_nodes][:1] == ["welcome"]


async def test_a_database_locked_past_its_wait_sends_the_caller_to_call_later(
    engine: EngineRunner, settings: Settings
) -> None:
    """No ticket can be opened: the caller hears "please try to call later" instead of
    silence, and the next caller, once the database is free, is served as usual."""
    stalled = SQLITE_BUSY_TIMEOUT_MS / 1000 + 2
    async with observe_asterisk(settings) as asterisk:
        with write_locked(settings, stalled):
            result = await place_call(settings, [], WAIT_FOR_BYE, caller="3337770002")
        assert result.succeeded, result.output
        assert any(event.get("dialplan_app") == "Playback"
                   and event.get("dialplan_app_data") == "please-try-call-later"
                   for event in asterisk.events_of("ChannelDialplan"))

    later = await place_call(settings, [Pause(2000)], HANG_UP, caller="3337770003")
    assert later.succeeded, later.output
    call = await ended_call(engine, "3337770003")
    assert len(await tickets_of(engine, call.linkedid)) == 1
    health = await wait_until(engine.health, lambda r: r.status_code == 200, timeout=10)
    assert health.json()["database"]["up"] is True
