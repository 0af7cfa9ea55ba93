"""One sandbox Asterisk per test session, and the engine running against it in the test loop."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from centralino.app.domains import PLUGINS
from centralino.app.engine import Engine
from centralino.core.domain import Plugin
from centralino.core.sandbox import process as sandbox
from config.loader import load_settings
from config.secrets import load_secrets
from config.settings import Settings

from .own_instance import write_instance_config

pytestmark = pytest.mark.integration

TEST_MENU = Path(__file__).with_name("menus") / "test_menu.yaml"
# A Wednesday morning in Rome: the test menu's center is open (tests move the clock).
OPEN_TIME = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Rome"))


class TestClock:
    """The engine's clock for office hours; tests set ``now``."""

    def __init__(self) -> None:
        self.now = OPEN_TIME

    def __call__(self) -> datetime:
        return self.now


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def itest_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config file for the test sandbox: its own ports and database, so a running product
    instance on the default ports is not disturbed."""
    base = tmp_path_factory.mktemp("itest")
    os.environ["CENTRALINO_SECRETS_FILE"] = str(base / "secrets.yaml")
    return write_instance_config(base, "itest", 15, TEST_MENU)


@pytest.fixture(scope="session")
def settings(itest_config: Path) -> Settings:
    return load_settings(itest_config)


@pytest.fixture(scope="session")
def asterisk(settings: Settings) -> Iterator[sandbox.SandboxStatus]:
    status = sandbox.up(settings)
    yield status
    sandbox.down(settings)


@pytest.fixture(scope="module")
async def engine(settings: Settings, asterisk: sandbox.SandboxStatus
                 ) -> AsyncIterator[EngineRunner]:
    """The engine of the module's tests, healthy before the first test runs."""
    running = EngineRunner(settings)
    await running.start()
    await running.wait_healthy()
    yield running
    await running.stop()


class EngineRunner:
    """An Engine in the current loop, started and stopped on demand."""

    def __init__(self, settings: Settings, plugins: Sequence[Plugin] = PLUGINS) -> None:
        self.settings = settings
        self.clock = TestClock()
        self.engine = Engine(settings, load_secrets(settings.seats.names), clock=self.clock,
                             plugins=plugins)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def sessions(self):
        return self.engine.sessions

    async def start(self) -> None:
        self._task = asyncio.create_task(self.engine.run(self._stop))
        await asyncio.sleep(0)

    async def stop(self) -> None:
        self._stop.set()
        if self._task:
            await asyncio.wait_for(self._task, 30)

    async def health(self) -> httpx.Response:
        web = self.settings.web
        async with httpx.AsyncClient(timeout=5) as client:
            return await client.get(f"http://{web.host}:{web.port}/health")

    async def wait_healthy(self, timeout: float = 30.0) -> dict:
        return await wait_until(self.health, lambda r: r.status_code == 200, timeout)


async def wait_until(probe: Callable, ready: Callable, timeout: float, interval: float = 0.2):
    """Call ``probe`` until ``ready(result)``; fail with the last result after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    result = None
    while loop.time() < deadline:
        try:
            result = await probe()
            if ready(result):
                return result
        except (httpx.HTTPError, OSError) as exc:
            result = exc
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last: {result!r}")
