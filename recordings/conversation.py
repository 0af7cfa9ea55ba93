"""Recorded operator conversations (``acd.record_calls``), the engine's side.

The dialplan does the recording (config/asterisk/extensions.conf.j2): the caller hears the
notice ``recording-notice-<language>`` from the media directory before Queue(); once an operator
answers, Queue's gosub starts MixMonitor on the operator's leg into ARI's stored recordings as
``conversation-<linkedid>``; when that leg hangs up, a hangup handler stops MixMonitor (the file
is then complete) and sends the AMI ``UserEvent`` :data:`DONE_EVENT`. Here the notices are
rendered, and each ``UserEvent`` has the recording ingested right away; a recording whose event
was missed (the engine down) is ingested by the ingester's reconciliation.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import structlog

from centralino.ami import AmiClient
from config.loader import ConfigError, ConfigProblem
from config.menu import TtsPrompt
from ivr.prompts import PromptError, PromptStore
from recordings.ingest import IngestFailed, RecordingIngester, RecordingMeta
from recordings.models import RecordingKind
from recordings.naming import parse_name

log = structlog.get_logger(__name__)

DONE_EVENT = "CentralinoRecordingDone"
NOTICE_STEM = "recording-notice"


def write_notices(store: PromptStore, media_dir: Path, notices: Mapping[str, str]) -> list[Path]:
    """Render each language's notice (espeak-ng) as ``recording-notice-<language>.wav`` in the
    media directory, the name the dialplan plays. Blocking: call it from a thread."""
    written = []
    for language, text in notices.items():
        uri = store.media_uri(TtsPrompt(tts=text), language, media_dir)
        rendered = media_dir / f"{uri.rsplit('/', 1)[-1]}.wav"
        target = media_dir / f"{NOTICE_STEM}-{language}.wav"
        fd, temporary = tempfile.mkstemp(dir=media_dir, prefix=f".{target.stem}.", suffix=".tmp")
        os.close(fd)
        try:
            shutil.copyfile(rendered, temporary)
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(target)
    return written


class ConversationRecordings:
    """Ingests each conversation recording as soon as the dialplan says it is complete."""

    def __init__(self, ingester: RecordingIngester) -> None:
        self._ingester = ingester

    def follow(self, ami: AmiClient) -> None:
        """Listen to ``ami``'s UserEvents; call before ``ami.start()``."""
        ami.on_event("UserEvent", self.on_user_event)

    async def on_user_event(self, event: Mapping[str, object]) -> None:
        if event.get("UserEvent") != DONE_EVENT:
            return
        name = str(event.get("Recording", ""))
        parsed = parse_name(name)
        if parsed is None or parsed.kind != RecordingKind.CONVERSATION:
            log.warning("recordings.unexpected_conversation_name", recording=name)
            return
        try:
            row = await self._ingester.ingest(name, RecordingMeta(RecordingKind.CONVERSATION,
                                                                  parsed.linkedid))
        except IngestFailed as exc:  # Asterisk keeps it: reconciliation tries again
            log.warning("recordings.conversation_not_stored", recording=name, error=str(exc))
            return
        log.info("recordings.conversation_stored", recording=name,
                 id=row.id if row is not None else None)


async def prepare_notices(store: PromptStore, media_dir: Path,
                          notices: Mapping[str, str]) -> None:
    """:func:`write_notices` off the event loop.

    Raises ConfigError when a notice cannot be rendered: a conversation is never recorded
    without the caller having been told.
    """
    try:
        written = await asyncio.to_thread(write_notices, store, media_dir, notices)
    except (PromptError, OSError) as exc:
        raise ConfigError([ConfigProblem(
            file="settings", key_path="acd.recording_notice", line=None,
            message=f"the 'this call may be recorded' notice cannot be rendered: {exc}",
            hint="install espeak-ng, or set acd.record_calls: false")]) from exc
    log.info("recordings.notice_ready", files=[str(path) for path in written])
