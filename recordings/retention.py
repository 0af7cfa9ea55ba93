"""Retention: a recording older than its kind's period loses its files; its row stays, with
``purged_at`` set, for the audit trail (who recorded what, who listened to it).

:func:`purge_expired` is idempotent: a purged recording is never looked at again, and a file
already gone is not an error.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config.settings import RetentionDays
from recordings.models import Recording, RecordingKind

log = structlog.get_logger(__name__)

BATCH = 200  # recordings purged per transaction


class UnsafeRecordingPath(ValueError):
    """A recording's stored path points outside the recordings directory."""


@dataclass(frozen=True)
class PurgedRecording:
    id: int
    kind: str
    asterisk_name: str
    recorded_at: datetime
    files: tuple[str, ...]  # relative to the recordings directory


def recording_file(recordings_dir: Path, relative: str) -> Path:
    """The file a ``recordings.path``/``web_path`` names, refused if it leaves the directory."""
    base = recordings_dir.resolve()
    path = (base / relative).resolve()
    if not path.is_relative_to(base) or path == base:
        raise UnsafeRecordingPath(f"recording path {relative!r} is outside {base}")
    return path


def _expired(retention: RetentionDays, now: datetime) -> ColumnElement[bool]:
    return or_(*(and_(Recording.kind == kind.value,
                      Recording.recorded_at < now - timedelta(days=getattr(retention, kind.value)))
                 for kind in RecordingKind))


async def expired_recordings(session: AsyncSession, retention: RetentionDays, now: datetime,
                             limit: int = BATCH) -> list[Recording]:
    """Recordings past their retention at ``now`` whose files are still kept, oldest first."""
    query = (select(Recording).where(Recording.purged_at.is_(None), _expired(retention, now))
             .order_by(Recording.recorded_at, Recording.id).limit(limit))
    return list((await session.scalars(query)).all())


def _delete_files(recordings_dir: Path, recording: Recording) -> tuple[str, ...]:
    relative = tuple(p for p in (recording.path, recording.web_path) if p)
    for name in relative:
        recording_file(recordings_dir, name).unlink(missing_ok=True)
    return relative


async def purge_expired(sessions: async_sessionmaker[AsyncSession], recordings_dir: Path,
                        retention: RetentionDays, now: datetime,
                        dry_run: bool = False) -> list[PurgedRecording]:
    """Delete the files of every recording past its retention at ``now`` and mark it purged.

    With ``dry_run`` nothing changes: the recordings that would be purged are returned. A row
    whose path leaves the recordings directory is logged and left alone.
    """
    purged: list[PurgedRecording] = []
    skipped: set[int] = set()
    while True:
        async with sessions() as session, session.begin():
            batch = [r for r in await expired_recordings(session, retention, now,
                                                         BATCH + len(skipped))
                     if r.id not in skipped]
            if dry_run:
                return [PurgedRecording(r.id, r.kind, r.asterisk_name, r.recorded_at,
                                        tuple(p for p in (r.path, r.web_path) if p))
                        for r in batch]
            if not batch:
                return purged
            for recording in batch:
                try:
                    files = await asyncio.to_thread(_delete_files, recordings_dir, recording)
                except (UnsafeRecordingPath, OSError) as exc:
                    log.error("recordings.purge_failed", recording_id=recording.id,
                              error=str(exc))
                    skipped.add(recording.id)
                    continue
                recording.purged_at = now
                purged.append(PurgedRecording(recording.id, recording.kind,
                                              recording.asterisk_name, recording.recorded_at,
                                              files))
                log.info("recordings.purged", recording_id=recording.id, kind=recording.kind,
                         name=recording.asterisk_name,
                         recorded_at=recording.recorded_at.isoformat(), files=list(files))
