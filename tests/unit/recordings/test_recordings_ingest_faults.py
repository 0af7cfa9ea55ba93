"""Recordings that cannot be stored as they are end in a defined state. A disk without space must
not lose one: Asterisk keeps its copy (no DELETE), no row is written, and a later reconciliation
stores it once there is room. A damaged one (not a readable WAV) is kept aside, once, and taken
off Asterisk, so reconciliation does not fetch it again every round.

ARI is a small in-process aiohttp server speaking the routes ingestion uses, as Asterisk answers
them; the client, the ingester, the files and the database are the real ones.
"""

from __future__ import annotations

import errno
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from structlog.testing import capture_logs

import recordings.ingest
from centralino.core.ari import AriClient
from centralino.core.bus import EventBus
from config.settings import AriSettings, AsteriskSettings, RecordingsSettings
from recordings.ingest import IngestFailed, RecordingIngester, RecordingMeta
from recordings.models import Recording, RecordingKind, VoicemailSituation
from recordings.naming import voicemail_name
from recordings.store import sha256_of
from tests.unit.recordings.test_recordings_store import wav_bytes

LINKEDID = "1764612000.42"
NAME = voicemail_name(VoicemailSituation.BUSY, LINKEDID)
NOT_FOUND = {"message": "Recording not found"}


@dataclass
class StoredRecordings:
    """Asterisk's stored recordings as ARI serves them; the requests it received."""

    files: dict[str, bytes]
    requests: list[tuple[str, str]] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._log])
        app.router.add_get("/ari/events", self._events)
        app.router.add_get("/ari/recordings/stored", self._list)
        app.router.add_get("/ari/recordings/live/{name}", self._live)
        app.router.add_get("/ari/recordings/stored/{name}/file", self._file)
        app.router.add_delete("/ari/recordings/stored/{name}", self._delete)
        return app

    @web.middleware
    async def _log(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        return await handler(request)

    def deletes(self) -> list[str]:
        return [path for method, path in self.requests if method == "DELETE"]

    async def _events(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        async for _ in socket:  # no events: the client only stays connected
            pass
        return socket

    async def _list(self, _request: web.Request) -> web.Response:
        return web.json_response([{"name": name, "format": "wav"} for name in self.files])

    async def _live(self, _request: web.Request) -> web.Response:
        return web.json_response(NOT_FOUND, status=404)  # nothing is being recorded

    async def _file(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["name"])
        if data is None:
            return web.json_response(NOT_FOUND, status=404)
        return web.Response(body=data, content_type="audio/wav")

    async def _delete(self, request: web.Request) -> web.Response:
        if self.files.pop(request.match_info["name"], None) is None:
            return web.json_response(NOT_FOUND, status=404)
        return web.Response(status=204)


@pytest_asyncio.fixture
async def asterisk(tmp_path: Path) -> AsyncIterator[tuple[StoredRecordings, AriClient]]:
    """Asterisk holding one finished message, and a started ARI client talking to it."""
    stored = StoredRecordings({NAME: wav_bytes(tmp_path / "asterisk.wav", 2.0)})
    runner = web.AppRunner(stored.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    client = AriClient(AsteriskSettings(ari=AriSettings(port=port)), "secret", lambda _e: None)
    await client.start()
    try:
        yield stored, client
    finally:
        await client.close()
        await runner.cleanup()


def disk_full(_path: Path, _data: bytes) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


async def rows(sessions: async_sessionmaker[AsyncSession]) -> list[Recording]:
    async with sessions() as session:
        return list((await session.execute(select(Recording))).scalars().all())


async def test_a_message_that_finds_the_disk_full_stays_on_asterisk_until_reconciliation(
        asterisk: tuple[StoredRecordings, AriClient], tmp_path: Path,
        db_session_factory: async_sessionmaker[AsyncSession],
        monkeypatch: pytest.MonkeyPatch) -> None:
    stored, ari = asterisk
    original = stored.files[NAME]
    folder = tmp_path / "recordings"
    settings = RecordingsSettings(dir=folder, min_free_disk_mb=10**9)  # any disk is "low"
    ingester = RecordingIngester(ari, db_session_factory, settings, EventBus())
    meta = RecordingMeta(RecordingKind.VOICEMAIL, LINKEDID, caller_id="3338000001",
                         situation=VoicemailSituation.BUSY)

    with monkeypatch.context() as disk:
        disk.setattr(recordings.ingest, "write_atomically", disk_full)
        with capture_logs() as logs, pytest.raises(IngestFailed, match="No space left"):
            await ingester.ingest(NAME, meta)

    assert stored.files == {NAME: original}, "Asterisk still holds the message, unchanged"
    assert stored.deletes() == []
    assert await rows(db_session_factory) == []
    assert "recordings.disk_low" in [entry["event"] for entry in logs]

    # room again: the next reconciliation stores the message and only then deletes it
    assert await ingester.reconcile() == 1

    [row] = await rows(db_session_factory)
    assert (row.asterisk_name, row.kind, row.situation) == (NAME, "voicemail", "busy")
    assert row.sha256 == sha256_of(folder / row.path)
    assert (folder / row.path).read_bytes() == original
    assert stored.deletes() == [f"/ari/recordings/stored/{NAME}"]
    assert stored.files == {}


async def test_a_damaged_recording_is_kept_aside_once_and_leaves_asterisk(
        asterisk: tuple[StoredRecordings, AriClient], tmp_path: Path,
        db_session_factory: async_sessionmaker[AsyncSession]) -> None:
    stored, ari = asterisk
    damaged = b"RIFF\x00\x00\x00\x00WAVE" + b"\x00" * 20  # a header Asterisk never finished
    stored.files[NAME] = damaged
    folder = tmp_path / "recordings"
    ingester = RecordingIngester(ari, db_session_factory, RecordingsSettings(dir=folder),
                                 EventBus())
    meta = RecordingMeta(RecordingKind.VOICEMAIL, LINKEDID, situation=VoicemailSituation.BUSY)

    def quarantined() -> float:
        return REGISTRY.get_sample_value("centralino_recordings_quarantined_total",
                                         {"kind": "voicemail"}) or 0.0

    before = quarantined()
    with capture_logs() as logs:
        assert await ingester.ingest(NAME, meta) is None, "nothing anyone could play"

    assert (folder / "quarantine" / f"{NAME}.wav").read_bytes() == damaged
    assert await rows(db_session_factory) == []
    assert stored.files == {}, "taken off Asterisk once its bytes are safe"
    [entry] = [entry for entry in logs if entry["event"] == "recordings.quarantined"]
    assert entry["log_level"] == "error" and entry["linkedid"] == LINKEDID
    assert "not a WAV file" in entry["error"]
    assert quarantined() == before + 1
    fetches = [path for method, path in stored.requests if path.endswith("/file")]
    assert await ingester.reconcile() == 0
    assert [path for method, path in stored.requests if path.endswith("/file")] == fetches


async def test_a_damaged_recording_stays_on_asterisk_when_it_cannot_be_kept_aside(
        asterisk: tuple[StoredRecordings, AriClient], tmp_path: Path,
        db_session_factory: async_sessionmaker[AsyncSession],
        monkeypatch: pytest.MonkeyPatch) -> None:
    stored, ari = asterisk
    stored.files[NAME] = b"not audio at all"
    ingester = RecordingIngester(ari, db_session_factory,
                                 RecordingsSettings(dir=tmp_path / "recordings"), EventBus())
    monkeypatch.setattr(recordings.ingest, "write_atomically", disk_full)

    with pytest.raises(IngestFailed, match=r"not a WAV file.*No space left"):
        await ingester.ingest(NAME, RecordingMeta(RecordingKind.VOICEMAIL, LINKEDID))

    assert stored.files == {NAME: b"not audio at all"}
    assert stored.deletes() == []
