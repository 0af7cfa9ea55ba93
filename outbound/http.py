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

import asyncio
import dataclasses
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.background import BackgroundTask

from centralino.core.auth.models import Permission, User
from centralino.core.auth.web import current_user
from centralino.core.dialing import e164_number
from centralino.core.path_params import RowId
from config.loader import ConfigError
from outbound import campaigns, dnc, progress, store
from outbound.exports import csv_chunks, write_xlsx
from outbound.lists import ListRefused, read_number_list
from outbound.terms import DncSource
from outbound.uploads import CAMPAIGN_SUFFIXES, LIST_SUFFIXES, saved_upload

Manager = Annotated[User, Depends(current_user(Permission.CAMPAIGNS))]
Action = Literal["start", "pause", "resume", "stop"]
Upload = Annotated[UploadFile, File(description="the file, as multipart form data")]
REGION = "IT"
MAX_RESULTS = 100_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Refusal(Exception):
    """A request the campaigns refuse: its HTTP status, what is wrong, every problem."""

    def __init__(self, status: int, detail: str, errors: list[str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors = status, detail, errors or []

    def response(self) -> JSONResponse:
        return JSONResponse({"detail": self.detail, "errors": self.errors},
                            status_code=self.status)


def refusal(exc: Exception) -> Refusal:
    """The refusal a domain error means; anything else is raised again."""
    if isinstance(exc, Refusal):
        return exc
    if isinstance(exc, store.CampaignNotFound | store.ContactNotFound):
        return Refusal(404, str(exc).strip("'\""))
    if isinstance(exc, campaigns.ScriptsRefused):
        return Refusal(409, "the campaign's scripts have errors: it neither starts nor "
                            "takes a list",
                       [str(problem) for problem in exc.problems])
    if isinstance(exc, store.CampaignStateError):
        return Refusal(409, str(exc))
    if isinstance(exc, ConfigError):
        return Refusal(422, "the campaign file has errors",
                       [str(problem) for problem in exc.problems])
    if isinstance(exc, ListRefused):
        return Refusal(422, "the list has errors: nothing was imported",
                       [str(problem) for problem in exc.problems])
    raise exc


REFUSED = (Refusal, store.CampaignNotFound, store.ContactNotFound, store.CampaignStateError,
           campaigns.ScriptsRefused, ConfigError, ListRefused)


class CampaignDesk:
    """What the pages and the API do, on the database, with the clock and the resolver the
    plugin gives; each method raises the domain's errors (:data:`REFUSED`)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession],
                 resolver: campaigns.ScriptResolver, clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self._resolver = resolver
        self._clock = clock

    async def statuses(self) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            return await progress.campaigns_status(
                session, await store.list_campaigns(session), self._clock())

    async def status(self, campaign_id: int) -> dict[str, Any]:
        async with self.sessions() as session:
            return await progress.campaign_status(session, campaign_id, self._clock())

    async def create(self, upload: UploadFile, user: User) -> dict[str, Any]:
        """A campaign from the uploaded file; problems name the upload and its lines."""
        async with saved_upload(upload, CAMPAIGN_SUFFIXES) as path:
            try:
                draft = campaigns.read_campaign_file(path, self._resolver)
            except ConfigError as exc:
                raise ConfigError([dataclasses.replace(p, file=path.name)
                                   if p.file == str(path) else p
                                   for p in exc.problems]) from None
        async with self.sessions() as session:
            campaign = await campaigns.create_campaign(session, draft, now=self._clock(),
                                                       created_by=user.name)
            return campaigns.campaign_json(campaign)

    async def import_list(self, campaign_id: int, upload: UploadFile) -> dict[str, Any]:
        async with saved_upload(upload, LIST_SUFFIXES) as path, self.sessions() as session:
            counts = await campaigns.import_list(session, campaign_id, path, now=self._clock())
        return {"imported": counts.imported, "merged": counts.merged, "errors": []}

    async def change(self, campaign_id: int, action: str) -> dict[str, Any]:
        async with self.sessions() as session:
            await campaigns.change_campaign(session, campaign_id, action, now=self._clock(),
                                            resolver=self._resolver)
            return await progress.campaign_status(session, campaign_id, self._clock())

    async def mark(self, campaign_id: int, phone: str, outcome: str) -> dict[str, Any]:
        number = _number(phone)
        async with self.sessions() as session:
            contact = await store.mark_contact(session, campaign_id, number, outcome,
                                               now=self._clock())
            return {"phone": contact.phone, "status": contact.status,
                    "outcome": contact.outcome}

    async def results(self, campaign_id: int, limit: int | None) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            return await progress.campaign_results(session, campaign_id, limit=limit)

    async def name(self, campaign_id: int) -> str:
        async with self.sessions() as session:
            return (await store.get_campaign(session, campaign_id)).name

    async def csv_export(self, campaign_id: int) -> AsyncIterator[str]:
        """The results as CSV text, a page of contacts at a time."""
        async with self.sessions() as session:
            async for chunk in csv_chunks(progress.result_pages(session, campaign_id)):
                yield chunk

    async def xlsx_export(self, campaign_id: int, path: Path) -> None:
        async with self.sessions() as session:
            campaign = await store.get_campaign(session, campaign_id)
            await write_xlsx(progress.result_pages(session, campaign_id), path, campaign.name)

    async def dnc_numbers(self, limit: int | None) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            return [dnc.number_json(n) for n in await dnc.list_numbers(session, limit)]

    async def dnc_add(self, phone: str, user: User) -> dict[str, Any]:
        number = _number(phone)
        async with self.sessions() as session:
            added = await dnc.add_numbers(session, [number], DncSource.API, now=self._clock(),
                                          added_by=user.name)
        return {"phone": number, "added": bool(added)}

    async def dnc_remove(self, phone: str) -> dict[str, Any]:
        number = _number(phone)
        async with self.sessions() as session:
            if not await dnc.remove_number(session, number):
                raise Refusal(404, f"{number} is not on the do-not-call list")
        return {"phone": number, "removed": True}

    async def dnc_import(self, upload: UploadFile, user: User) -> dict[str, Any]:
        async with saved_upload(upload, LIST_SUFFIXES) as path:
            numbers = await asyncio.to_thread(read_number_list, path, region=REGION)
        async with self.sessions() as session:
            added = await dnc.add_numbers(session, numbers.phones, DncSource.IMPORT,
                                          now=self._clock(), added_by=user.name)
        return {"read": len(numbers.phones) + numbers.merged, "added": added,
                "already": len(numbers.phones) - added, "merged": numbers.merged, "errors": []}


def _number(phone: str) -> str:
    number = e164_number(phone, REGION)
    if number is None:
        raise Refusal(422, f"not a phone number: {phone[:40]!r}")
    return number


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
    async def import_contacts(campaign_id: RowId, _user: Manager, file: Upload) -> Response:
        return await answer(desk.import_list(campaign_id, file))

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
