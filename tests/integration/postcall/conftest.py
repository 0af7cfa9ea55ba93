"""The post-call survey tests' own sandbox (instance ``pstest``, ports 251xx, its own secrets
file): the queue sends callers to the shipped ``survey`` script when the operator hangs up;
real seats (sipp phones that register, answer and hang up) and real callers (sipp)."""

from __future__ import annotations

from pathlib import Path

import pytest

# The ACD tests' AMI session, clean slate per test (autouse) and engine, on this sandbox.
from ..acd.conftest import ami, clean_queue, engine  # noqa: F401
from ..conftest import TEST_MENU
from ..own_instance import *  # noqa: F403  (the instance's fixtures, used by name)
from ..own_instance import write_instance_config

POSTCALL_SETTINGS = """\
acd: {ring_timeout: 3, wrapup_seconds: 1, max_wait_seconds: 20, post_call_survey: survey}
"""


@pytest.fixture(scope="session")
def itest_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_instance_config(tmp_path_factory.mktemp("pstest"), "pstest", 25, TEST_MENU,
                                 POSTCALL_SETTINGS)
