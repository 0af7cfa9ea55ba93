"""How fast campaign calls start: the engine's caps and each campaign's, held together.

A call may start when it has a channel under both ``max_channels`` (the engine's
``outbound.max_channels`` and the campaign's ``pacing.max_channels``: calls in flight, counted
from the claim until the attempt ends) and a token in both calls-per-second buckets. A token
bucket here holds at most one token: calls are spaced ``1 / calls_per_second`` apart, never
bunched after a quiet spell, so any one-second window holds the cap. The dial loop takes the
channel (:meth:`Pacer.reserve`, or as many as are free with :meth:`Pacer.reserve_up_to`) before
it claims attempts and each call's tokens (:meth:`Pacer.pace`) after, right before its
``Originate``: a claim that takes longer than the one before (a database transaction) then
cannot bunch two starts. Waiting is done with an injected clock and sleep, so tests run on a
clock they control.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol


class Caps(Protocol):
    """Pacing limits: :class:`config.settings.OutboundSettings`, :class:`config.campaign.Pacing`."""

    @property
    def max_channels(self) -> int: ...

    @property
    def calls_per_second(self) -> float: ...


class TokenBucket:
    """``rate`` tokens a second, at most one saved up."""

    def __init__(self, rate: float, now: float) -> None:
        if rate <= 0:
            raise ValueError(f"a rate must be positive, not {rate!r}")
        self.rate = rate
        self._tokens = 1.0
        self._at = now

    def wait_time(self, now: float) -> float:
        """Seconds from ``now`` until a token is there (0: one is there now)."""
        self._refill(now)
        return 0.0 if self._tokens >= 1.0 else (1.0 - self._tokens) / self.rate

    def take(self, now: float) -> None:
        """Use the token that :meth:`wait_time` said is there."""
        self._refill(now)
        self._tokens -= 1.0

    def _refill(self, now: float) -> None:
        self._tokens = min(1.0, self._tokens + (now - self._at) * self.rate)
        self._at = max(self._at, now)


class Slot:
    """One call's channel, held from its start until :meth:`release` (idempotent)."""

    def __init__(self, pacer: Pacer, campaign_id: int) -> None:
        self._pacer = pacer
        self.campaign_id = campaign_id
        self.released = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self._pacer._free(self.campaign_id)


class Pacer:
    """Hands out :class:`Slot` s under the engine's caps and each campaign's."""

    def __init__(self, engine: Caps, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._engine = engine
        self._clock = clock
        self._sleep = sleep
        self._engine_bucket = TokenBucket(engine.calls_per_second, clock())
        self._buckets: dict[int, TokenBucket] = {}
        self._calls: dict[int, int] = {}  # campaign id -> calls in flight
        self._freed = asyncio.Event()

    def in_flight(self, campaign_id: int | None = None) -> int:
        """Calls in flight, of one campaign or of all."""
        if campaign_id is None:
            return sum(self._calls.values())
        return self._calls.get(campaign_id, 0)

    def room(self, campaign_id: int, caps: Caps) -> int:
        """How many more calls of the campaign the channel caps allow now."""
        return max(0, min(self._engine.max_channels - self.in_flight(),
                          caps.max_channels - self.in_flight(campaign_id)))

    async def acquire(self, campaign_id: int, caps: Caps) -> Slot:
        """Wait until one more call of the campaign may start under every cap; its slot."""
        slot = await self.reserve(campaign_id, caps)
        await self.pace(campaign_id, caps)
        return slot

    async def reserve(self, campaign_id: int, caps: Caps) -> Slot:
        """Wait for a channel under both channel caps and hold it; its slot. The call may start
        once :meth:`pace` returns."""
        while self.room(campaign_id, caps) == 0:
            await self._freed.wait()
        self._calls[campaign_id] = self.in_flight(campaign_id) + 1
        return Slot(self, campaign_id)

    async def reserve_up_to(self, campaign_id: int, caps: Caps, most: int) -> list[Slot]:
        """Wait for a channel under both channel caps, then hold as many as are free now, at most
        ``most``; their slots. Each call may start once its :meth:`pace` returns."""
        slots = [await self.reserve(campaign_id, caps)]
        while len(slots) < most and self.room(campaign_id, caps) > 0:
            self._calls[campaign_id] += 1
            slots.append(Slot(self, campaign_id))
        return slots

    def calls_per_second(self, caps: Caps) -> float:
        """How many calls of the campaign may start in a second, under both rate caps."""
        return min(self._engine.calls_per_second, caps.calls_per_second)

    async def pace(self, campaign_id: int, caps: Caps) -> None:
        """Wait for a token in both calls-per-second buckets and take them: the call starts now."""
        while True:
            now = self._clock()
            bucket = self._bucket(campaign_id, caps, now)
            wait = max(self._engine_bucket.wait_time(now), bucket.wait_time(now))
            if wait <= 0:
                break
            await self._sleep(wait)
        self._engine_bucket.take(now)
        bucket.take(now)

    def _bucket(self, campaign_id: int, caps: Caps, now: float) -> TokenBucket:
        bucket = self._buckets.get(campaign_id)
        if bucket is None or bucket.rate != caps.calls_per_second:
            bucket = self._buckets[campaign_id] = TokenBucket(caps.calls_per_second, now)
        return bucket

    def _free(self, campaign_id: int) -> None:
        left = self.in_flight(campaign_id) - 1
        if left > 0:
            self._calls[campaign_id] = left
        else:
            self._calls.pop(campaign_id, None)
        freed, self._freed = self._freed, asyncio.Event()
        freed.set()
