"""Files uploaded to the campaign pages and API, saved where the readers can open them: a
campaign file, a contact list, a do-not-call list. The body is bounded by the web app
(``web.max_body_bytes``); here the kind of file is checked by its name.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Collection
from pathlib import Path

from fastapi import HTTPException, UploadFile

CAMPAIGN_SUFFIXES = (".yaml", ".yml")
LIST_SUFFIXES = (".csv", ".xlsx")
CHUNK = 64 * 1024


def upload_name(upload: UploadFile, suffixes: Collection[str]) -> str:
    """The upload's file name without its folders; 422 unless it ends with ``suffixes``."""
    name = Path((upload.filename or "").replace("\\", "/")).name
    if Path(name).suffix.lower() not in suffixes:
        raise HTTPException(422, detail=f"expected a file ending in {' or '.join(suffixes)}, "
                                        f"got {name or 'no file'!r}")
    return name


@contextlib.asynccontextmanager
async def saved_upload(upload: UploadFile, suffixes: Collection[str]) -> AsyncIterator[Path]:
    """The upload as a file of its own name in a temporary folder, removed afterwards."""
    name = upload_name(upload, suffixes)
    with tempfile.TemporaryDirectory(prefix="centralino-upload-") as folder:
        path = Path(folder) / name
        with path.open("wb") as out:
            while chunk := await upload.read(CHUNK):
                out.write(chunk)
        yield path
