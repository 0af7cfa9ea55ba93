"""DTMF -> next-prompt latency, on Asterisk's own clock, from an ARI app that sees every channel.

The observer is a second ARI application (not the engine's) connected with
``subscribeAll=true``. For each ``ChannelDtmfReceived`` it waits for the start of the prompt that
answers that key on the same channel: ``PlaybackStarted`` when the engine plays it (ARI),
``ChannelDialplan`` with ``BackGround``/``Playback`` when the dialplan does. Both times are the
events' ``timestamp`` fields, set by Asterisk when it publishes the event (millisecond
resolution), so neither the observer's nor the engine's lag skews the pairing. The observer asks
Asterisk for those event types only (its application's event filter): the other events of every
channel would cost Asterisk, on both paths, CPU that production does not spend.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import aiohttp

from centralino.core.ari import basic_auth_header
from config.settings import Settings

APP = "bench-observer"
_PROMPT_APPS = frozenset({"background", "playback"})
_WANTED = ("ChannelDtmfReceived", "PlaybackStarted", "ChannelDialplan", "ChannelDestroyed")
_SEPARATORS = re.compile(r"[,&:]")


class Feeder(Protocol):
    """What :func:`observe` hands each event's JSON text to."""

    def feed(self, text: str) -> None: ...


def _time(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z")


@dataclass
class LatencyObserver:
    """Pairs each key with the prompt it leads to.

    ``next_prompt`` maps a key to the first sound of the prompt that key leads to (the
    benchmark's keys are distinct per level, so the key alone says which prompt answers it).
    """

    next_prompt: Mapping[str, str]
    latencies_ms: list[float] = field(default_factory=list)
    answered_keys: Counter[str] = field(default_factory=Counter)  # channel -> keys answered
    destroyed: int = 0
    events: int = 0
    unexpected_keys: int = 0
    _pending: dict[str, tuple[str, datetime]] = field(default_factory=dict)

    def calls_through_menu(self, keys: int) -> int:
        """Channels on which every one of ``keys`` keys was answered by its prompt."""
        return sum(1 for count in self.answered_keys.values() if count >= keys)

    def feed(self, text: str) -> None:
        self.events += 1
        event = json.loads(text)
        kind = event.get("type")
        if kind == "ChannelDtmfReceived":
            sound = self.next_prompt.get(event["digit"])
            if sound is None:
                self.unexpected_keys += 1
            else:
                self._pending[event["channel"]["id"]] = (sound, _time(event["timestamp"]))
        elif kind == "PlaybackStarted":
            target = event["playback"].get("target_uri", "")
            if target.startswith("channel:"):
                self._prompt(target.removeprefix("channel:"), event["playback"]["media_uri"],
                             event["timestamp"])
        elif kind == "ChannelDialplan":
            if event.get("dialplan_app", "").lower() in _PROMPT_APPS:
                self._prompt(event["channel"]["id"], event.get("dialplan_app_data", ""),
                             event["timestamp"])
        elif kind == "ChannelDestroyed":
            self.destroyed += 1
            self._pending.pop(event["channel"]["id"], None)

    def _prompt(self, channel: str, media: str, stamp: str) -> None:
        pending = self._pending.get(channel)
        if pending is None or pending[0] not in _SEPARATORS.split(media):
            return
        del self._pending[channel]
        self.latencies_ms.append((_time(stamp) - pending[1]).total_seconds() * 1000)
        self.answered_keys[channel] += 1


@dataclass
class Connection:
    """How the observer's WebSocket ended: ``dropped`` if Asterisk closed it during the run."""

    dropped: bool = False


@contextlib.asynccontextmanager
async def observe(settings: Settings, password: str, observer: Feeder,
                  wanted: Sequence[str] = _WANTED) -> AsyncIterator[Connection]:
    """Feed ``observer`` every event of the ``wanted`` types Asterisk publishes, while the
    context is open."""
    ari = settings.asterisk.ari
    url = f"ws://{settings.asterisk.host}:{ari.port}/ari/events"
    connection = Connection()
    async with aiohttp.ClientSession(headers=basic_auth_header(ari.username, password)) as http, \
            http.ws_connect(url, params={"app": APP, "subscribeAll": "true"},
                            heartbeat=20, max_msg_size=0) as ws:
        allowed = {"allowed": [{"type": kind} for kind in wanted]}
        async with http.put(f"http://{settings.asterisk.host}:{ari.port}/ari/applications/"
                            f"{APP}/eventFilter", json=allowed) as response:
            response.raise_for_status()

        async def read() -> None:
            async for message in ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    observer.feed(message.data)
            connection.dropped = True

        reader = asyncio.create_task(read(), name="observer")
        try:
            yield connection
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
