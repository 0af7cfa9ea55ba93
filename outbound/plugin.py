"""Outbound campaigns as a domain: campaigns, their lists and the do-not-call list, the dialer
and the call scripts."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

from centralino.core.calls.terms import CAMPAIGN_ENTRY
from centralino.core.domain import Core, Domain, Plugin
from centralino.core.stasis import CallScript
from cti.tickets.desk import TicketDesk
from ivr.locations import sounds_location
from ivr.prompts import PromptStore
from outbound import dnc, models
from outbound.attempts import DatabaseAttempts
from outbound.call import CampaignCall
from outbound.dialer import CampaignDialer, follow_results
from outbound.pacing import Pacer
from outbound.rules import Budget
from outbound.script_services import WorkflowScriptServices
from outbound.scripted_call import ScriptedCall, ScriptPlans
from outbound.service import OutboundService, RunningCampaign
from outbound.terms import DncSource


def engine_name() -> str:
    """This engine's name on the attempts it claims: its host and process."""
    return f"{socket.gethostname()}-{os.getpid()}"[:64]


class Outbound(Domain):
    """Dials the running campaigns; answered calls hear their scripts (Stasis ``campaign``)."""

    def __init__(self, core: Core) -> None:
        settings = core.settings.outbound
        self._sessions = core.sessions
        self._clock = core.clock
        self.plans = ScriptPlans(core.services.get(PromptStore), sounds_location(core.settings))
        self.service = OutboundService(
            DatabaseAttempts(core.sessions, engine_name(),
                             Budget(settings.attempts_per_day, settings.attempts_per_week)),
            CampaignDialer(core.ami), Pacer(settings), core.clock, lambda: core.ami.connected,
            default_caller_id=core.settings.toll_free.number, prepare=self._prepare)
        follow_results(core.ami, self.service.on_result)
        services = WorkflowScriptServices(core.sessions, core.services.get(TicketDesk),
                                          self._opt_out, core.bus)
        self._call = CampaignCall(ScriptedCall(core.sessions, self.plans, services,
                                               self.service.finish), self.service)
        core.services.provide(OutboundService, self.service, by="outbound")

    def scripts(self) -> Mapping[str, CallScript]:
        return {CAMPAIGN_ENTRY: self._call}

    async def start(self) -> None:
        await self.service.start()

    async def stop(self) -> None:
        await self.service.stop()

    async def _prepare(self, campaign: RunningCampaign) -> None:
        await self.plans.prepare(campaign.scripts)

    async def _opt_out(self, phone: str) -> None:
        async with self._sessions() as session:
            await dnc.add_numbers(session, [phone], DncSource.OPT_OUT, now=self._clock())


PLUGIN = Plugin("outbound", build=Outbound, models=(models,))
