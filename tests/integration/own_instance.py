"""A test package's own sandbox instance: its ports, database, recordings and secrets file, so
it runs beside the other integration tests (and a running product) without disturbing them.

A package's conftest writes its config with :func:`write_instance_config` in an ``itest_config``
fixture and imports the fixtures below by name::

    from ..own_instance import _instance_secrets, asterisk, instance_secrets_file, secrets, settings
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from centralino.core.sandbox import process as sandbox
from config.loader import load_settings
from config.secrets import SECRETS_FILE_ENV, Secrets, load_secrets
from config.settings import Settings

INSTANCE_CONFIG = """\
version: 1
database_url: sqlite+aiosqlite:///{base}/{instance}.db
web: {{port: {block}190}}
asterisk:
  ami: {{port: {block}138}}
  ari: {{port: {block}188}}
  sip: {{port: {block}160}}
  reconnect: {{initial_delay: 0.2, max_delay: 1.0}}
sandbox: {{instance: {instance}}}
ivr: {{menu_file: {menu}}}
"""


def write_instance_config(base: Path, instance: str, port_block: int, menu: Path,
                          extra: str = "", recordings: str = "") -> Path:
    """Write ``base/centralino.yaml`` for ``instance`` on ports ``<port_block>1xx`` (web x190,
    AMI x138, ARI x188, SIP x160), its database and recordings under ``base``; ``extra`` adds
    top-level sections, ``recordings`` more keys of the ``recordings`` section."""
    path = base / "centralino.yaml"
    text = INSTANCE_CONFIG.format(base=base, instance=instance, block=port_block, menu=menu)
    text += f"recordings: {{dir: {base / 'recordings'}{', ' + recordings if recordings else ''}}}\n"
    path.write_text(text + extra, encoding="utf-8")
    return path


@contextlib.contextmanager
def secrets_from(path: Path) -> Iterator[None]:
    """Point ``CENTRALINO_SECRETS_FILE`` at ``path`` for a while (the other tests keep theirs)."""
    before = os.environ.get(SECRETS_FILE_ENV)
    os.environ[SECRETS_FILE_ENV] = str(path)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(SECRETS_FILE_ENV, None)
        else:
            os.environ[SECRETS_FILE_ENV] = before


@pytest.fixture(scope="session")
def instance_secrets_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("secrets") / "secrets.yaml"


@pytest.fixture(autouse=True)
def _instance_secrets(instance_secrets_file: Path) -> Iterator[None]:
    with secrets_from(instance_secrets_file):
        yield


@pytest.fixture(scope="session")
def settings(itest_config: Path) -> Settings:
    return load_settings(itest_config)


@pytest.fixture(scope="session")
def secrets(settings: Settings, instance_secrets_file: Path) -> Secrets:
    with secrets_from(instance_secrets_file):
        return load_secrets(settings.seats.names)


@pytest.fixture(scope="session")
def asterisk(settings: Settings, instance_secrets_file: Path, secrets: Secrets
             ) -> Iterator[sandbox.SandboxStatus]:
    with secrets_from(instance_secrets_file):
        status = sandbox.up(settings)
    yield status
    sandbox.down(settings)

__all__ = ["_instance_secrets", "asterisk", "instance_secrets_file", "secrets", "settings"]
