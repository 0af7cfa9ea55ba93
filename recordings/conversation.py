"""Recorded operator conversations (``acd.record_calls``), the engine's side.

The dialplan does the recording (config/asterisk/extensions.conf.j2): the caller hears the
notice ``recording-notice-<language>`` from the media directory before Queue(); once an operator
answers, Queue's gosub starts MixMonitor on the operator's leg into ARI's stored recordings as
``conversation-<linkedid>``; when that leg hangs up, a hangup handler stops MixMonitor (the file
is then complete) and sends the AMI ``UserEvent`` :data:`DONE_EVENT`. Here each ``UserEvent``
has the recording ingested right away; a recording whose event
was missed (the engine down) is ingested by the ingester's reconciliation.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from centralino.core.ami import AmiClient
from recordings.ingest import IngestFailed, RecordingIngester, RecordingMeta
from recordings.models import RecordingKind
from recordings.naming import parse_name

log = structlog.get_logger(__name__)

DONE_EVENT = "CentralinoRecordingDone"


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
