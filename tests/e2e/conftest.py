"""Debian's Chromium, headless, driven by Playwright: one browser per test session.

Never ``playwright install``: the browser is the system's ``/usr/bin/chromium`` (the Makefile's
APT_PACKAGES), started with a fresh temporary profile (Playwright's ``launch``); each test opens
its own contexts (no shared cookies). Screenshots go to ``tests/artifacts/`` (not committed).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright

from ..integration.own_instance import secrets_from
from .engine_site import RunningEngine, e2e_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ARTIFACTS = Path(__file__).parents[1] / "artifacts"
MENU = Path(__file__).parents[2] / "config/menus/tollfree.yaml"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest_asyncio.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make setup` installs Debian's chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                   headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest_asyncio.fixture
async def running(tmp_path: Path) -> AsyncIterator[RunningEngine]:
    """The whole engine on the shipped menu (instance ``e2etest``), its web app answering."""
    with secrets_from(tmp_path / "secrets.yaml"):
        running = RunningEngine(e2e_settings(tmp_path, MENU))
        try:
            await running.wait_for_web()  # 503 without Asterisk: answering is enough
            yield running
        finally:
            if not running.task.done():
                await running.stop()
