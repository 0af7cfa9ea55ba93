"""What the campaign pages and the JSON API do, on the database: :class:`CampaignDesk`, with
the clock and the script resolver the plugin gives, and :class:`Refusal`, the HTTP status and
problems a domain error means.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.auth.models import User
from centralino.core.dialing import e164_number
from config.loader import ConfigError
from outbound import campaigns, dnc, progress, store
from outbound.exports import csv_chunks, write_xlsx
from outbound.lists import REGION, ListRefused, read_number_list
from outbound.terms import DncSource
from outbound.uploads import CAMPAIGN_SUFFIXES, LIST_SUFFIXES, saved_upload


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

    async def import_list(self, campaign_id: int, upload: UploadFile,
                          expire_days: int | None = None) -> dict[str, Any]:
        async with saved_upload(upload, LIST_SUFFIXES) as path, self.sessions() as session:
            counts = await campaigns.import_list(session, campaign_id, path, now=self._clock(),
                                                 expire_days=expire_days)
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
