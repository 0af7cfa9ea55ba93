"""The voicemail tests' own sandbox (instance ``vmtest``, ports 19xxx, its own secrets file,
database and recordings directory): real SIP callers (sipp) who speak (espeak-ng audio)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from centralino.core.sandbox import process as sandbox
from config.settings import Settings

from ..acd.helpers import running
from ..conftest import EngineRunner
from ..own_instance import *  # noqa: F403  (the instance's fixtures, used by name)
from ..own_instance import secrets_from, write_instance_config

VOICEMAIL_MENU = Path(__file__).with_name("menu.yaml")


@pytest.fixture(scope="session")
def itest_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_instance_config(tmp_path_factory.mktemp("vmtest"), "vmtest", 19,
                                 VOICEMAIL_MENU, recordings="web_format: mp3")


@pytest.fixture(scope="module")
async def engine(settings: Settings, asterisk: sandbox.SandboxStatus,
                 instance_secrets_file: Path) -> AsyncIterator[EngineRunner]:
    """The engine of the module's tests, in the test loop, healthy before the first test."""
    with secrets_from(instance_secrets_file):
        runner = EngineRunner(settings)
    async with running(runner):
        yield runner
