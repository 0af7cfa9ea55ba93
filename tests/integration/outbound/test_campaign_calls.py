"""Campaign calls on the real sandbox: sipp customers behind the trunk, the dial loop beside
the engine, dispositions from real calls stored; the window and retries on the engine's clock
(the tests move it); a dial loop killed mid-campaign and started again dials nobody twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from centralino.core.sandbox import process as sandbox
from config.settings import Settings

from ..conftest import EngineRunner
from .customers import BUSY, HUMAN, MACHINE, NO_ANSWER, UNALLOCATED, customer_number, customers
from .dialling import all_ended, attempts, campaign, dial_loop, dials_per_phone, until, wire

QUIET_SECONDS = 3.0  # a dial loop that would dial has done so by then (it polls every second)


async def test_real_calls_are_stored_with_their_dispositions(
    engine: EngineRunner, customers_port: int,
) -> None:
    kinds = {HUMAN: "human", BUSY: "busy", NO_ANSWER: "no_answer", MACHINE: "machine",
             UNALLOCATED: "invalid_number"}
    phones = {customer_number(kind, n): kind for n, kind in enumerate(kinds)}
    service = dial_loop(engine)
    wire(engine, service)
    made = await campaign(engine.sessions, engine.clock.now, list(phones))
    async with customers(customers_port):
        await service.start()
        try:
            await until(lambda: all_ended(engine.sessions, made, len(phones)),
                        "every attempt ended")
        finally:
            await service.stop()
    rows = await attempts(engine.sessions, made)
    assert {row.phone: row.disposition for row in rows} == {
        phone: kinds[kind] for phone, kind in phones.items()}
    by_kind = {phones[row.phone]: row for row in rows}
    assert (by_kind[BUSY].dial_status, by_kind[BUSY].hangup_cause) == ("BUSY", 17)
    assert by_kind[UNALLOCATED].hangup_cause == 1
    assert (by_kind[HUMAN].amd_status, by_kind[MACHINE].amd_status) == ("HUMAN", "MACHINE")
    assert by_kind[HUMAN].linkedid and by_kind[HUMAN].answered_at is not None
    assert dials_per_phone(rows) == {phone: 1 for phone in phones}


async def test_a_closed_window_dials_nobody_and_dialling_starts_when_it_opens(
    engine: EngineRunner, customers_port: int,
) -> None:
    service = dial_loop(engine)
    wire(engine, service)
    opening = engine.clock.now
    engine.clock.now = opening - timedelta(hours=2)  # 08:00 on a Wednesday: not yet
    made = await campaign(engine.sessions, engine.clock.now, [customer_number(BUSY, 11)])
    async with customers(customers_port):
        await service.start()
        try:
            await asyncio.sleep(QUIET_SECONDS)
            assert await attempts(engine.sessions, made) == []
            engine.clock.now = opening
            await until(lambda: all_ended(engine.sessions, made, 1),
                        "the attempt once the window opened")
        finally:
            await service.stop()


async def test_a_busy_customer_is_called_again_after_the_retry_spacing_only(
    engine: EngineRunner, customers_port: int,
) -> None:
    service = dial_loop(engine)
    wire(engine, service)
    start = engine.clock.now
    made = await campaign(engine.sessions, start, [customer_number(BUSY, 12)],
                   extra="pacing: {max_channels: 2, calls_per_second: 5}\n"
                         "retries: {busy: {after_minutes: 30, max: 3}}\n")
    async with customers(customers_port):
        await service.start()
        try:
            await until(lambda: all_ended(engine.sessions, made, 1), "the first attempt")
            engine.clock.now = start + timedelta(minutes=29)
            await asyncio.sleep(QUIET_SECONDS)
            assert len(await attempts(engine.sessions, made)) == 1
            engine.clock.now = start + timedelta(minutes=30)
            await until(lambda: all_ended(engine.sessions, made, 2), "the retry")
        finally:
            await service.stop()
    assert [row.disposition for row in await attempts(engine.sessions, made)] == ["busy", "busy"]


async def test_a_dial_loop_killed_mid_campaign_and_started_again_dials_nobody_twice(
    engine: EngineRunner, customers_port: int,
) -> None:
    phones = [customer_number(NO_ANSWER, 20 + n) for n in range(3)]
    first = dial_loop(engine)
    results = wire(engine, first)
    made = await campaign(engine.sessions, engine.clock.now, phones)
    async with customers(customers_port):
        await first.start()
        await until(lambda: _dialled(engine, made, len(phones)), "every customer ringing")
        results.service = None  # the engine dies: its tasks are cancelled, its reports lost
        await first.stop()
        second = dial_loop(engine)  # the engine started again, on the same database
        results.service = second
        await second.start()
        try:
            await until(lambda: all_ended(engine.sessions, made, len(phones)), "the rings reported")
            await asyncio.sleep(QUIET_SECONDS)
        finally:
            await second.stop()
    rows = await attempts(engine.sessions, made)
    assert dials_per_phone(rows) == {phone: 1 for phone in phones}
    assert {row.disposition for row in rows} == {"no_answer"}


async def _dialled(engine: EngineRunner, campaign_id: int, count: int) -> bool:
    return len(await attempts(engine.sessions, campaign_id)) >= count


async def test_an_asterisk_restart_mid_campaign_holds_the_dialling_which_then_goes_on(
    engine: EngineRunner, customers_port: int, settings: Settings,
) -> None:
    phones = [customer_number(BUSY, 30 + n) for n in range(4)]
    service = dial_loop(engine)
    wire(engine, service)
    start = engine.clock.now
    made = await campaign(engine.sessions, start, phones,
                          extra="pacing: {max_channels: 1, calls_per_second: 0.5}\n"
                                "ring_seconds: 15\nretries: {failed: {after_minutes: 1, max: 2}}\n")
    async with customers(customers_port):
        await service.start()
        try:
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
        finally:
            await service.stop()
    rows = await attempts(engine.sessions, made)
    assert all(count <= 2 for count in dials_per_phone(rows).values())


async def _ami_down(engine: EngineRunner) -> bool:
    return not engine.engine.ami.connected


async def _every_phone_busy(engine: EngineRunner, campaign_id: int, phones: list[str]) -> bool:
    rows = await attempts(engine.sessions, campaign_id)
    return {row.phone for row in rows if row.disposition == "busy"} == set(phones)
