"""The office hours as a domain: the override service, ``/api/hours``, ``centralino hours``."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from centralino.core.domain import CliGroup, Core, Domain, Plugin
from centralino.core.hours import models
from centralino.core.hours.cli import app as hours_app
from centralino.core.hours.http import hours_router
from centralino.core.hours.rules import OfficeHours
from centralino.core.hours.service import HoursService
from config.loader import load_yaml_model
from config.menu import MenuFile


class Hours(Domain):
    """Provides :class:`HoursService`; its office hours are the menu file's ``hours:`` block
    (the IVR replaces them when it reloads the menu)."""

    def __init__(self, core: Core) -> None:
        menu = load_yaml_model(core.settings.ivr.menu_file, MenuFile)
        self.service = HoursService(OfficeHours(menu.hours), core.sessions, clock=core.clock)
        core.services.provide(HoursService, self.service, by="hours")

    def routers(self) -> Sequence[APIRouter]:
        return [hours_router(self.service)]

    async def start(self) -> None:
        await self.service.start()

    async def stop(self) -> None:
        await self.service.stop()


PLUGIN = Plugin(
    "hours", build=Hours, models=(models,),
    commands=(CliGroup("hours", hours_app, "Office hours: the override and the state now."),))
