"""The ``recordings`` and ``recording_access`` tables: messages and conversations kept safe.

A row is written only once the file is on disk, fsynced and checksummed; ``asterisk_name`` (the
name of Asterisk's stored recording) is unique, so a recording is ingested exactly once however
often ingestion is retried (engine restart, reconciliation).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from centralino.core.db import Base, UTCDateTime, enum_check, utcnow

# The vocabulary lives in terms.py, which other domains may import; re-exported here for
# this domain's own modules.
from recordings.terms import (
    RecordingAccessAction,
    RecordingKind,
    VoicemailSituation,
)


class Recording(Base):
    __tablename__ = "recordings"
    __table_args__ = (
        Index("ix_recordings_recorded_at", "recorded_at"),
        Index("ix_recordings_call_linkedid", "call_linkedid"),
        enum_check("kind", RecordingKind),
        enum_check("situation", VoicemailSituation),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    asterisk_name: Mapped[str] = mapped_column(String(128), unique=True)
    # Not a foreign key: a recording found by reconciliation may outlive what is known of its call.
    call_linkedid: Mapped[str | None] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("tickets.id"))
    caller_id: Mapped[str | None] = mapped_column(String(64))
    situation: Mapped[str | None] = mapped_column(String(16))  # voicemail only
    # Relative to the recordings directory: the original WAV, and its copy for web browsers.
    path: Mapped[str] = mapped_column(String(512))
    web_path: Mapped[str | None] = mapped_column(String(512))
    duration_seconds: Mapped[float] = mapped_column(Float)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # {"text": ..., "words": [{"word", "conf", "start", "end"}, ...], "model": ...} when done.
    transcript: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # files deleted (retention)

    def __repr__(self) -> str:
        return f"Recording(id={self.id!r}, kind={self.kind!r}, name={self.asterisk_name!r})"


class RecordingAccess(Base):
    """One playback or download of a recording: who, when, from where."""

    __tablename__ = "recording_access"
    __table_args__ = (
        Index("ix_recording_access_recording_id", "recording_id"),
        enum_check("action", RecordingAccessAction),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(Integer, ForeignKey("recordings.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))  # a user name
    action: Mapped[str] = mapped_column(String(16))
    client_address: Mapped[str | None] = mapped_column(String(64))
