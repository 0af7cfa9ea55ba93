"""Measure how late the event loop runs scheduled work (a stalled loop drops ARI/AMI sockets)."""

from __future__ import annotations

import asyncio

from centralino.core import metrics


async def watch_loop_lag(interval: float = 0.25) -> None:
    """Forever: sleep ``interval`` and record how much later than asked the loop woke us."""
    loop = asyncio.get_running_loop()
    worst = 0.0
    while True:
        before = loop.time()
        await asyncio.sleep(interval)
        lag = max(0.0, loop.time() - before - interval)
        metrics.EVENT_LOOP_LAG.observe(lag)
        if lag > worst:
            worst = lag
            metrics.EVENT_LOOP_LAG_MAX.set(lag)
