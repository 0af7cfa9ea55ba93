"""Watch everything Asterisk does, through a second ARI application subscribed to all events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from centralino.core.ari import basic_auth_header
from config.secrets import load_secrets
from config.settings import Settings


class AriObserver:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def media_played(self) -> list[str]:
        return [e["playback"]["media_uri"] for e in self.events if e["type"] == "PlaybackStarted"]

    def times_read_out(self, digits: str) -> int:
        """How often ``digits`` were read out, one ``sound:digits/N`` after another."""
        played = self.media_played()
        sequence = [f"sound:digits/{d}" for d in digits]
        return sum(played[i:i + len(sequence)] == sequence for i in range(len(played)))

    def events_of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    def playback_states(self, media_uri: str) -> list[str]:
        """How each playback of ``media_uri`` finished (``done``, ``failed``, ...)."""
        return [e["playback"]["state"] for e in self.events_of("PlaybackFinished")
                if e["playback"]["media_uri"] == media_uri]


@contextlib.asynccontextmanager
async def observe_asterisk(settings: Settings) -> AsyncIterator[AriObserver]:
    password = load_secrets(settings.seats.names).ari_password
    auth = basic_auth_header(settings.asterisk.ari.username, password)
    url = f"ws://{settings.asterisk.host}:{settings.asterisk.ari.port}/ari/events"
    observer = AriObserver()
    async with aiohttp.ClientSession(headers=auth) as http, http.ws_connect(
        url, params={"app": "test-observer", "subscribeAll": "true"}
    ) as ws:

        async def collect() -> None:
            async for message in ws:
                observer.events.append(message.json())

        task = asyncio.create_task(collect())
        try:
            yield observer
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
