"""The IVR as a domain: the toll-free and overflow call scripts, the menu file and its reload
(``POST /api/ivr/reload``, SIGHUP), the recording notice, and ``centralino config check``."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Mapping, Sequence

import structlog
from fastapi import APIRouter

from centralino.core.domain import Core, Domain, Plugin
from centralino.core.hours.service import HoursService
from centralino.core.stasis import CallScript
from centralino.core.tasks import TaskSet
from config.loader import ConfigError
from cti.tickets.desk import TicketDesk
from ivr.http import reload_router
from ivr.locations import media_dirs, sounds_location
from ivr.notices import prepare_notices
from ivr.plan import MenuPlan, MenuPlans
from ivr.prompts import PromptStore
from ivr.runner import IvrScript, OverflowScript
from recordings.capture import VoicemailRecorder

log = structlog.get_logger(__name__)


class Ivr(Domain):
    """Provides :class:`MenuPlans` (the menu in force) and its :class:`PromptStore`."""

    def __init__(self, core: Core) -> None:
        self._settings = core.settings
        self._prompts = PromptStore(*media_dirs(core.settings))
        self.menus = MenuPlans(core.settings.ivr.menu_file, self._prompts,
                               sounds_location(core.settings))
        core.services.provide(MenuPlans, self.menus, by="ivr")
        core.services.provide(PromptStore, self._prompts, by="ivr")
        self._hours = core.services.get(HoursService)
        desk = core.services.get(TicketDesk)
        voicemail = core.services.get(VoicemailRecorder)
        self._scripts: dict[str, CallScript] = {
            "tollfree": IvrScript(self.menus, desk, voicemail, self._hours.status),
            "overflow": OverflowScript(self.menus, desk, voicemail),
        }
        self._reloads = TaskSet()

    def scripts(self) -> Mapping[str, CallScript]:
        return self._scripts

    def routers(self) -> Sequence[APIRouter]:
        return [reload_router(self.reload_menu)]

    async def reload_menu(self) -> MenuPlan:
        """Load the menu file again; calls in progress keep the plan they started with.

        Raises ConfigError (the old menu stays) if the new file has errors.
        """
        plan = await self.menus.reload()
        self._hours.office_hours = plan.office_hours
        log.info("ivr.menu_reloaded", file=str(plan.source), nodes=len(plan.menu.nodes))
        return plan

    async def start(self) -> None:
        """Load the menu (ConfigError if it has errors), render the recording notice, and
        reload the menu on SIGHUP."""
        plan = await self.menus.reload()
        self._hours.office_hours = plan.office_hours
        if self._settings.acd.record_calls:
            await prepare_notices(self._prompts, media_dirs(self._settings)[0],
                                  self._settings.acd.recording_notice)
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
            loop.add_signal_handler(signal.SIGHUP, self._reload_on_signal)

    async def stop(self) -> None:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        await self._reloads.cancel_all()

    def _reload_on_signal(self) -> None:
        async def reload() -> None:
            try:
                await self.reload_menu()
            except ConfigError as exc:
                log.error("ivr.menu_reload_refused", problems=[str(p) for p in exc.problems])

        self._reloads.spawn(reload(), name="menu-reload")


PLUGIN = Plugin("ivr", build=Ivr)
