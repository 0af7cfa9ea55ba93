"""Recordings as a domain: voicemail capture, conversation recordings, ingestion and
reconciliation, transcription, the retention purge, playback routes and their CLI."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from centralino.core.domain import CliGroup, Core, Domain, Plugin
from centralino.core.tasks import TaskSet
from recordings import models
from recordings.access import OWNERSHIP_CHECKS, OwnershipCheck
from recordings.capture import VoicemailRecorder
from recordings.cli import app as voicemails_app
from recordings.conversation import ConversationRecordings
from recordings.http import recordings_router
from recordings.ingest import RecordingIngester
from recordings.retention_cli import app as recordings_app
from recordings.retention_job import PurgeSchedule, RetentionScheduler
from recordings.transcription import Transcriber
from recordings.transcription_service import VoicemailTranscription


class OwnershipChecks(list[OwnershipCheck]):
    """Who else may open a recording: a domain adds its check (see :mod:`recordings.access`)."""


class Recordings(Domain):
    """Provides :class:`VoicemailRecorder` and :class:`OwnershipChecks`."""

    def __init__(self, core: Core) -> None:
        settings = core.settings
        self._core = core
        self.ingester = RecordingIngester(core.ari, core.sessions, settings.recordings, core.bus)
        core.ari.add_connect_hook(self.ingester.on_ari_connected)  # after the dispatcher's
        core.services.provide(VoicemailRecorder, VoicemailRecorder(self.ingester, core.bus),
                              by="recordings")
        self.ownership = OwnershipChecks(OWNERSHIP_CHECKS)
        core.services.provide(OwnershipChecks, self.ownership, by="recordings")
        self._transcriber = Transcriber(settings.transcription)
        self._transcription = VoicemailTranscription(self._transcriber, core.sessions,
                                                     settings.recordings.dir, core.bus)
        ConversationRecordings(self.ingester).follow(core.ami)
        retention = settings.recordings.retention_days
        self._retention = RetentionScheduler(PurgeSchedule(
            settings.database_url, str(settings.recordings.dir.absolute()),
            retention.voicemail, retention.conversation))
        self._background = TaskSet()

    def routers(self) -> Sequence[APIRouter]:
        return [recordings_router(self._core.sessions, self._core.settings.recordings.dir,
                                  ownership=tuple(self.ownership))]

    async def start(self) -> None:
        await self._retention.start()
        self._background.spawn(self.ingester.keep_reconciling(), name="recordings-reconcile")

    async def stop(self) -> None:
        await self._background.cancel_all()
        await self._transcription.close()
        await self._transcriber.close()
        await self._retention.stop()


PLUGIN = Plugin("recordings", build=Recordings, models=(models,), commands=(
    CliGroup("voicemails", voicemails_app, "Voicemail messages callers left."),
    CliGroup("recordings", recordings_app, "Recordings: the retention purge and the access log."),
))
