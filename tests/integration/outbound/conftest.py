"""The campaign tests' own sandbox (instance ``obtest``, ports 241xx, its own secrets file):
customers are sipp phones behind the trunk (:mod:`.customers`), on its outbound contact."""

from __future__ import annotations

from pathlib import Path

import pytest

# The ACD tests' AMI session and engine, on this sandbox.
from ..acd.conftest import ami, engine  # noqa: F401
from ..conftest import TEST_MENU
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
