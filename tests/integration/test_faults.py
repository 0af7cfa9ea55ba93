"""Asterisk going away: the engine keeps retrying, /health says what is down, calls resume."""

from __future__ import annotations

import asyncio

from centralino.core.sandbox import process as sandbox
from config.settings import Settings

from .conftest import EngineRunner, wait_until
from .sipp_caller import HANG_UP, Pause, place_call


def other_engine_settings(settings: Settings) -> Settings:
    """Same Asterisk and database, its own web port and Stasis app (apps cannot be shared)."""
    data = settings.model_dump(mode="json")
    data["web"]["port"] = settings.web.port + 1
    data["asterisk"]["ari"]["app"] = "centralino-second"
    return type(settings).model_validate(data)


async def test_engine_rides_out_an_asterisk_restart_and_one_started_while_it_was_down(
    engine: EngineRunner, settings: Settings
) -> None:
    first = engine
    await first.wait_healthy()

    await asyncio.to_thread(sandbox.down, settings)
    body = (await wait_until(first.health, lambda r: r.status_code == 503
                             and {"ami", "ari"} <= set(r.json()["down"]), timeout=20)).json()
    assert body["status"] == "degraded"
    assert body["database"]["up"] is True
    assert body["ari"]["detail"]

    second = EngineRunner(other_engine_settings(settings))
    await second.start()
    try:
        late = await wait_until(second.health, lambda r: r.status_code == 503, timeout=20)
        assert {"ami", "ari"} <= set(late.json()["down"])

        await asyncio.to_thread(sandbox.up, settings)
        await first.wait_healthy(timeout=30)
        await second.wait_healthy(timeout=30)
    finally:
        await second.stop()

    result = await place_call(settings, [Pause(300)], HANG_UP, caller="3332220001")
    assert result.succeeded, result.output

