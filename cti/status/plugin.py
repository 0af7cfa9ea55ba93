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
        self._limits = core.settings.web.status_page
        self._hours = core.services.get(HoursService)

    def routers(self) -> Sequence[APIRouter]:
        return [status_page_router(
            self._sessions, timezone=self._hours.office_hours.zone.key,
            lookups_per_minute=self._limits.per_client_per_minute,
            lookups_per_minute_total=self._limits.total_per_minute)]


PLUGIN = Plugin("status", build=StatusPage)
