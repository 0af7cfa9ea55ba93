"""The whole engine for browser tests: instance ``e2etest`` (web 17190, AMI 17138, ARI 17188,
SIP 17160) on a database and secrets file of the test's own, and the users who sign in."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
from playwright.async_api import Page

from centralino.auth.models import Role
from centralino.auth.service import add_user
from centralino.engine import Engine
from config.loader import load_settings
from config.secrets import SECRETS_FILE_ENV, load_secrets
from config.settings import Settings

E2E_CONFIG = """\
version: 1
database_url: sqlite+aiosqlite:///{db}
web: {{port: 17190}}
asterisk:
  ami: {{port: 17138}}
  ari: {{port: 17188}}
  sip: {{port: 17160}}
  reconnect: {{initial_delay: 0.2, max_delay: 2}}
sandbox: {{instance: e2etest}}
ivr: {{menu_file: {menu}}}
"""
BASE = "http://127.0.0.1:17190"
USERS = {"anna": Role.OPERATOR, "sara": Role.SUPERVISOR}


def e2e_settings(directory: Path, menu: Path, extra: str = "") -> Settings:
    """Settings of the ``e2etest`` instance, with its database in ``directory``."""
    config = directory / "centralino.yaml"
    config.write_text(E2E_CONFIG.format(db=directory / "e2e.db", menu=menu) + extra,
                      encoding="utf-8")
    return load_settings(config)


@contextlib.contextmanager
def secrets_from(path: Path) -> Iterator[None]:
    """``CENTRALINO_SECRETS_FILE`` is ``path`` for a while."""
    before = os.environ.get(SECRETS_FILE_ENV)
    os.environ[SECRETS_FILE_ENV] = str(path)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(SECRETS_FILE_ENV, None)
        else:
            os.environ[SECRETS_FILE_ENV] = before


class RunningEngine:
    """An :class:`Engine` running in the test's loop, until :meth:`stop`."""

    def __init__(self, settings: Settings,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine = Engine(settings, load_secrets(settings.seats.names), clock=clock)
        self._stop = asyncio.Event()
        self.task = asyncio.create_task(self.engine.run(self._stop))

    async def wait_for_web(self, healthy: bool = False, timeout: float = 60) -> None:
        """Until the web app answers (``healthy``: with 200, AMI and ARI up)."""
        deadline = time.monotonic() + timeout
        last: object = None
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline:
                if self.task.done():
                    self.task.result()  # the engine failed to start: its error
                try:
                    last = await client.get(f"{BASE}/health")
                    if not healthy or last.status_code == 200:
                        return
                except httpx.TransportError as exc:
                    last = exc
                await asyncio.sleep(0.2)
        raise AssertionError(f"the engine on {BASE} not ready within {timeout} s: {last!r}")

    async def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        await asyncio.wait_for(self.task, timeout)

    async def add_users(self) -> dict[str, str]:
        """The users of :data:`USERS`; name → password."""
        async with self.engine.sessions() as session:
            return {name: (await add_user(session, name, role))[1]
                    for name, role in USERS.items()}


async def sign_in(page: Page, name: str, password: str) -> None:
    await page.goto(f"{BASE}/login")
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
