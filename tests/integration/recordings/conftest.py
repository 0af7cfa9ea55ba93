"""The recording tests' own sandbox (instance ``rectest``, ports 22xxx): the ACD tests'
fixtures (``tests/integration/acd/conftest.py``), on settings that record the queue's calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..acd.conftest import ami, clean_queue, engine  # noqa: F401  (fixtures, used by name)
from ..conftest import TEST_MENU
from ..own_instance import *  # noqa: F403  (the instance's fixtures, used by name)
from ..own_instance import write_instance_config

RECORDING_SETTINGS = ("acd: {ring_timeout: 3, wrapup_seconds: 1, max_wait_seconds: 20, "
                      "record_calls: true}\n")


@pytest.fixture(scope="session")
def itest_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_instance_config(tmp_path_factory.mktemp("rectest"), "rectest", 22, TEST_MENU,
                                 RECORDING_SETTINGS)
