"""The caller's side of voicemail: greeting, beep, recording, then safe storage.

The message is ingested as soon as the recording ends, also when it ends with the caller's
hang-up (the usual way to finish a message); if it cannot be stored now, Asterisk keeps it and
reconciliation stores it later. A caller the center could not serve who leaves no message
(none, too short, hung up before the beep) is a missed call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import structlog

from centralino.core import events
from centralino.core.bus import EventBus
from centralino.core.call_session import CallHungUp, CallSession
from recordings.ingest import IngestFailed, RecordingIngester, RecordingMeta
from recordings.models import RecordingKind, VoicemailSituation
from recordings.naming import voicemail_name

log = structlog.get_logger(__name__)

class Message(StrEnum):
    KEPT = "kept"  # on disk and in the database
    PENDING = "pending"  # recorded, kept by Asterisk until reconciliation stores it
    NONE = "none"  # no message, or one shorter than the minimum


@dataclass(frozen=True)
class MessageLimits:
    max_seconds: int
    max_silence_seconds: int
    min_seconds: float


class VoicemailRecorder:
    """Takes callers' messages and says which calls were missed."""

    def __init__(self, ingester: RecordingIngester, bus: EventBus) -> None:
        self._ingester = ingester
        self._bus = bus

    async def take_message(self, session: CallSession, situation: VoicemailSituation,
                           greeting: Callable[[], Awaitable[None]],
                           limits: MessageLimits) -> Message:
        """Play ``greeting``, beep, record up to ``#``, silence, the maximum or a hang-up.

        A hang-up during the greeting raises CallHungUp (there is no message); a hang-up
        during the recording ends the message, which is then stored.
        """
        name = voicemail_name(situation, session.linkedid)
        with self._ingester.capturing(name):
            await greeting()
            recorded_at = datetime.now(UTC)
            try:
                recording = await session.record(name, limits.max_seconds,
                                                 limits.max_silence_seconds)
                ended = recording.cause or "finished"
            except CallHungUp:
                ended = "hang-up"
            meta = RecordingMeta(RecordingKind.VOICEMAIL, session.linkedid,
                                 session.caller_number, situation, recorded_at,
                                 limits.min_seconds)
            try:  # the call may be over: storing the message must not be cut short
                stored = await asyncio.shield(self._ingester.ingest(name, meta))
            except IngestFailed as exc:
                log.error("voicemail.not_stored_yet", recording=name, error=str(exc))
                return Message.PENDING
        log.info("voicemail.recorded", recording=name, ended=ended, kept=stored is not None)
        return Message.KEPT if stored is not None else Message.NONE

    def missed(self, session: CallSession, situation: VoicemailSituation) -> None:
        """The caller, whom the center could not serve, left no message."""
        log.info("voicemail.missed_call", situation=situation.value)
        self._bus.publish(events.MissedCall(session.linkedid, session.caller_number,
                                            situation.value, datetime.now(UTC)))
