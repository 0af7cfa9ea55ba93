"""Outbound campaigns as a domain: campaigns, their lists and the do-not-call list, the dialer
and the call scripts; the campaign manager's pages and API, ``centralino campaigns`` and
``centralino dnc``."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from centralino.core.domain import CliGroup, Core, Domain, Plugin
from centralino.core.hours.service import HoursService
from outbound import models
from outbound.campaigns import resolve_script
from outbound.cli import app as campaigns_app
from outbound.dnc_cli import app as dnc_app
from outbound.http import CampaignDesk, campaigns_api
from outbound.pages import campaign_pages


class Outbound(Domain):
    def __init__(self, core: Core) -> None:
        self._sessions = core.sessions
        self._hours = core.services.get(HoursService)
        self.desk = CampaignDesk(core.sessions, resolve_script, core.clock)

    def _timezone(self) -> str:
        """The center's time zone, for the times on the pages."""
        return self._hours.office_hours.zone.key

    def routers(self) -> Sequence[APIRouter]:
        return [campaigns_api(self.desk), campaign_pages(self.desk, self._timezone)]


PLUGIN = Plugin("outbound", build=Outbound, models=(models,), commands=(
    CliGroup("campaigns", campaigns_app,
             "Outbound campaigns: create, import lists, start, watch, results."),
    CliGroup("dnc", dnc_app, "The do-not-call list: numbers no campaign dials."),))
