"""``GET /api/seats`` answers the engine's picture, as ``seats status --json`` prints it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from acd.ami_events import Member, parse_event
from acd.http import seats_router
from acd.queue_status import QueueSnapshot
from acd.state import AcdPicture
from centralino.core.auth.models import Role
from centralino.core.bus import EventBus
from centralino.core.web import create_web_app
from config.settings import AcdSettings
from tests.unit.acd.acd_replay import Clock, Timers, recorded
from tests.unit.cti.site import KEY, WEB_SETTINGS, _healthy, add_users, client_for, sign_in


async def test_get_seats_lists_every_seat_with_its_operator_state_and_since(
    db_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    members = [m for m in map(parse_event, recorded("queue_status_paused.txt"))
               if isinstance(m, Member)]
    picture = AcdPicture(AcdSettings(), ["seat1", "seat2"], EventBus(),
                         clock=Clock(datetime(2026, 11, 25, 5, 0, tzinfo=UTC)), timer=Timers())
    picture.resync(QueueSnapshot(members, [], frozenset({"seat1"})))
    app = create_web_app(_healthy, [seats_router(picture)], session_key=KEY,
                         sessions=db_session_factory, web=WEB_SETTINGS)
    passwords = await add_users(db_session_factory, olga=Role.OPERATOR,
                                carla=Role.CAMPAIGN_MANAGER)
    async with client_for(app) as client:
        assert (await client.get("/api/seats")).status_code == 401
        await sign_in(client, "carla", passwords["carla"])
        assert (await client.get("/api/seats")).status_code == 403  # no seats permission
        await sign_in(client, "olga", passwords["olga"])
        response = await client.get("/api/seats")
    assert response.status_code == 200
    assert response.json() == [
        {"name": "seat1", "interface": "PJSIP/seat1", "registered": True, "operator": "alice",
         "state": "paused", "reason": "break", "since": "2026-11-25T04:40:07+00:00"},
        {"name": "seat2", "interface": "PJSIP/seat2", "registered": False, "operator": None,
         "state": "logged_out", "reason": None, "since": None},
    ]
