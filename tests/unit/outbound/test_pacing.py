"""The pacer: calls per second and calls in flight, the engine's caps and a campaign's together,
on a clock the tests control."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from itertools import pairwise

from outbound.pacing import Pacer, Slot


@dataclass(frozen=True)
class Caps:
    max_channels: int
    calls_per_second: float


class Clock:
    """Monotonic seconds that move only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def pacer(engine: Caps, clock: Clock) -> Pacer:
    return Pacer(engine, clock=clock, sleep=clock.sleep)


async def start_times(pacer: Pacer, clock: Clock, campaign: int, caps: Caps, count: int
                      ) -> list[float]:
    times = []
    for _ in range(count):
        (await pacer.acquire(campaign, caps)).release()
        times.append(round(clock.now - 100.0, 6))
    return times


async def test_calls_are_spaced_by_the_campaigns_rate_under_the_engines() -> None:
    clock = Clock()
    paced = pacer(Caps(100, 10), clock)

    assert await start_times(paced, clock, 1, Caps(10, 2), 4) == [0.0, 0.5, 1.0, 1.5]


async def test_the_engines_rate_caps_a_faster_campaign() -> None:
    clock = Clock()
    paced = pacer(Caps(100, 4), clock)

    assert await start_times(paced, clock, 1, Caps(10, 20), 3) == [0.0, 0.25, 0.5]


async def test_a_quiet_spell_saves_up_no_burst() -> None:
    clock = Clock()
    paced = pacer(Caps(100, 10), clock)
    await start_times(paced, clock, 1, Caps(10, 2), 1)
    clock.now += 60

    assert await start_times(paced, clock, 1, Caps(10, 2), 2) == [60.0, 60.5]


async def test_a_campaign_at_its_channels_waits_for_a_call_to_end() -> None:
    clock = Clock()
    paced = pacer(Caps(100, 100), clock)
    caps = Caps(2, 100)
    first, _second = (await paced.acquire(1, caps), await paced.acquire(1, caps))
    third = asyncio.create_task(paced.acquire(1, caps))
    await asyncio.sleep(0.01)
    assert not third.done() and paced.in_flight(1) == 2

    first.release()
    first.release()  # a second release of the same call frees nothing more
    slot = await asyncio.wait_for(third, 1)
    assert isinstance(slot, Slot) and paced.in_flight(1) == 2


async def test_the_engines_channels_are_shared_by_every_campaign() -> None:
    clock = Clock()
    paced = pacer(Caps(3, 100), clock)
    caps = Caps(10, 100)
    held = [await paced.acquire(1, caps), await paced.acquire(1, caps),
            await paced.acquire(2, caps)]
    assert paced.room(2, caps) == 0
    waiting = asyncio.create_task(paced.acquire(2, caps))
    await asyncio.sleep(0.01)
    assert not waiting.done()

    held[0].release()
    await asyncio.wait_for(waiting, 1)
    assert (paced.in_flight(1), paced.in_flight(2), paced.in_flight()) == (1, 2, 3)


async def test_room_is_the_lower_of_the_two_channel_caps() -> None:
    paced = pacer(Caps(5, 100), Clock())
    await paced.acquire(1, Caps(3, 100))

    assert paced.room(1, Caps(3, 100)) == 2
    assert paced.room(2, Caps(10, 100)) == 4


async def test_a_slow_claim_between_the_channel_and_the_start_never_bunches_two_starts() -> None:
    clock = Clock()
    paced = pacer(Caps(100, 100), clock)
    caps = Caps(10, 2)
    starts = []
    for claim_seconds in (0.375, 0.0, 0.25, 0.0, 0.4375, 0.0078125):  # uneven claims (exact)
        slot = await paced.reserve(1, caps)
        await clock.sleep(claim_seconds)
        await paced.pace(1, caps)
        starts.append(clock.now)
        slot.release()

    assert min(b - a for a, b in pairwise(starts)) >= 0.5 - 1e-9


async def test_several_channels_are_held_at_once_up_to_the_free_ones_and_the_most_asked() -> None:
    paced = pacer(Caps(5, 100), Clock())
    held = await paced.reserve_up_to(1, Caps(3, 100), most=10)
    assert (len(held), paced.in_flight(1), paced.room(1, Caps(3, 100))) == (3, 3, 0)
    assert len(await paced.reserve_up_to(2, Caps(10, 100), most=1)) == 1
    assert paced.calls_per_second(Caps(3, 20)) == 20 and paced.calls_per_second(
        Caps(3, 500)) == 100

    waiting = asyncio.create_task(paced.reserve_up_to(1, Caps(3, 100), most=10))
    await asyncio.sleep(0.01)
    assert not waiting.done()  # none free: it waits for one
    held[0].release()
    held[1].release()
    assert len(await asyncio.wait_for(waiting, 1)) == 2
    assert paced.in_flight() == 4
