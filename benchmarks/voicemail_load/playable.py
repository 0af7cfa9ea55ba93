"""When each caller's message became playable in the console: its ``recordings`` row has a web
copy (``web_path``) and ``GET /recordings/{id}/audio``, as a signed-in supervisor, answers 200.

The watcher polls the engine's database every :data:`POLL_SECONDS` and asks for the audio of
each new row as the console's player does; a message's time is the benchmark's clock
(``time.time()``) when the 200 came back, so it is late by up to one poll.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
from sqlalchemy import select

from benchmarks.acd_load.consoles import sign_in
from centralino.core.db import create_engine, session_factory
from recordings.models import Recording, RecordingKind

POLL_SECONDS = 0.1


@dataclass
class Messages:
    """What the watcher saw, by caller number: Unix times and the answers that were not 200."""

    stored_at: dict[str, float] = field(default_factory=dict)  # the row's ingested_at
    playable_at: dict[str, float] = field(default_factory=dict)  # GET .../audio answered 200
    without_web_copy: set[str] = field(default_factory=set)  # a row, but web_path is NULL
    refused: Counter[int] = field(default_factory=Counter)  # HTTP status → how often
    rows: int = 0  # voicemail rows of these callers (one each, unless stored twice)


async def watch(database_url: str, base: str, user: str, password: str, callers: set[str],
                messages: Messages) -> None:
    """Fill ``messages`` until every one of ``callers`` has a playable message (the caller
    cancels it when it stops waiting)."""
    db = create_engine(database_url)
    sessions = session_factory(db)
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await sign_in(http, base, user, password)
            while messages.playable_at.keys() < callers:
                async with sessions() as session:
                    rows = (await session.execute(
                        select(Recording.id, Recording.caller_id, Recording.web_path,
                               Recording.ingested_at)
                        .where(Recording.kind == RecordingKind.VOICEMAIL.value,
                               Recording.caller_id.in_(callers)))).all()
                messages.rows = len(rows)
                waiting = []
                for row in rows:
                    messages.stored_at.setdefault(row.caller_id, row.ingested_at.timestamp())
                    if row.web_path is None:
                        messages.without_web_copy.add(row.caller_id)
                    elif row.caller_id not in messages.playable_at:
                        waiting.append(_play(http, base, row.id, row.caller_id, messages))
                await asyncio.gather(*waiting)
                await asyncio.sleep(POLL_SECONDS)
    finally:
        await db.dispose()


async def _play(http: aiohttp.ClientSession, base: str, recording_id: int, caller: str,
                messages: Messages) -> None:
    async with http.get(f"{base}/recordings/{recording_id}/audio") as answer:
        if answer.status != 200:
            messages.refused[answer.status] += 1
            return
        at = time.time()
        await answer.read()  # the whole file, as the player would fetch it
    messages.playable_at.setdefault(caller, at)
