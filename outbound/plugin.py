"""Outbound campaigns as a domain: campaigns, their lists and the do-not-call list, the dialer
and the call scripts; the post-call survey (``acd.post_call_survey``)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import structlog

from centralino.core.domain import Core, Domain, Plugin
from centralino.core.stasis import CallScript
from cti.tickets.desk import TicketDesk
from ivr.locations import media_dirs, sounds_location
from ivr.prompts import PromptStore
from outbound import models
from outbound.dnc import add_numbers
from outbound.runner import ScriptPlan, load_script_plan
from outbound.script_services import WorkflowScriptServices
from outbound.survey import SurveyScript
from outbound.terms import DncSource

log = structlog.get_logger(__name__)


class Outbound(Domain):
    def __init__(self, core: Core) -> None:
        self._sessions = core.sessions
        self._settings = core.settings
        self._clock = core.clock
        self._survey_plan: ScriptPlan | None = None
        self._scripts: dict[str, CallScript] = {}
        if core.settings.acd.post_call_survey is not None:
            services = WorkflowScriptServices(core.sessions, core.services.get(TicketDesk),
                                              self._add_dnc)
            self._scripts["survey"] = SurveyScript(self._loaded_survey, services,
                                                   core.sessions, core.clock)

    def scripts(self) -> Mapping[str, CallScript]:
        return self._scripts

    async def start(self) -> None:
        """Load the post-call survey's script (ConfigError if it has errors)."""
        survey = self._settings.acd.post_call_survey
        if survey is not None:
            self._survey_plan = await asyncio.to_thread(
                load_script_plan, survey, PromptStore(*media_dirs(self._settings)),
                sounds=sounds_location(self._settings))

    def _loaded_survey(self) -> ScriptPlan:
        if self._survey_plan is None:
            raise RuntimeError("the post-call survey's script is not loaded yet")
        return self._survey_plan

    async def _add_dnc(self, phone: str) -> None:
        """The opt-out key: ``phone`` (E.164) on the do-not-call list; an unknown number
        (anonymous, not a phone number) cannot be."""
        if not phone:
            log.info("outbound.opt_out_without_number")
            return
        async with self._sessions() as session:
            await add_numbers(session, [phone], DncSource.OPT_OUT, now=self._clock())


PLUGIN = Plugin("outbound", build=Outbound, models=(models,))
