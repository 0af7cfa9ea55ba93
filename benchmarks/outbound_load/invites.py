"""The customers' side of a pass: their phone (the campaign tests' sipp scenario) with its SIP
messages logged, and how many calls each number received.

A double dial is a number that got INVITEs with more than one Call-ID (retransmissions of
one INVITE share their Call-ID and count once).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

from tests.integration.outbound.customers import customers

CONCURRENT_CALLS = 1000  # sipp's -l: far above any cap, so no customer is ever refused


@contextlib.asynccontextmanager
async def customers_phone(port: int, message_file: Path
                          ) -> AsyncIterator[asyncio.subprocess.Process]:
    """The customers on 127.0.0.1:``port`` until the block ends, every SIP message logged to
    ``message_file`` (complete once the block has ended)."""
    async with customers(port, "-l", str(CONCURRENT_CALLS), "-trace_msg",
                         "-message_file", str(message_file)) as process:
        try:
            yield process
        finally:
            if process.returncode is None:  # SIGUSR1: sipp quits, its log written out
                process.send_signal(signal.SIGUSR1)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), 15)


def calls_per_number(message_file: Path) -> Counter[str]:
    """Number dialled → distinct calls (Call-IDs) that reached the customers."""
    calls: set[tuple[str, str]] = set()
    number = None
    with open(message_file, encoding="utf-8", errors="replace") as log:
        for line in log:
            if line.startswith("INVITE sip:"):
                number = line[len("INVITE sip:"):].split("@", 1)[0]
            elif number is not None and line.lower().startswith(("call-id:", "i:")):
                calls.add((number, line.split(":", 1)[1].strip()))
                number = None
    return Counter(number for number, _ in calls)
