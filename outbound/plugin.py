"""Outbound campaigns as a domain: campaigns, their lists and the do-not-call list, the dialer
and the call scripts; the post-call survey; the campaign manager's pages and API,
``centralino campaigns`` and ``centralino dnc``."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence

import structlog
from fastapi import APIRouter
from sqlalchemy.engine import make_url

from centralino.core.calls.terms import CAMPAIGN_ENTRY
from centralino.core.domain import CliGroup, Core, Domain, Plugin
from centralino.core.hours.service import HoursService
from centralino.core.stasis import CallScript
from cti.tickets.desk import TicketDesk
from ivr.locations import sounds_location
from ivr.prompts import PromptStore
from outbound import models
from outbound.attempts import DatabaseAttempts
from outbound.call import CampaignCall
from outbound.campaigns import script_resolver
from outbound.cli import app as campaigns_app
from outbound.desk import CampaignDesk
from outbound.dialer import CampaignDialer, follow_results
from outbound.dnc import add_numbers
from outbound.dnc_cli import app as dnc_app
from outbound.http import campaigns_api
from outbound.pacing import Pacer
from outbound.pages import campaign_pages
from outbound.rules import Budget
from outbound.runner import ScriptPlan
from outbound.script_services import WorkflowScriptServices
from outbound.scripted_call import ScriptedCall, ScriptPlans
from outbound.service import OutboundService, RunningCampaign
from outbound.survey import SurveyScript
from outbound.terms import DncSource

log = structlog.get_logger(__name__)

SURVEY_ENTRY = "survey"  # Stasis(centralino,survey,...) after an operator hangs up


def engine_name() -> str:
    """This engine's name on the attempts it claims: its host and process."""
    return f"{socket.gethostname()}-{os.getpid()}"[:64]


class Outbound(Domain):
    """Dials the running campaigns; answered calls hear their scripts (Stasis ``campaign``);
    with ``acd.post_call_survey``, callers whose operator hung up answer the survey."""

    def __init__(self, core: Core) -> None:
        settings = core.settings.outbound
        self._sessions = core.sessions
        self._clock = core.clock
        self._survey = core.settings.acd.post_call_survey
        self._trunk = bool(core.settings.toll_free.outbound_contact)
        self._survey_plan: ScriptPlan | None = None
        self.plans = ScriptPlans(core.services.get(PromptStore), sounds_location(core.settings))
        attempts = DatabaseAttempts(
            core.sessions, engine_name(),
            Budget(settings.attempts_per_day, settings.attempts_per_week),
            writer=core.call_writes if _one_writer(core.settings.database_url) else None)
        self.service = OutboundService(
            attempts, CampaignDialer(core.ami), Pacer(settings), core.clock,
            lambda: core.ami.connected,
            default_caller_id=core.settings.toll_free.number, prepare=self._prepare)
        follow_results(core.ami, self.service.on_result)
        services = WorkflowScriptServices(core.sessions, core.services.get(TicketDesk),
                                          self._opt_out)
        self._scripts: dict[str, CallScript] = {CAMPAIGN_ENTRY: CampaignCall(
            ScriptedCall(attempts.context, self.plans, services, self.service.finish),
            self.service)}
        if self._survey is not None:
            self._scripts[SURVEY_ENTRY] = SurveyScript(self._loaded_survey, services,
                                                       core.sessions, core.clock)
        core.services.provide(OutboundService, self.service, by="outbound")
        self._hours = core.services.get(HoursService)
        self.desk = CampaignDesk(core.sessions, script_resolver(sounds_location(core.settings)),
                                 core.clock)

    def scripts(self) -> Mapping[str, CallScript]:
        return self._scripts

    def routers(self) -> Sequence[APIRouter]:
        return [campaigns_api(self.desk), campaign_pages(self.desk, self._timezone)]

    def _timezone(self) -> str:
        """The center's time zone, for the times on the pages."""
        return self._hours.office_hours.zone.key

    async def start(self) -> None:
        """Load the post-call survey's script (ConfigError if it has errors); start dialling,
        if calls can go out (``toll_free.outbound_contact``)."""
        if self._survey is not None:
            self._survey_plan = await self.plans.get(self._survey)
        if not self._trunk:  # every number would fail as if it did not exist
            log.warning("outbound.no_trunk", hint="set toll_free.outbound_contact: running "
                                                  "campaigns wait, nothing is dialled")
            return
        await self.service.start()

    async def stop(self) -> None:
        await self.service.stop()

    async def _prepare(self, campaign: RunningCampaign) -> None:
        await self.plans.prepare(campaign.scripts)

    def _loaded_survey(self) -> ScriptPlan:
        if self._survey_plan is None:
            raise RuntimeError("the post-call survey's script is not loaded yet")
        return self._survey_plan

    async def _opt_out(self, phone: str) -> None:
        """The opt-out key: ``phone`` (E.164) on the do-not-call list; an unknown number
        (anonymous, not a phone number) cannot be."""
        if not phone:
            log.info("outbound.opt_out_without_number")
            return
        async with self._sessions() as session:
            await add_numbers(session, [phone], DncSource.OPT_OUT, now=self._clock())


def _one_writer(database_url: str) -> bool:
    """Whether the dial loop's claims and results go through the engine's group commit: on
    SQLite (one writer, one engine claiming) it saves aiosqlite's hand-over per statement. On
    PostgreSQL each is a transaction of its own: engines sharing the database all store every
    dialplan result (each hears every ``CampaignResult``), and several of those in one shared
    transaction could deadlock with another engine's, failing the calls' writes beside them.
    """
    return make_url(database_url).get_backend_name() == "sqlite"


PLUGIN = Plugin("outbound", build=Outbound, models=(models,), commands=(
    CliGroup("campaigns", campaigns_app,
             "Outbound campaigns: create, import lists, start, watch, results."),
    CliGroup("dnc", dnc_app, "The do-not-call list: numbers no campaign dials."),))
