"""A real SIP call to the toll-free number: welcome, a ticket, its code read back, stored rows."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from prometheus_client import REGISTRY

from centralino.core.ari_events import KNOWN_TYPES
from config.settings import Settings
from cti.tickets.tracking import is_valid_tracking_code

from .ari_observer import observe_asterisk
from .conftest import EngineRunner
from .sipp_caller import HANG_UP, WAIT_FOR_BYE, Pause, place_call
from .stored import ended_call, tickets_of


async def test_caller_hears_welcome_and_the_tracking_code_of_one_stored_ticket(
    engine: EngineRunner, settings: Settings
) -> None:
    async with observe_asterisk(settings) as asterisk:
        result = await place_call(settings, [], WAIT_FOR_BYE, caller="3331110001")
    assert result.succeeded, result.output

    call = await ended_call(engine, "3331110001")
    assert call.did == settings.toll_free.number
    assert call.disposition == "answered"
    assert call.answered_at is not None and call.started_at <= call.answered_at <= call.ended_at
    assert call.duration_seconds is not None and call.duration_seconds > 2
    tickets = await tickets_of(engine, call.linkedid)
    assert len(tickets) == 1
    code = tickets[0].tracking_code
    assert is_valid_tracking_code(code)
    played = asterisk.media_played()
    assert played[:3] == ["sound:hello", "sound:your", "sound:number"], played
    assert asterisk.times_read_out(code) == 1, played


async def test_caller_who_hangs_up_early_still_has_the_call_and_exactly_one_ticket(
    engine: EngineRunner, settings: Settings
) -> None:
    result = await place_call(settings, [Pause(300)], HANG_UP, caller="3331110002")
    assert result.succeeded, result.output

    call = await ended_call(engine, "3331110002")
    assert call.disposition == "answered"
    assert call.duration_seconds is not None and call.duration_seconds < 3
    assert len(await tickets_of(engine, call.linkedid)) == 1


async def test_calls_and_tickets_are_listed_as_json_by_the_cli(
    engine: EngineRunner, settings: Settings, itest_config: Path
) -> None:
    result = await place_call(settings, [Pause(200)], HANG_UP, caller="3331110003")
    assert result.succeeded, result.output
    call = await ended_call(engine, "3331110003")

    def cli(*args: str) -> list[dict]:
        done = subprocess.run([sys.executable, "-m", "centralino", *args, "--json",
                               "--config", str(itest_config)],
                              capture_output=True, text=True, timeout=60, check=True,
                              env=os.environ)
        return json.loads(done.stdout)

    calls = await asyncio.to_thread(cli, "calls", "list")
    listed = next(c for c in calls if c["linkedid"] == call.linkedid)
    assert listed["caller_id"] == "3331110003"
    assert listed["disposition"] == "answered"
    assert listed["ended_at"].startswith(call.ended_at.date().isoformat())
    tickets = await asyncio.to_thread(cli, "tickets", "list")
    assert next(t for t in tickets if t["call_linkedid"] == call.linkedid)["status"] == "new"


def varsets_received() -> float:
    """The engine's count of ChannelVarset events received (0 before the first)."""
    return REGISTRY.get_sample_value("centralino_ari_events_total",
                                     {"type": "ChannelVarset"}) or 0.0


async def test_asterisk_sends_the_engine_only_the_event_types_it_reads(
    engine: EngineRunner, settings: Settings
) -> None:
    varsets_before = varsets_received()
    async with observe_asterisk(settings) as asterisk:
        result = await place_call(settings, [Pause(1500)], HANG_UP, caller="3331110009")
        assert result.succeeded, result.output
        await ended_call(engine, "3331110009")
    app = await engine.engine.ari.request("GET", f"/applications/{engine.engine.ari.app}")
    assert sorted(item["type"] for item in app["events_allowed"]) == sorted(KNOWN_TYPES)
    # Asterisk did publish channel variables of the call (the observer, unfiltered, saw them),
    # and none of them reached the engine.
    assert asterisk.events_of("ChannelVarset")
    assert varsets_received() == varsets_before
