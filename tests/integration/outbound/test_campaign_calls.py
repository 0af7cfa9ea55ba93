"""Campaign calls on the real sandbox: sipp customers behind the trunk, the engine's own dial
loop (its outbound plugin), dispositions from real calls stored; the window and retries on the
engine's clock (the tests move it); an Asterisk restart holds the dialling."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from centralino.core.sandbox import process as sandbox
from config.settings import Settings
from outbound.scripted_call import HUNG_UP

from ..conftest import EngineRunner
from .customers import (
    BUSY,
    HANGS_UP,
    HUMAN,
    MACHINE,
    NO_ANSWER,
    UNALLOCATED,
    customer_number,
    customers,
)
from .dialling import all_ended, attempts, campaign, dials_per_phone, until

QUIET_SECONDS = 3.0  # a dial loop that would dial has done so by then (it polls every second)


async def test_real_calls_are_stored_with_their_dispositions(
    engine: EngineRunner, customers_port: int,
) -> None:
    kinds = {HUMAN: "human", BUSY: "busy", NO_ANSWER: "no_answer", MACHINE: "machine",
             UNALLOCATED: "invalid_number", HANGS_UP: "human"}
    phones = {customer_number(kind, n): kind for n, kind in enumerate(kinds)}
    async with customers(customers_port):
        made = await campaign(engine.sessions, engine.clock.now, list(phones))
        await until(lambda: all_ended(engine.sessions, made, len(phones)), "every attempt ended")
    rows = await attempts(engine.sessions, made)
    assert {row.phone: row.disposition for row in rows} == {
        phone: kinds[kind] for phone, kind in phones.items()}
    by_kind = {phones[row.phone]: row for row in rows}
    assert (by_kind[BUSY].dial_status, by_kind[BUSY].hangup_cause) == ("BUSY", 17)
    assert by_kind[UNALLOCATED].hangup_cause == 1
    assert (by_kind[HUMAN].amd_status, by_kind[MACHINE].amd_status) == ("HUMAN", "MACHINE")
    assert by_kind[HUMAN].linkedid and by_kind[HUMAN].answered_at is not None
    assert by_kind[HANGS_UP].outcome == HUNG_UP  # left mid-message: the engine saw it go
    assert dials_per_phone(rows) == {phone: 1 for phone in phones}


async def test_a_closed_window_dials_nobody_and_dialling_starts_when_it_opens(
    engine: EngineRunner, customers_port: int,
) -> None:
    opening = engine.clock.now
    engine.clock.now = opening - timedelta(hours=2)  # 08:00 on a Wednesday: not yet
    async with customers(customers_port):
        made = await campaign(engine.sessions, engine.clock.now, [customer_number(BUSY, 11)])
        await asyncio.sleep(QUIET_SECONDS)
        assert await attempts(engine.sessions, made) == []
        engine.clock.now = opening
        await until(lambda: all_ended(engine.sessions, made, 1),
                    "the attempt once the window opened")


async def test_a_busy_customer_is_called_again_after_the_retry_spacing_only(
    engine: EngineRunner, customers_port: int,
) -> None:
    start = engine.clock.now
    async with customers(customers_port):
        made = await campaign(engine.sessions, start, [customer_number(BUSY, 12)],
                              extra="pacing: {max_channels: 2, calls_per_second: 5}\n"
                                    "retries: {busy: {after_minutes: 30, max: 3}}\n")
        await until(lambda: all_ended(engine.sessions, made, 1), "the first attempt")
        engine.clock.now = start + timedelta(minutes=29)
        await asyncio.sleep(QUIET_SECONDS)
        assert len(await attempts(engine.sessions, made)) == 1
        engine.clock.now = start + timedelta(minutes=30)
        await until(lambda: all_ended(engine.sessions, made, 2), "the retry")
    assert [row.disposition for row in await attempts(engine.sessions, made)] == ["busy", "busy"]


async def test_an_asterisk_restart_mid_campaign_holds_the_dialling_which_then_goes_on(
    engine: EngineRunner, customers_port: int, settings: Settings,
) -> None:
    phones = [customer_number(BUSY, 30 + n) for n in range(4)]
    start = engine.clock.now
    async with customers(customers_port):
        made = await campaign(engine.sessions, start, phones,
                              extra="pacing: {max_channels: 1, calls_per_second: 0.5}\n"
                                    "ring_seconds: 15\n"
                                    "retries: {failed: {after_minutes: 1, max: 2}}\n")
        await until(lambda: all_ended(engine.sessions, made, 1), "a first call")
        await asyncio.to_thread(sandbox.down, settings)
        await until(lambda: _ami_down(engine), "the engine seeing Asterisk gone")
        during = len(await attempts(engine.sessions, made))
        await asyncio.sleep(QUIET_SECONDS)
        assert len(await attempts(engine.sessions, made)) == during  # it waits
        await asyncio.to_thread(sandbox.up, settings)
        engine.clock.now = start + timedelta(minutes=2)  # a call lost in the restart is due
        await until(lambda: _every_phone_busy(engine, made, phones), "the rest dialled",
                    timeout=90)
    rows = await attempts(engine.sessions, made)
    assert all(count <= 2 for count in dials_per_phone(rows).values())


async def _ami_down(engine: EngineRunner) -> bool:
    return not engine.engine.ami.connected


async def _every_phone_busy(engine: EngineRunner, campaign_id: int, phones: list[str]) -> bool:
    rows = await attempts(engine.sessions, campaign_id)
    return {row.phone for row in rows if row.disposition == "busy"} == set(phones)
