"""Playback and download of recordings, for signed-in users the access policy lets in.

- ``GET /recordings/{id}/audio``: the web copy (the original WAV while there is none), for an
  HTML5 ``<audio>`` player; HTTP Range requests are Starlette's ``FileResponse`` (206 with
  ``Content-Range``, 416 for a range past the end);
- ``GET /recordings/{id}/download``: the original WAV, as an attachment.

404 for an unknown recording (or its file missing), 403 when the user may not open it
(:mod:`recordings.access`), 410 once retention purged it. Every answer with the bytes is
logged (:func:`recordings.access.log_access`) before it is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.auth.models import Permission, User
from centralino.core.auth.web import current_user
from centralino.core.db import utcnow
from centralino.core.path_params import RowId
from recordings.access import OWNERSHIP_CHECKS, OwnershipCheck, log_access, may_open
from recordings.models import Recording, RecordingAccessAction
from recordings.retention import UnsafeRecordingPath, recording_file

log = structlog.get_logger(__name__)

SignedIn = Annotated[User, Depends(current_user(Permission.RECORDINGS))]
_MEDIA_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg",
                ".opus": "audio/ogg", ".oga": "audio/ogg", ".m4a": "audio/mp4",
                ".webm": "audio/webm"}


def recordings_router(sessions: async_sessionmaker[AsyncSession], recordings_dir: Path,
                      ownership: Sequence[OwnershipCheck] = OWNERSHIP_CHECKS,
                      clock: Callable[[], datetime] = utcnow) -> APIRouter:
    """The two routes, serving files of ``recordings_dir``; ``ownership`` says which
    recordings an operator may open (:mod:`recordings.access`)."""
    router = APIRouter(tags=["recordings"])

    async def serve(request: Request, user: User, recording_id: int,
                    action: RecordingAccessAction) -> FileResponse:
        async with sessions() as session, session.begin():
            recording = await session.get(Recording, recording_id)
            if recording is None:
                raise HTTPException(404, detail="no such recording")
            if not await may_open(session, user, recording, ownership):
                raise HTTPException(403, detail="this recording is not yours to open")
            if recording.purged_at is not None:
                raise HTTPException(410, detail="deleted at the end of its retention period")
            relative = (recording.web_path or recording.path
                        if action == RecordingAccessAction.PLAY else recording.path)
            path = await asyncio.to_thread(_existing_file, recordings_dir, recording, relative)
            await log_access(session, recording.id, user.name, action,
                             request.client.host if request.client else None, clock())
        headers = {"Cache-Control": "private, no-store"}
        media_type = _MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
        if action == RecordingAccessAction.DOWNLOAD:
            return FileResponse(path, media_type=media_type, headers=headers,
                                filename=f"{recording.asterisk_name}{path.suffix}")
        return FileResponse(path, media_type=media_type, headers=headers)

    @router.get("/recordings/{recording_id}/audio")
    async def play(request: Request, recording_id: RowId, user: SignedIn) -> FileResponse:
        return await serve(request, user, recording_id, RecordingAccessAction.PLAY)

    @router.get("/recordings/{recording_id}/download")
    async def download(request: Request, recording_id: RowId, user: SignedIn) -> FileResponse:
        return await serve(request, user, recording_id, RecordingAccessAction.DOWNLOAD)

    return router


def _existing_file(recordings_dir: Path, recording: Recording, relative: str) -> Path:
    try:
        path = recording_file(recordings_dir, relative)
    except UnsafeRecordingPath as exc:
        log.error("recordings.unsafe_path", recording_id=recording.id, error=str(exc))
        raise HTTPException(404, detail="the recording's file is missing") from None
    if not path.is_file():
        log.error("recordings.file_missing", recording_id=recording.id, path=str(path))
        raise HTTPException(404, detail="the recording's file is missing")
    return path
