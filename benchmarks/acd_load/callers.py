"""A stream of callers into the operators' queue: Local channels originated through AMI.

Each caller is ``Originate`` of ``Local/s@acd-queue`` (the context the IVR hands callers to)
whose other end runs ``Wait(talk)``. That end answers only when a seat has answered the queued
half, so ``talk`` is the conversation, and the Originate's ``Timeout`` is the caller's
patience: a caller no seat answered by then hangs up in the queue (``QueueCallerAbandon``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from centralino.core.ami import AmiClient


def caller_number(prefix: str, index: int) -> str:
    """The caller id of the ``index``-th caller of a pass (``prefix`` tells the passes apart)."""
    return f"{prefix}{index:05d}"


async def place_callers(ami: AmiClient, prefix: str, calls: int, rate: float, talk_seconds: float,
                        patience_seconds: float, placed: Callable[[int], None]) -> list[str]:
    """Originate ``calls`` callers, ``rate`` per second on a fixed schedule (a slow answer does
    not delay the next); call ``placed(n)`` after each. Returns the errors Asterisk gave."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    errors = []
    for index in range(calls):
        await asyncio.sleep(max(0.0, start + index / rate - loop.time()))
        response = await ami.send_action({
            "Action": "Originate", "Channel": "Local/s@acd-queue", "Application": "Wait",
            "Data": f"{talk_seconds:g}", "Timeout": str(int(patience_seconds * 1000)),
            "CallerID": f"<{caller_number(prefix, index)}>", "Async": "true"}, as_list=False)
        if response.get("Response") != "Success":
            errors.append(str(response.get("Message", response)))
        placed(index + 1)
    return errors
