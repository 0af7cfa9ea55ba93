"""Retention: files of recordings past their kind's period are deleted, their rows kept and
marked purged; the purge is idempotent; the job is kept in the database across restarts."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.db import sync_database_url
from config.settings import RetentionDays
from recordings.models import Recording, RecordingKind
from recordings.retention import UnsafeRecordingPath, purge_expired, recording_file
from recordings.retention_job import JOB_ID, PurgeSchedule, RetentionScheduler

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 6, 1, 3, 17, tzinfo=UTC)
RETENTION = RetentionDays(voicemail=90, conversation=30)
_names = itertools.count(1)


@pytest.fixture
def recordings_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "recordings"
    directory.mkdir()
    return directory


async def add_recording(sessions: Sessions, directory: Path, kind: RecordingKind,
                        age: timedelta, *, web: bool = True) -> Recording:
    """A recording made ``age`` before NOW, with its WAV (and web copy) on disk."""
    number = next(_names)
    name = f"{kind.value}-{number}"
    (directory / f"{name}.wav").write_bytes(b"RIFF-original")
    if web:
        (directory / f"{name}.mp3").write_bytes(b"ID3-web")
    recording = Recording(kind=kind.value, asterisk_name=name, call_linkedid=f"1.{number}",
                          path=f"{name}.wav", web_path=f"{name}.mp3" if web else None,
                          duration_seconds=3.0, size_bytes=13,
                          sha256=hashlib.sha256(b"RIFF-original").hexdigest(),
                          recorded_at=NOW - age)
    async with sessions() as session, session.begin():
        session.add(recording)
    return recording


async def purged_at(sessions: Sessions) -> dict[str, datetime | None]:
    async with sessions() as session:
        rows = await session.scalars(select(Recording))
        return {row.asterisk_name: row.purged_at for row in rows}


async def test_each_kind_keeps_its_own_retention_and_rows_stay_for_the_audit(
    db_session_factory: Sessions, recordings_dir: Path
) -> None:
    old_message = await add_recording(db_session_factory, recordings_dir, RecordingKind.VOICEMAIL,
                                      timedelta(days=91))
    young_message = await add_recording(db_session_factory, recordings_dir, RecordingKind.VOICEMAIL,
                                        timedelta(days=45))
    old_talk = await add_recording(db_session_factory, recordings_dir, RecordingKind.CONVERSATION,
                                   timedelta(days=31), web=False)
    young_talk = await add_recording(db_session_factory, recordings_dir, RecordingKind.CONVERSATION,
                                     timedelta(days=29))

    purged = await purge_expired(db_session_factory, recordings_dir, RETENTION, NOW)

    assert {p.asterisk_name for p in purged} == {old_message.asterisk_name,
                                                 old_talk.asterisk_name}
    assert sorted(p.name for p in recordings_dir.iterdir()) == sorted([
        young_message.path, str(young_message.web_path), young_talk.path,
        str(young_talk.web_path)])
    assert await purged_at(db_session_factory) == {
        old_message.asterisk_name: NOW, young_message.asterisk_name: None,
        old_talk.asterisk_name: NOW, young_talk.asterisk_name: None}


async def test_purging_again_or_with_files_already_gone_changes_nothing(
    db_session_factory: Sessions, recordings_dir: Path
) -> None:
    gone = await add_recording(db_session_factory, recordings_dir, RecordingKind.CONVERSATION,
                               timedelta(days=40))
    (recordings_dir / gone.path).unlink()
    first = await purge_expired(db_session_factory, recordings_dir, RETENTION, NOW)
    again = await purge_expired(db_session_factory, recordings_dir, RETENTION,
                                NOW + timedelta(days=1))
    assert [p.asterisk_name for p in first] == [gone.asterisk_name] and again == []
    assert await purged_at(db_session_factory) == {gone.asterisk_name: NOW}


async def test_a_dry_run_names_what_would_go_and_touches_nothing(
    db_session_factory: Sessions, recordings_dir: Path
) -> None:
    old = await add_recording(db_session_factory, recordings_dir, RecordingKind.VOICEMAIL,
                              timedelta(days=100))
    would = await purge_expired(db_session_factory, recordings_dir, RETENTION, NOW, dry_run=True)
    assert [(p.asterisk_name, p.files) for p in would] == [
        (old.asterisk_name, (old.path, old.web_path))]
    assert (recordings_dir / old.path).exists()
    assert await purged_at(db_session_factory) == {old.asterisk_name: None}


async def test_a_path_leaving_the_recordings_directory_is_never_deleted(
    db_session_factory: Sessions, tmp_path: Path
) -> None:
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    escaping = await add_recording(db_session_factory, recordings, RecordingKind.VOICEMAIL,
                                   timedelta(days=100), web=False)
    async with db_session_factory() as session, session.begin():
        row = await session.get(Recording, escaping.id)
        assert row is not None
        row.path = "../precious.txt"
    assert await purge_expired(db_session_factory, recordings, RETENTION, NOW) == []
    assert outside.read_text() == "keep me"
    assert await purged_at(db_session_factory) == {escaping.asterisk_name: None}
    with pytest.raises(UnsafeRecordingPath):
        recording_file(recordings, "../precious.txt")


@pytest.mark.parametrize(("url", "sync"), [
    ("sqlite+aiosqlite:///var/centralino.db", "sqlite:///var/centralino.db"),
    ("postgresql+asyncpg://app@db:5432/centralino", "postgresql+psycopg://app@db:5432/centralino"),
])
def test_the_job_store_reaches_the_same_database_synchronously(url: str, sync: str) -> None:
    assert sync_database_url(url) == sync


def test_a_database_without_a_synchronous_driver_is_refused() -> None:
    with pytest.raises(ValueError, match="no synchronous driver for mysql"):
        sync_database_url("mysql+aiomysql://db/centralino")


async def test_the_daily_purge_is_kept_in_the_database_across_restarts(
    database_url: str, db_session_factory: Sessions, tmp_path: Path
) -> None:
    schedule = PurgeSchedule(database_url, str(tmp_path), voicemail_days=90,
                             conversation_days=30)
    for _restart in range(2):
        scheduler = RetentionScheduler(schedule)
        await scheduler.start()
        await scheduler.stop()
    store = SQLAlchemyJobStore(url=sync_database_url(database_url))
    store.start(None, "default")  # type: ignore[arg-type]
    try:
        jobs = store.get_all_jobs()
        assert [job.id for job in jobs] == [JOB_ID]
        assert jobs[0].args == (schedule,)
        assert (jobs[0].next_run_time.hour, jobs[0].next_run_time.minute) == (3, 17)
    finally:
        store.shutdown()
