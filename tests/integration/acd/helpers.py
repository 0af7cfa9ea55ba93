"""What the ACD tests share: waiting for a condition, the CLI as a process, bus recorders."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from centralino.core.bus import EventBus

from ..conftest import EngineRunner

T = TypeVar("T")
E = TypeVar("E")


async def eventually(check: Callable[[], T], timeout: float = 20.0, what: str = "") -> T:
    """Poll ``check()`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what or check}; last: {result!r}")
        await asyncio.sleep(0.1)


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


async def centralino(config: Path, *arguments: str) -> CliResult:
    """Run the ``centralino`` command in its own process, on the ACD sandbox's settings."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "centralino", *arguments, "--config", str(config),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    return CliResult(process.returncode or 0, stdout.decode(), stderr.decode())


def record(bus: EventBus, event_type: type[E]) -> list[E]:
    """Every ``event_type`` published on ``bus`` from now on."""
    seen: list[E] = []
    bus.subscribe(event_type, seen.append)
    return seen


@contextlib.asynccontextmanager
async def running(runner: EngineRunner) -> AsyncIterator[EngineRunner]:
    """``runner``'s engine, healthy, until the block ends (however it ends)."""
    await runner.start()
    try:
        await runner.wait_healthy()
        yield runner
    finally:
        await runner.stop()
