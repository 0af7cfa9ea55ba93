"""The public status page as a domain: a citizen keys a tracking code and sees the case."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from centralino.core.domain import Core, Domain, Plugin
from centralino.core.hours.service import HoursService
from cti.status.http import status_page_router


class StatusPage(Domain):
    def __init__(self, core: Core) -> None:
        self._sessions = core.sessions
        self._hours = core.services.get(HoursService)

    def routers(self) -> Sequence[APIRouter]:
        return [status_page_router(self._sessions,
                                   timezone=self._hours.office_hours.zone.key)]


PLUGIN = Plugin("status", build=StatusPage)
