"""The callback tests' own sandbox (instance ``cbtest``, ports 201xx, its own secrets file):
real seats (sipp phones that register and answer) and a real caller's phone, the sipp UAS the
toll-free trunk dials out to (``toll_free.outbound_contact``)."""

from __future__ import annotations

from pathlib import Path

import pytest

# The ACD tests' AMI session, clean slate per test (autouse) and engine, on this sandbox.
from ..acd.conftest import ami, clean_queue, engine  # noqa: F401
from ..conftest import TEST_MENU
from ..own_instance import *  # noqa: F403  (the instance's fixtures, used by name)
from ..own_instance import write_instance_config
from ..sipp_caller import free_udp_port

CALLBACK_SETTINGS = """\
toll_free: {{outbound_contact: "sip:127.0.0.1:{caller_port}"}}
acd: {{ring_timeout: 3, wrapup_seconds: 1, max_wait_seconds: 20}}
callbacks: {{max_attempts: 2, retry_spacing_minutes: 30, ring_seat_seconds: 10,
             dial_caller_seconds: 4}}
"""


@pytest.fixture(scope="session")
def caller_port() -> int:
    """Where the caller's phone listens: the trunk's outbound contact."""
    return free_udp_port()


@pytest.fixture(scope="session")
def itest_config(tmp_path_factory: pytest.TempPathFactory, caller_port: int) -> Path:
    return write_instance_config(tmp_path_factory.mktemp("cbtest"), "cbtest", 20, TEST_MENU,
                                 CALLBACK_SETTINGS.format(caller_port=caller_port))
