"""The campaign tests' own sandbox (instance ``obtest``, ports 241xx, its own secrets file):
customers are sipp phones behind the trunk (:mod:`.customers`), on its outbound contact."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from centralino.app.domains import PLUGINS
from centralino.core.sandbox import process as sandbox
from config.settings import Settings

from ..acd.helpers import running
from ..conftest import TEST_MENU, EngineRunner
from ..own_instance import *  # noqa: F403  (the instance's fixtures, used by name)
from ..own_instance import write_instance_config
from ..sipp_caller import free_udp_port

OUTBOUND_SETTINGS = """\
toll_free: {{outbound_contact: "sip:127.0.0.1:{customers_port}"}}
outbound: {{max_channels: 20, calls_per_second: 20}}
"""


@pytest.fixture(scope="session")
def customers_port() -> int:
    """Where the customers' phone listens: the trunk's outbound contact."""
    return free_udp_port()


@pytest.fixture(scope="session")
def itest_config(tmp_path_factory: pytest.TempPathFactory, customers_port: int) -> Path:
    return write_instance_config(tmp_path_factory.mktemp("obtest"), "obtest", 24, TEST_MENU,
                                 OUTBOUND_SETTINGS.format(customers_port=customers_port))


@pytest.fixture
async def engine(settings: Settings, asterisk: sandbox.SandboxStatus
                 ) -> AsyncIterator[EngineRunner]:
    """The engine without its own dial loop: the tests run the loops they need
    (:mod:`.dialling`) beside it."""
    without_outbound = [plugin for plugin in PLUGINS if plugin.name != "outbound"]
    async with running(EngineRunner(settings, without_outbound)) as runner:
        yield runner
