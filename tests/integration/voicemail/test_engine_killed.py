"""The engine killed (SIGKILL) as the caller hangs up: the message is stored exactly once, by
the next engine's reconciliation, from the recording Asterisk kept."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from sqlalchemy import select

from centralino.core.db import create_engine, session_factory
from centralino.core.sandbox.process import SandboxStatus
from config.settings import Settings
from cti.tickets.store import ticket_for_call
from recordings.models import Recording
from recordings.store import sha256_of

from ..ari_observer import observe_asterisk
from ..conftest import wait_until
from ..sipp_caller import HANG_UP, Pause, Press, Speak, place_call
from ..test_engine_process import engine_process
from .helpers import DURATION_TOLERANCE, held_by_asterisk, stored_file
from .speech import seconds_of, spoken

MESSAGE = spoken("This is Anna Bianchi. A tree fell on the power line in my street.")


async def stored_as(settings: Settings, name: str) -> list[Recording]:
    db = create_engine(settings.database_url)
    try:
        async with session_factory(db)() as session:
            result = await session.execute(
                select(Recording).where(Recording.asterisk_name == name))
            return list(result.scalars().all())
    finally:
        await db.dispose()


async def ticket_id_of(settings: Settings, linkedid: str) -> int | None:
    db = create_engine(settings.database_url)
    try:
        async with session_factory(db)() as session:
            ticket = await ticket_for_call(session, linkedid)
            return ticket.id if ticket is not None else None
    finally:
        await db.dispose()


async def test_a_message_left_as_the_engine_dies_is_stored_once_by_the_next_engine(
        asterisk: SandboxStatus, settings: Settings, itest_config: Path) -> None:
    async with observe_asterisk(settings) as observer:
        async with engine_process(settings, itest_config) as first:
            caller = asyncio.create_task(place_call(
                settings, [Pause(800), Press("1"), Pause(3500), Speak(MESSAGE)], HANG_UP,
                caller="3338880001"))
            started = await wait_until(lambda: asyncio.sleep(0, observer.events_of(
                "RecordingStarted")), bool, timeout=30)
            # Frozen while the caller speaks, killed once they have hung up: it never got to
            # store the message.
            first.process.send_signal(signal.SIGSTOP)
            result = await caller
            first.process.kill()
            await first.process.wait()
        assert result.succeeded, result.output
        name = started[0]["recording"]["name"]
        linkedid = name.removeprefix("voicemail-choice-").replace("-", ".")
        assert await stored_as(settings, name) == []
        await wait_until(lambda: held_by_asterisk(settings), lambda held: name in held,
                         timeout=15)

        async with engine_process(settings, itest_config):
            await wait_until(lambda: held_by_asterisk(settings), lambda held: name not in held,
                             timeout=30)

    rows = await stored_as(settings, name)
    assert len(rows) == 1, rows
    message = rows[0]
    assert message.situation == "choice" and message.caller_id == "3338880001"
    assert message.ticket_id is not None
    assert message.ticket_id == await ticket_id_of(settings, linkedid)
    assert sha256_of(stored_file(settings, message.path)) == message.sha256
    assert message.duration_seconds == pytest.approx(seconds_of(MESSAGE), abs=DURATION_TOLERANCE)
