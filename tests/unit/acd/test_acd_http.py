"""``GET /api/seats`` answers the engine's picture, as ``seats status --json`` prints it."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from acd.ami_events import Member, parse_event
from acd.http import seats_router
from acd.queue_status import QueueSnapshot
from acd.state import AcdPicture
from centralino.core.bus import EventBus
from config.settings import AcdSettings
from tests.unit.acd.acd_replay import Clock, Timers, recorded


async def test_get_seats_lists_every_seat_with_its_operator_state_and_since() -> None:
    members = [m for m in map(parse_event, recorded("queue_status_paused.txt"))
               if isinstance(m, Member)]
    picture = AcdPicture(AcdSettings(), ["seat1", "seat2"], EventBus(),
                         clock=Clock(datetime(2026, 11, 25, 5, 0, tzinfo=UTC)), timer=Timers())
    picture.resync(QueueSnapshot(members, [], frozenset({"seat1"})))
    app = FastAPI()
    app.include_router(seats_router(picture))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        response = await client.get("/api/seats")
    assert response.status_code == 200
    assert response.json() == [
        {"name": "seat1", "interface": "PJSIP/seat1", "registered": True, "operator": "alice",
         "state": "paused", "reason": "break", "since": "2026-11-25T04:40:07+00:00"},
        {"name": "seat2", "interface": "PJSIP/seat2", "registered": False, "operator": None,
         "state": "logged_out", "reason": None, "since": None},
    ]
