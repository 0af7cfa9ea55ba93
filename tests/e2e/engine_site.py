"""The whole engine for browser tests: instance ``e2etest`` (web 17190, AMI 17138, ARI 17188,
SIP 17160) on a database and secrets file of the test's own, and the users who sign in."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from playwright.async_api import Page

from centralino.app.engine import Engine
from centralino.core.auth.models import Role
from centralino.core.auth.service import add_user
from config.loader import load_settings
from config.secrets import load_secrets
from config.settings import Settings

from ..integration.own_instance import write_instance_config

BASE = "http://127.0.0.1:17190"
USERS = {"anna": Role.OPERATOR, "sara": Role.SUPERVISOR}


def e2e_settings(directory: Path, menu: Path, extra: str = "") -> Settings:
    """Settings of the ``e2etest`` instance (ports 17xxx), with its database in ``directory``."""
    return load_settings(write_instance_config(directory, "e2etest", 17, menu, extra))


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
