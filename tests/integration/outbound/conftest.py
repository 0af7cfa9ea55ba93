"""The campaign tests' own sandbox (instance ``obtest``, ports 241xx, its own secrets file):
customers are sipp phones behind the trunk (:mod:`.customers`), on its outbound contact; the
engine runs with every plugin, its own dial loop included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update

from centralino.app.domains import PLUGINS
from centralino.core.cli_support import database_sessions
from centralino.core.sandbox import process as sandbox
from config.settings import Settings
from outbound.models import Campaign
from outbound.service import OutboundService

from ..acd.helpers import running
from ..conftest import TEST_MENU, EngineRunner
from ..own_instance import *  # noqa: F403  (the instance's fixtures, used by name)
from ..own_instance import write_instance_config
from ..sipp_caller import free_udp_port

# The tests call a number again within a day (retries, a ladder's next stage).
OUTBOUND_SETTINGS = """\
toll_free: {{outbound_contact: "sip:127.0.0.1:{customers_port}"}}
outbound: {{max_channels: 20, calls_per_second: 20, attempts_per_day: 10, attempts_per_week: 50}}
"""
LIVE_STATES = ("draft", "running", "paused")


@pytest.fixture(scope="session")
def customers_port() -> int:
    """Where the customers' phone listens: the trunk's outbound contact."""
    return free_udp_port()


@pytest.fixture(scope="session")
def itest_config(tmp_path_factory: pytest.TempPathFactory, customers_port: int) -> Path:
    return write_instance_config(tmp_path_factory.mktemp("obtest"), "obtest", 24, TEST_MENU,
                                 OUTBOUND_SETTINGS.format(customers_port=customers_port))


@pytest.fixture(autouse=True)
async def no_campaign_left(settings: Settings) -> AsyncIterator[None]:
    """Every campaign a test leaves is stopped once its engines are gone, so the next test's
    engine dials only its own."""
    yield
    async with database_sessions(settings.database_url) as sessions, sessions() as session:
        await session.execute(update(Campaign).where(Campaign.state.in_(LIVE_STATES))
                              .values(state="stopped"))
        await session.commit()


@pytest.fixture
async def engine(settings: Settings, asterisk: sandbox.SandboxStatus
                 ) -> AsyncIterator[EngineRunner]:
    """The whole engine, healthy: its outbound plugin dials the running campaigns."""
    async with running(EngineRunner(settings)) as runner:
        yield runner


@pytest.fixture
async def bare_engine(settings: Settings, asterisk: sandbox.SandboxStatus
                      ) -> AsyncIterator[EngineRunner]:
    """The engine without its dial loop: the test runs the loops it needs
    (:func:`.dialling.dial_loop`) beside it."""
    without_outbound = [plugin for plugin in PLUGINS if plugin.name != "outbound"]
    async with running(EngineRunner(settings, without_outbound)) as runner:
        yield runner


def outbound(engine: EngineRunner) -> OutboundService:
    """The engine's dial loop."""
    return engine.engine.service(OutboundService)
