"""What the voicemail tests share: calling, the stored messages, what Asterisk still holds."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import aiohttp
from sqlalchemy import select

from centralino.core.ari import basic_auth_header
from config.secrets import load_secrets
from config.settings import Settings
from recordings.models import Recording

from ..ari_observer import AriObserver, observe_asterisk
from ..conftest import EngineRunner, wait_until
from ..sipp_caller import HANG_UP, Step, place_call

DURATION_TOLERANCE = 1.0  # seconds: the caller's audio against the stored file's length


async def call(settings: Settings, caller: str, steps: list[Step],
               end: Literal["wait_for_bye", "hang_up"] = HANG_UP) -> AriObserver:
    """A real SIP call from ``caller`` doing ``steps``; what Asterisk did meanwhile."""
    async with observe_asterisk(settings) as observer:
        result = await place_call(settings, steps, end, caller=caller)
        assert result.succeeded, result.output
    return observer


async def messages_of(engine: EngineRunner, linkedid: str) -> list[Recording]:
    async with engine.sessions() as session:
        result = await session.execute(
            select(Recording).where(Recording.call_linkedid == linkedid))
        return list(result.scalars().all())


async def the_message_of(engine: EngineRunner, linkedid: str) -> Recording:
    """The one stored message of call ``linkedid``, once it is there."""

    async def probe() -> list[Recording]:
        return await messages_of(engine, linkedid)

    found = await wait_until(probe, bool, timeout=20)
    assert len(found) == 1, found
    return found[0]


def stored_file(settings: Settings, relative: str) -> Path:
    return settings.recordings.dir / relative


async def held_by_asterisk(settings: Settings) -> list[str]:
    """The names of the stored recordings Asterisk still holds."""
    asterisk = settings.asterisk
    auth = basic_auth_header(asterisk.ari.username,
                             load_secrets(settings.seats.names).ari_password)
    url = f"http://{asterisk.host}:{asterisk.ari.port}/ari/recordings/stored"
    async with aiohttp.ClientSession(headers=auth) as http, http.get(url) as response:
        assert response.status == 200, await response.text()
        return [item["name"] for item in await response.json()]
