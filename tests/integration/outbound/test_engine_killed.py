"""The engine as a process (``centralino run``) killed with SIGKILL mid-campaign and started
again on the same SQLite database once the calls it left have ended unheard: the new engine
asks Asterisk, finds them over and stores them failed (not retried here), dials the rest, and
no customer gets a second call."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from centralino.core.cli_support import database_sessions
from centralino.core.sandbox.process import SandboxStatus
from config.settings import Settings

from ..test_engine_process import engine_process
from .customers import NO_ANSWER, calls_per_number, customer_number, customers
from .dialling import Sessions, attempts, campaign, dials_per_phone, finished, until

# The engine process keeps the real clock: a window open at any hour, any day.
ALWAYS_OPEN = ("window: {holidays_country: null, weekly: {"
               + ", ".join(f'{day}: ["00:00-24:00"]'
                           for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
               + "}}\n")
TWO_AT_A_TIME = ("pacing: {max_channels: 2, calls_per_second: 2}\nring_seconds: 15\n"
                 "retries: {no_answer: {after_minutes: 30, max: 0}, "
                 "failed: {after_minutes: 30, max: 0}}\n")
RING_SECONDS = 15


async def _claimed(sessions: Sessions, campaign_id: int, count: int) -> bool:
    rows = await attempts(sessions, campaign_id)
    return len(rows) >= count and all(row.ended_at is None for row in rows)


async def test_an_engine_killed_mid_campaign_and_started_again_dials_nobody_twice(
    asterisk: SandboxStatus, settings: Settings, itest_config: Path, customers_port: int,
    tmp_path: Path,
) -> None:
    phones: Sequence[str] = [customer_number(NO_ANSWER, 50 + n) for n in range(4)]
    trace = tmp_path / "customers.log"
    async with (database_sessions(settings.database_url) as sessions,
                customers(customers_port, trace=trace)):
        made = await campaign(sessions, datetime.now(UTC), phones,
                              extra=ALWAYS_OPEN + TWO_AT_A_TIME)
        async with engine_process(settings, itest_config) as first:
            await until(lambda: _claimed(sessions, made, 2), "two attempts claimed")
            first.process.kill()
            await first.process.wait()
        await asyncio.sleep(RING_SECONDS + 5)  # their calls end while no engine hears them
        async with engine_process(settings, itest_config) as second:
            await until(lambda: finished(sessions, made), "the campaign finished", timeout=90)
        rows = await attempts(sessions, made)
    assert "Traceback" not in second.stderr, second.stderr
    assert dials_per_phone(rows) == {phone: 1 for phone in phones}
    calls = calls_per_number(trace)  # a claim the killed engine never dialled has no call
    assert set(calls) <= set(phones) and set(calls.values()) == {1}
    assert all(calls[row.phone] == 1 for row in rows if row.disposition == "no_answer")
    by_engine = {engine: sorted(row.disposition or "" for row in rows if row.engine == engine)
                 for engine in {row.engine for row in rows}}
    assert sorted(by_engine.values()) == [["failed", "failed"], ["no_answer", "no_answer"]]
