"""A real call to a real operator, in a browser: the sandbox Asterisk (instance ``e2etest``),
a seat phone (sipp) registered as seat1, the operator logging in to it from the console, a SIP
caller going through the IVR into the queue; the seat rings, the pop shows the call's ticket,
the phone answers, and the operator resolves the ticket in the form.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, expect

from centralino.core.sandbox import process as sandbox
from config.secrets import Secrets, load_secrets
from config.settings import Settings
from cti.tickets.store import get_ticket
from cti.tickets.tracking import format_for_display

from ..integration.acd.sipp_seat import seat_phone
from ..integration.conftest import OPEN_TIME, TEST_MENU
from ..integration.own_instance import secrets_from
from ..integration.sipp_caller import HANG_UP, Pause, Press, place_call
from .engine_site import RunningEngine, e2e_settings, sign_in

pytestmark = pytest.mark.integration

ACD = "acd: {ring_timeout: 10, wrapup_seconds: 2, max_wait_seconds: 60}\n"
CALLER = "3331234567"  # sipp's


@pytest.fixture(scope="module")
def secrets_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e-secrets") / "secrets.yaml"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return e2e_settings(tmp_path_factory.mktemp("e2e-sip"), TEST_MENU, ACD)


@pytest.fixture(scope="module")
def secrets(settings: Settings, secrets_file: Path) -> Secrets:
    with secrets_from(secrets_file):
        return load_secrets(settings.seats.names)


@pytest.fixture(scope="module")
def asterisk(settings: Settings, secrets_file: Path, secrets: Secrets
             ) -> Iterator[sandbox.SandboxStatus]:
    with secrets_from(secrets_file):
        status = sandbox.up(settings)
    try:
        yield status
    finally:
        sandbox.down(settings)


@pytest_asyncio.fixture
async def running(settings: Settings, secrets_file: Path, asterisk: sandbox.SandboxStatus
                  ) -> AsyncIterator[RunningEngine]:
    with secrets_from(secrets_file):
        running = RunningEngine(settings, clock=lambda: OPEN_TIME)
        try:
            await running.wait_for_web(healthy=True)
            yield running
        finally:
            if not running.task.done():
                await running.stop()


async def test_a_queued_sip_caller_pops_up_and_the_operator_resolves_the_ticket(
    running: RunningEngine, settings: Settings, secrets: Secrets, browser: Browser,
    artifacts: Path,
) -> None:
    engine = running.engine
    passwords = await running.add_users()
    context = await browser.new_context(viewport={"width": 1366, "height": 1000},
                                        locale="it-IT", timezone_id="Europe/Rome")
    page = await context.new_page()
    async with seat_phone(settings, "seat1", secrets.seat_passwords["seat1"]):
        await sign_in(page, "anna", passwords["anna"])
        await expect(page.locator("#link-state")).to_have_text("Collegato")
        await page.get_by_label("Scegli la postazione").select_option("seat1")
        await page.get_by_role("button", name="Entra in servizio").click()
        await expect(page.locator(".flash")).to_have_text("In servizio (seat1).")
        try:
            # The welcome says the tracking code; "2" in the main menu is the queue.
            caller = asyncio.create_task(place_call(
                settings, [Pause(1000), Press("2"), Pause(12000)], HANG_UP, timeout=40))

            await expect(page.locator("#pop-caller")).to_have_text(CALLER, timeout=20000)
            await expect(page.locator("#pop-keys kbd")).to_have_text(["2"])
            await expect(page.locator("#pop")).to_contain_text("Seismic risk")
            await expect(page.locator("#pop-state")).to_have_text("In conversazione",
                                                                  timeout=10000)
            await expect(page.locator("#ticket-status")).to_have_text("Assegnata")
            code = "".join((await page.locator("#pop-ticket").inner_text()).split())

            await page.get_by_label("Classificazione").select_option("seismic.event")
            await page.get_by_label("Soluzione").fill("Informazioni sull'evento date.")
            await page.screenshot(path=artifacts / "console_sip_call.png", full_page=True)
            await page.get_by_role("button", name="Salva e risolvi").click()
            await expect(page.locator(".flash")).to_contain_text(
                f"Pratica {format_for_display(code)}: classificata, risolta.")
            assert (await caller).succeeded, "the caller's sipp failed"
            await page.get_by_role("button", name="Esci dal servizio").click()
            await expect(page.locator(".flash")).to_have_text("Fuori servizio (seat1).")
        finally:  # members outlive the engine (persistentmembers): leave none behind
            await engine.ami.send_action({"Action": "QueueRemove", "Queue": "operators",
                                          "Interface": "PJSIP/seat1"})
            await context.close()

    async with engine.sessions() as session:
        ticket = await get_ticket(session, code)
    assert ticket is not None and ticket.call is not None
    assert ticket.call.caller_id == CALLER
    assert (ticket.status, ticket.assigned_to, ticket.classification, ticket.ivr_outcome) == (
        "resolved", "anna", "seismic.event", "queued")
