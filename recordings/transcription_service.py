"""A stored voicemail message gets its transcript: on ``VoicemailStored``, in a task of its own,
so neither ingestion nor the bus waits for vosk; or later, for messages stored while
transcription was off or that failed (:func:`untranscribed_voicemails`, the CLI's
``voicemails transcribe``)."""

from __future__ import annotations

from pathlib import Path

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core import events
from centralino.core.bus import EventBus
from centralino.core.tasks import TaskSet
from recordings.models import Recording, RecordingKind
from recordings.retention import UnsafeRecordingPath, recording_file
from recordings.transcription import Transcriber, Transcript, TranscriptionError

log = structlog.get_logger(__name__)


async def untranscribed_voicemails(session: AsyncSession, limit: int) -> list[int]:
    """Ids of up to ``limit`` voicemail messages with no transcript whose files are kept,
    oldest first."""
    return list((await session.scalars(
        select(Recording.id)
        .where(Recording.kind == RecordingKind.VOICEMAIL.value,
               Recording.transcript.is_(None), Recording.purged_at.is_(None))
        .order_by(Recording.recorded_at, Recording.id).limit(limit))).all())


class VoicemailTranscription:
    """Writes ``recordings.transcript`` for every voicemail message stored from now on
    (subscribes only when the transcriber is enabled)."""

    def __init__(self, transcriber: Transcriber, sessions: async_sessionmaker[AsyncSession],
                 recordings_dir: Path, bus: EventBus) -> None:
        self._transcriber = transcriber
        self._sessions = sessions
        self._dir = recordings_dir
        self._tasks = TaskSet(failure_event="recordings.transcription_task_failed")
        if transcriber.enabled:
            bus.subscribe(events.VoicemailStored, self._on_stored)

    async def transcribe(self, recording_id: int) -> Transcript | None:
        """Transcribe recording ``recording_id`` and store the transcript; None when there is
        none to store (transcription off, no such row, files purged, or a logged failure)."""
        async with self._sessions() as session:
            row = await session.get(Recording, recording_id)
        if row is None or row.purged_at is not None:
            return None
        try:
            transcript = await self._transcriber.transcribe(recording_file(self._dir, row.path))
        except (TranscriptionError, UnsafeRecordingPath) as exc:
            log.warning("recordings.transcription_failed", recording_id=recording_id,
                        error=str(exc))
            return None
        if transcript is None:
            return None
        async with self._sessions() as session:
            await session.execute(update(Recording).where(Recording.id == recording_id)
                                  .values(transcript=transcript.to_json()))
            await session.commit()
        log.info("recordings.transcribed", recording_id=recording_id, words=len(transcript.words),
                 confidence=transcript.confidence)
        return transcript

    async def close(self) -> None:
        """Wait for the transcriptions under way (the transcriber is closed by its owner)."""
        await self._tasks.wait()

    def _on_stored(self, event: events.VoicemailStored) -> None:
        self._tasks.spawn(self.transcribe(event.recording_id),
                          name=f"transcribe-{event.recording_id}")
