"""The campaigns' JSON API, for the ``campaigns`` permission (campaign managers, admins); the
same fields as the CLI's ``--json``:

- ``GET /api/campaigns``: every campaign's status (``campaigns list --json``);
  ``POST /api/campaigns`` (multipart ``file``: the YAML campaign file) → 201 ``{"id", ...}``;
- ``GET /api/campaigns/{id}``: its status; ``POST /api/campaigns/{id}/{start|pause|resume|stop}``;
- ``POST /api/campaigns/{id}/contacts`` (multipart ``file``: a CSV or XLSX list) →
  ``{"imported", "merged", "errors"}``; ``POST /api/campaigns/{id}/mark`` (``phone``,
  ``outcome``);
- ``GET /api/campaigns/{id}/results`` (``?limit=``), ``.../results.csv``, ``.../results.xlsx``;
- ``GET /api/dnc``, ``POST /api/dnc`` (``{"phone"}``), ``DELETE /api/dnc/{phone}``,
  ``POST /api/dnc/import`` (multipart ``file``).

A refusal is a 4xx ``{"detail": "what is wrong", "errors": [one line per problem]}``: 404 no
such campaign or contact, 409 a move its state does not allow or scripts with errors, 422 a
bad file, list or number (the problems with their lines).
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from centralino.core.auth.models import Permission, User
from centralino.core.auth.web import current_user
from centralino.core.path_params import RowId
from outbound.desk import REFUSED, CampaignDesk, refusal

Manager = Annotated[User, Depends(current_user(Permission.CAMPAIGNS))]
Action = Literal["start", "pause", "resume", "stop"]
Upload = Annotated[UploadFile, File(description="the file, as multipart form data")]
ExpireDays = Annotated[int | None, Query(ge=1, le=365, description="the contacts expire this "
                                         "many days from now (default: the campaign's)")]
MAX_RESULTS = 100_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class NumberBody(BaseModel):
    phone: str = Field(min_length=1, max_length=40)


class MarkBody(BaseModel):
    phone: str = Field(min_length=1, max_length=40)
    outcome: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")


async def answer(work: Awaitable[Any], status_code: int = 200) -> Response:
    """``work``'s value as JSON; a domain error as its :class:`Refusal`."""
    try:
        value = await work
    except REFUSED as exc:
        return refusal(exc).response()
    return JSONResponse(_jsonable(value), status_code=status_code)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value.isoformat() if isinstance(value, datetime) else value


def campaigns_api(desk: CampaignDesk) -> APIRouter:
    """The JSON API of the module docstring."""
    router = APIRouter(tags=["campaigns"])

    @router.get("/api/campaigns")
    async def list_campaigns(_user: Manager) -> Response:
        return await answer(desk.statuses())

    @router.post("/api/campaigns", status_code=201)
    async def create(user: Manager, file: Upload) -> Response:
        return await answer(desk.create(file, user), 201)

    @router.get("/api/campaigns/{campaign_id}")
    async def status(campaign_id: RowId, _user: Manager) -> Response:
        return await answer(desk.status(campaign_id))

    @router.post("/api/campaigns/{campaign_id}/contacts")
    async def import_contacts(campaign_id: RowId, _user: Manager, file: Upload,
                              expire_days: ExpireDays = None) -> Response:
        return await answer(desk.import_list(campaign_id, file, expire_days))

    @router.post("/api/campaigns/{campaign_id}/mark")
    async def mark(campaign_id: RowId, body: MarkBody, _user: Manager) -> Response:
        return await answer(desk.mark(campaign_id, body.phone, body.outcome))

    @router.get("/api/campaigns/{campaign_id}/results")
    async def results(campaign_id: RowId, _user: Manager,
                      limit: Annotated[int | None, Query(ge=1, le=MAX_RESULTS)] = None
                      ) -> Response:
        return await answer(desk.results(campaign_id, limit))

    @router.get("/api/campaigns/{campaign_id}/results.csv")
    async def results_csv(campaign_id: RowId, _user: Manager) -> Response:
        return await csv_download(desk, campaign_id)

    @router.get("/api/campaigns/{campaign_id}/results.xlsx")
    async def results_xlsx(campaign_id: RowId, _user: Manager) -> Response:
        return await xlsx_download(desk, campaign_id)

    @router.post("/api/campaigns/{campaign_id}/{action}")
    async def change(campaign_id: RowId, action: Action, _user: Manager) -> Response:
        return await answer(desk.change(campaign_id, action))

    @router.get("/api/dnc")
    async def dnc_list(_user: Manager, limit: Annotated[int | None, Query(ge=1)] = None
                       ) -> Response:
        return await answer(desk.dnc_numbers(limit))

    @router.post("/api/dnc", status_code=201)
    async def dnc_add(body: NumberBody, user: Manager) -> Response:
        return await answer(desk.dnc_add(body.phone, user), 201)

    @router.delete("/api/dnc/{phone}")
    async def dnc_remove(phone: str, _user: Manager) -> Response:
        return await answer(desk.dnc_remove(phone))

    @router.post("/api/dnc/import")
    async def dnc_import(user: Manager, file: Upload) -> Response:
        return await answer(desk.dnc_import(file, user))

    return router


async def csv_download(desk: CampaignDesk, campaign_id: int) -> Response:
    """The results as a CSV download (404 for an unknown campaign)."""
    try:
        name = await desk.name(campaign_id)
    except REFUSED as exc:
        return refusal(exc).response()
    return StreamingResponse(desk.csv_export(campaign_id), media_type="text/csv",
                             headers=_download_headers(campaign_id, name, "csv"))


async def xlsx_download(desk: CampaignDesk, campaign_id: int) -> Response:
    """The results as an XLSX download, written to a temporary file first."""
    folder = tempfile.TemporaryDirectory(prefix="centralino-export-")
    path = Path(folder.name) / "results.xlsx"
    try:
        name = await desk.name(campaign_id)
        await desk.xlsx_export(campaign_id, path)
    except REFUSED as exc:
        folder.cleanup()
        return refusal(exc).response()
    return FileResponse(path, media_type=XLSX_TYPE, background=BackgroundTask(folder.cleanup),
                        headers=_download_headers(campaign_id, name, "xlsx"))


def _download_headers(campaign_id: int, name: str, suffix: str) -> dict[str, str]:
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in name)
    return {"Content-Disposition": f'attachment; filename="campaign-{campaign_id}-'
                                   f'{safe[:40]}.{suffix}"', "Cache-Control": "no-store"}
