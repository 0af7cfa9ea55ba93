"""The caller's phone at the far end of the trunk: a sipp UAS on the trunk's outbound contact
that answers every call (and waits for the BYE) or lets it ring until the CANCEL."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from ..acd.sipp_seat import phone_xml
from ..sipp_caller import free_udp_port


@contextlib.asynccontextmanager
async def caller_phone(port: int, answer: bool) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run the caller's phone on 127.0.0.1:``port`` until the block ends."""
    with tempfile.TemporaryDirectory() as workdir:
        scenario = Path(workdir) / "caller.xml"
        scenario.write_text(phone_xml("caller", answer), encoding="ascii")
        process = await asyncio.create_subprocess_exec(
            "sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port),
            "-mp", str(free_udp_port()), "-nostdin", cwd=workdir,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        try:
            yield process
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()
