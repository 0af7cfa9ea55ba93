"""Reloading the menu file while callers are in it: `centralino reload` and the web API."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from config.loader import load_settings
from config.secrets import load_secrets
from config.settings import Settings
from ivr.plan import MenuPlans

from .ari_observer import observe_asterisk
from .conftest import TEST_MENU, EngineRunner, wait_until
from .sipp_caller import WAIT_FOR_BYE, Pause, Press, place_call
from .stored import ticket_of_call_from

INFO_OPTION = ('"4": {action: play_and_hangup, classification: info, '
               'prompt: [{sound: auth-thankyou}]}')
HANGUP_OPTION = '"4": {action: hangup, prompt: [{sound: vm-goodbye}]}'


@pytest.fixture(scope="module")
def menu_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reload") / "menu.yaml"
    path.write_text(TEST_MENU.read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reload_config(itest_config: Path, menu_copy: Path) -> Path:
    """The integration settings, with the menu file this module rewrites."""
    path = menu_copy.with_name("centralino.yaml")
    text = itest_config.read_text(encoding="utf-8").replace(str(TEST_MENU), str(menu_copy))
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
async def engine(reload_config: Path, asterisk: object) -> AsyncIterator[EngineRunner]:
    running = EngineRunner(load_settings(reload_config))
    await running.start()
    await running.wait_healthy()
    yield running
    await running.stop()


def reload_cli(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "centralino", "reload", "--config", str(config)],
                          capture_output=True, text=True, timeout=60, env=os.environ, check=False)


async def test_a_call_in_progress_keeps_its_menu_and_new_calls_get_the_reloaded_one(
        engine: EngineRunner, menu_copy: Path, reload_config: Path) -> None:
    settings: Settings = engine.settings
    async with observe_asterisk(settings) as asterisk:
        early = asyncio.create_task(place_call(settings, [Pause(5000), Press("4")],
                                               WAIT_FOR_BYE, caller="3336660001"))
        await wait_until(lambda: asyncio.sleep(0, asterisk.media_played()),
                         lambda played: "sound:hello" in played, timeout=15)
        menu_copy.write_text(menu_copy.read_text(encoding="utf-8").replace(
            INFO_OPTION, HANGUP_OPTION), encoding="utf-8")
        done = await asyncio.to_thread(reload_cli, reload_config)
        assert done.returncode == 0, done.stderr
        assert "menu reloaded" in done.stdout
        assert (await early).succeeded
    late = await place_call(settings, [Pause(500), Press("4")], WAIT_FOR_BYE,
                            caller="3336660002")
    assert late.succeeded, late.output

    assert (await ticket_of_call_from(engine, "3336660001")).ivr_outcome == "info_message"
    assert (await ticket_of_call_from(engine, "3336660002")).ivr_outcome == "hangup_in_menu"


async def test_a_menu_file_with_errors_is_refused_and_the_old_menu_stays(
        engine: EngineRunner, menu_copy: Path, reload_config: Path) -> None:
    good = menu_copy.read_text(encoding="utf-8")
    in_force = engine.engine.service(MenuPlans).current
    menu_copy.write_text(good.replace("target: seismic}", "target: seismc}"), encoding="utf-8")
    try:
        web = engine.settings.web
        async with httpx.AsyncClient(timeout=30) as client:
            token = load_secrets(engine.settings.seats.names).control_token
            answer = await client.post(  # as `centralino reload` does: the control token
                f"http://{web.host}:{web.port}/api/ivr/reload",
                headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 422
        assert answer.json()["reloaded"] is False
        assert any("seismc" in error and "seismic" in error for error in answer.json()["errors"])
        done = await asyncio.to_thread(reload_cli, reload_config)
        assert done.returncode == 2 and "seismc" in done.stderr
    finally:
        menu_copy.write_text(good, encoding="utf-8")

    call = await place_call(engine.settings, [Pause(500), Press("4")], WAIT_FOR_BYE,
                            caller="3336660003")
    assert call.succeeded, call.output
    assert engine.engine.service(MenuPlans).current is in_force
    expected = "hangup_in_menu" if HANGUP_OPTION in good else "info_message"
    assert (await ticket_of_call_from(engine, "3336660003")).ivr_outcome == expected
