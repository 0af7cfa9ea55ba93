"""Playing and downloading recordings on the web: Range requests for HTML5 audio, who may open
what (supervisors all, operators their tickets' only), purged ones gone, every access logged."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest_asyncio
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from centralino.core.db import create_engine, session_factory, upgrade_database
from centralino.core.web import create_web_app
from cti.tickets.models import Ticket
from recordings.access import OWNERSHIP_CHECKS, PLAY_LOG_WINDOW, OwnershipCheck
from recordings.http import recordings_router
from recordings.models import Recording, RecordingAccess, RecordingKind
from tests.unit.cti.site import (
    HTML,
    KEY,
    T0,
    WEB_SETTINGS,
    Sessions,
    Site,
    _healthy,
    add_call,
    make_site,
)

WAV = b"RIFF" + bytes(range(256)) * 4  # 1028 bytes, "the original"
WEB = b"OggS" + bytes(reversed(range(256))) * 2  # 516 bytes, "the web copy"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def with_recordings(site: Site, recordings_dir: Path, clock: Clock,
                    ownership: Sequence[OwnershipCheck] = OWNERSHIP_CHECKS) -> Site:
    """The site's users and console, on a web app with the recordings' routes too."""
    routes = [*site.cti.routers(), recordings_router(site.sessions, recordings_dir, ownership,
                                                     clock)]
    app = create_web_app(_healthy, routes, session_key=KEY, sessions=site.sessions,
                         web=WEB_SETTINGS)
    app.state.recordings_dir = recordings_dir
    return dataclasses.replace(site, app=app)


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[tuple[Site, Clock]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'web.db'}"
    await upgrade_database(url)
    engine = create_engine(url)
    recordings_dir = tmp_path / "recordings"
    recordings_dir.mkdir()
    clock = Clock()
    try:
        yield with_recordings(await make_site(session_factory(engine)), recordings_dir,
                              clock), clock
    finally:
        await engine.dispose()


async def add_conversation(site: Site, linkedid: str, assigned_to: str | None,
                           web: bool = True) -> int:
    """A recorded call whose ticket is assigned to ``assigned_to``; returns the recording id."""
    await add_call(site.sessions, linkedid, "3391234567", T0)
    directory: Path = site.app.state.recordings_dir
    name = f"conversation-{linkedid.replace('.', '-')}"
    (directory / f"{name}.wav").write_bytes(WAV)
    if web:
        (directory / f"{name}.ogg").write_bytes(WEB)
    async with site.sessions() as session, session.begin():
        await session.execute(update(Ticket).where(Ticket.call_linkedid == linkedid)
                              .values(assigned_to=assigned_to))
        recording = Recording(kind=RecordingKind.CONVERSATION.value, asterisk_name=name,
                              call_linkedid=linkedid, path=f"{name}.wav",
                              web_path=f"{name}.ogg" if web else None, duration_seconds=2.0,
                              size_bytes=len(WAV), sha256=hashlib.sha256(WAV).hexdigest(),
                              recorded_at=T0)
        session.add(recording)
    return recording.id


async def accesses(sessions: Sessions) -> list[tuple[int, str, str, str | None]]:
    async with sessions() as session:
        rows = await session.scalars(select(RecordingAccess).order_by(RecordingAccess.id))
        return [(r.recording_id, r.actor, r.action, r.client_address) for r in rows]


async def test_a_player_gets_the_web_copy_in_ranges_and_one_logged_play(
    site: tuple[Site, Clock]
) -> None:
    web, _clock = site
    recording = await add_conversation(web, "1700000000.1", assigned_to="alice")
    async with web.signed_in("alice") as alice:
        whole = await alice.get(f"/recordings/{recording}/audio")
        first = await alice.get(f"/recordings/{recording}/audio",
                                headers={"Range": "bytes=0-99"})
        rest = await alice.get(f"/recordings/{recording}/audio",
                               headers={"Range": "bytes=100-"})
    assert whole.status_code == 200 and whole.content == WEB
    assert whole.headers["content-type"] == "audio/ogg"
    assert whole.headers["accept-ranges"] == "bytes"
    assert first.status_code == 206 and first.content == WEB[:100]
    assert first.headers["content-range"] == f"bytes 0-99/{len(WEB)}"
    assert rest.status_code == 206 and rest.content == WEB[100:]
    assert await accesses(web.sessions) == [(recording, "alice", "play", "127.0.0.1")]


async def test_a_range_past_the_end_is_unsatisfiable(site: tuple[Site, Clock]) -> None:
    web, _clock = site
    recording = await add_conversation(web, "1700000000.2", assigned_to="alice")
    async with web.signed_in("alice") as alice:
        response = await alice.get(f"/recordings/{recording}/audio",
                                   headers={"Range": f"bytes={len(WEB) + 10}-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(WEB)}"


async def test_playing_again_after_the_window_is_logged_again(site: tuple[Site, Clock]) -> None:
    web, clock = site
    recording = await add_conversation(web, "1700000000.3", assigned_to="alice")
    async with web.signed_in("alice") as alice:
        await alice.get(f"/recordings/{recording}/audio")
        clock.now = T0 + PLAY_LOG_WINDOW - timedelta(seconds=1)
        await alice.get(f"/recordings/{recording}/audio")
        clock.now = T0 + PLAY_LOG_WINDOW + timedelta(seconds=1)
        await alice.get(f"/recordings/{recording}/audio")
    assert [row[2] for row in await accesses(web.sessions)] == ["play", "play"]


async def test_a_download_is_the_original_wav_as_an_attachment_and_always_logged(
    site: tuple[Site, Clock]
) -> None:
    web, _clock = site
    recording = await add_conversation(web, "1700000000.4", assigned_to="alice")
    async with web.signed_in("sara") as sara:
        responses = [await sara.get(f"/recordings/{recording}/download") for _ in range(2)]
    for response in responses:
        assert response.status_code == 200 and response.content == WAV
        assert response.headers["content-type"] == "audio/wav"
        assert response.headers["content-disposition"] == (
            'attachment; filename="conversation-1700000000-4.wav"')
    assert await accesses(web.sessions) == [(recording, "sara", "download", "127.0.0.1")] * 2


async def test_without_a_web_copy_the_player_gets_the_wav(site: tuple[Site, Clock]) -> None:
    web, _clock = site
    recording = await add_conversation(web, "1700000000.5", assigned_to="alice", web=False)
    async with web.signed_in("alice") as alice:
        response = await alice.get(f"/recordings/{recording}/audio")
    assert response.status_code == 200 and response.content == WAV


async def test_an_operator_opens_only_recordings_of_tickets_assigned_to_them(
    site: tuple[Site, Clock]
) -> None:
    web, _clock = site
    alices = await add_conversation(web, "1700000000.6", assigned_to="alice")
    nobodys = await add_conversation(web, "1700000000.7", assigned_to=None)
    async with web.signed_in("bob") as bob:
        refused = [await bob.get(f"/recordings/{alices}/audio"),
                   await bob.get(f"/recordings/{alices}/download"),
                   await bob.get(f"/recordings/{nobodys}/audio")]
    async with web.signed_in("sara") as sara:
        supervised = await sara.get(f"/recordings/{nobodys}/audio")
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert supervised.status_code == 200
    assert await accesses(web.sessions) == [(nobodys, "sara", "play", "127.0.0.1")]


async def test_another_ownership_check_lets_its_operators_in(site: tuple[Site, Clock]) -> None:
    web, clock = site

    async def works_the_callback(_session: AsyncSession, operator: str,
                                 recording: Recording) -> bool:
        return operator == "bob" and recording.call_linkedid == "1700000000.8"

    web = with_recordings(web, web.app.state.recordings_dir, clock,
                          (*OWNERSHIP_CHECKS, works_the_callback))
    recording = await add_conversation(web, "1700000000.8", assigned_to="alice")
    async with web.signed_in("bob") as bob, web.signed_in("alice") as alice:
        assert (await bob.get(f"/recordings/{recording}/audio")).status_code == 200
        assert (await alice.get(f"/recordings/{recording}/audio")).status_code == 200


async def test_unknown_purged_and_signed_out(site: tuple[Site, Clock]) -> None:
    web, _clock = site
    recording = await add_conversation(web, "1700000000.9", assigned_to="alice")
    async with web.sessions() as session, session.begin():
        await session.execute(update(Recording).where(Recording.id == recording)
                              .values(purged_at=T0))
    async with web.signed_in("alice") as alice:
        assert (await alice.get("/recordings/999/audio")).status_code == 404
        assert (await alice.get(f"/recordings/{recording}/audio")).status_code == 410
        assert (await alice.get(f"/recordings/{recording}/download")).status_code == 410
    async with web.client() as anonymous:
        assert (await anonymous.get(f"/recordings/{recording}/audio")).status_code == 401
    assert await accesses(web.sessions) == []


async def test_the_ticket_view_plays_the_calls_recordings_to_whoever_may_open_them(
    site: tuple[Site, Clock]
) -> None:
    web, _clock = site
    linkedid = "1700000001.1"
    recording = await add_conversation(web, linkedid, assigned_to="alice")
    async with web.sessions() as session:
        code = await session.scalar(select(Ticket.tracking_code)
                                    .where(Ticket.call_linkedid == linkedid))
    async with web.signed_in("alice") as alice, web.signed_in("bob") as bob:
        alices = await alice.get(f"/console?ticket={code}", headers=HTML)
        bobs = await bob.get(f"/console?ticket={code}", headers=HTML)
        async with web.sessions() as session, session.begin():
            await session.execute(update(Recording).where(Recording.id == recording).values(
                transcript={"text": "la frana blocca la strada", "words": []}))
        transcribed = await alice.get(f"/console?ticket={code}", headers=HTML)
        async with web.sessions() as session, session.begin():
            await session.execute(update(Recording).where(Recording.id == recording)
                                  .values(purged_at=T0))
        purged = await alice.get(f"/console?ticket={code}", headers=HTML)
    assert alices.status_code == bobs.status_code == 200
    assert f'<audio controls preload="none" src="/recordings/{recording}/audio">' in alices.text
    assert f'href="/recordings/{recording}/download"' in alices.text
    assert "ticket-recordings" not in bobs.text
    assert "transcript" not in alices.text
    transcript = '<blockquote class="transcript">la frana blocca la strada</blockquote>'
    assert transcript in transcribed.text
    assert "/audio" not in purged.text and "a fine conservazione" in purged.text
