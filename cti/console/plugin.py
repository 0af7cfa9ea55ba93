"""The operator console as a domain: screen-pops over each console's WebSocket, the console's
page and forms."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from acd.operators import OperatorDesk
from acd.state import AcdPicture
from centralino.core.domain import Core, Domain, Plugin
from config.menu import MenuFile
from cti.callbacks.service import CallbackService
from cti.console.http import console_router
from cti.console.screen_pop import ScreenPopService
from ivr.plan import MenuPlans


class Console(Domain):
    def __init__(self, core: Core) -> None:
        self._core = core
        self._menus = core.services.get(MenuPlans)
        self.pops = ScreenPopService(core.sessions, core.bus, self._menu)

    def _menu(self) -> MenuFile:
        return self._menus.current.menu

    def routers(self) -> Sequence[APIRouter]:
        services, settings = self._core.services, self._core.settings
        return [console_router(self._core.sessions, self.pops, services.get(AcdPicture),
                               services.get(OperatorDesk), self._menu,
                               list(settings.acd.pause_reasons),
                               services.get(CallbackService))]

    async def stop(self) -> None:
        """Cancel the pops and assignments being worked on."""
        await self.pops.stop()


PLUGIN = Plugin("console", build=Console)
