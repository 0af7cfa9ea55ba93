"""The ACD tests' own sandbox (instance ``acdtest``, ports 16xxx, its own secrets file), so they
run beside the other integration tests; real seats (sipp phones) and callers (Local channels
originated into ``acd-queue``)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from centralino.core.ami import AmiClient
from centralino.core.sandbox import process as sandbox
from centralino.core.sandbox.tools import tools_ami_client
from config.secrets import Secrets
from config.settings import Settings

from ..conftest import TEST_MENU, EngineRunner
from ..own_instance import *  # noqa: F403  (the instance's fixtures, used by name)
from ..own_instance import write_instance_config
from ..sipp_caller import free_udp_port
from . import sipp_seat
from .helpers import running

ACD_SETTINGS = "acd: {ring_timeout: 3, wrapup_seconds: 2, max_wait_seconds: 20}\n"


@pytest.fixture(scope="session")
def itest_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_instance_config(tmp_path_factory.mktemp("acdtest"), "acdtest", 16, TEST_MENU,
                                 ACD_SETTINGS)


class AmiWatch:
    """The tests' own AMI session: places callers, hangs up, and keeps every event it sees.

    With ``ACD_RECORD_EVENTS=DIR`` each test's events are also written to ``DIR/<test>.txt``
    as AMI text: that is where ``tests/unit/acd/acd_events/`` comes from.
    """

    def __init__(self, client: AmiClient) -> None:
        self.client = client
        self.events: list[dict[str, Any]] = []
        client.on_event("*", lambda event: self.events.append(dict(event)))

    def save(self, path: Path) -> None:
        blocks = ["".join(f"{key}: {value}\n" for key, value in event.items()
                          if key != "content") for event in self.events]
        path.write_text("\n".join(blocks), encoding="utf-8")

    def of(self, name: str, **fields: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("Event") == name
                and all(e.get(k) == v for k, v in fields.items())]

    async def call_queue(self, caller: str, seconds: int = 120) -> None:
        """A caller (a Local channel) dials into ``acd-queue`` and stays up to ``seconds``."""
        response = await self.client.send_action({
            "Action": "Originate", "Channel": "Local/s@acd-queue", "Application": "Wait",
            "Data": str(seconds), "CallerID": f"<{caller}>", "Async": "true"}, as_list=False)
        assert response.get("Response") == "Success", response

    async def hang_up(self, channel: str) -> None:
        await self.client.send_action({"Action": "Hangup", "Channel": channel}, as_list=False)

    async def command(self, cli: str) -> str:
        return await self.client.command(cli)


@pytest.fixture(scope="session")
async def ami(settings: Settings, asterisk: sandbox.SandboxStatus, secrets: Secrets
              ) -> AsyncIterator[AmiWatch]:
    client = tools_ami_client(settings, secrets)  # it runs CLI commands: not the engine's user
    await client.start()
    await client.wait_fully_booted(30)
    yield AmiWatch(client)
    await client.close()


@pytest.fixture(autouse=True)
async def clean_queue(ami: AmiWatch, settings: Settings, secrets: Secrets,
                      request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every test starts and ends with nobody logged in, no caller, no phone registered
    (members and contacts live in the astdb, across sandbox restarts)."""
    await _clean(ami, settings, secrets)
    yield
    record_dir = os.environ.get("ACD_RECORD_EVENTS")
    if record_dir:
        ami.save(Path(record_dir) / f"{request.node.name}.txt")
    await _clean(ami, settings, secrets)


async def _clean(ami: AmiWatch, settings: Settings, secrets: Secrets) -> None:
    await ami.command("channel request hangup all")
    for seat in settings.seats.names:
        await ami.client.send_action({"Action": "QueueRemove", "Queue": settings.acd.queue,
                                      "Interface": f"PJSIP/{seat}"})
        result = await sipp_seat.register(settings, seat, secrets.seat_passwords[seat],
                                          free_udp_port(), expires=0)
        assert result.succeeded, result.output
    await asyncio.sleep(0.2)
    ami.events.clear()


@pytest.fixture
async def engine(settings: Settings, asterisk: sandbox.SandboxStatus, ami: AmiWatch
                 ) -> AsyncIterator[EngineRunner]:
    """The engine, running against the ACD sandbox, healthy before the test starts."""
    async with running(EngineRunner(settings)) as runner:
        yield runner
