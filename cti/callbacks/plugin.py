"""Callbacks as a domain: tasks made from the bus's events, called back from a seat, the
operators' callback list, ``centralino callbacks``."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from acd.state import AcdPicture
from centralino.core.domain import CliGroup, Core, Domain, Plugin
from centralino.core.hours.service import HoursService
from cti.callbacks import models
from cti.callbacks.cli import app as callbacks_app
from cti.callbacks.dialer import CallbackDialer, follow_results
from cti.callbacks.http import callbacks_router
from cti.callbacks.service import CallbackService
from cti.callbacks.store import callback_recording
from recordings.plugin import OwnershipChecks


class Callbacks(Domain):
    """Provides :class:`CallbackService`; lets operators open the recordings of their tasks."""

    def __init__(self, core: Core) -> None:
        settings = core.settings.callbacks
        self._sessions = core.sessions
        self._hours = core.services.get(HoursService)
        self.service = CallbackService(core.sessions, core.bus,
                                       CallbackDialer(core.ami, settings),
                                       core.services.get(AcdPicture), settings, core.clock,
                                       outbound_trunk=bool(
                                           core.settings.toll_free.outbound_contact))
        follow_results(core.ami, self.service.on_result)
        core.services.provide(CallbackService, self.service, by="callbacks")
        core.services.get(OwnershipChecks).append(callback_recording)

    def routers(self) -> Sequence[APIRouter]:
        return [callbacks_router(self._sessions, self.service)]

    async def start(self) -> None:
        await self.service.start(self._hours)

    async def stop(self) -> None:
        await self.service.stop()


PLUGIN = Plugin("callbacks", build=Callbacks, models=(models,), commands=(
    CliGroup("callbacks", callbacks_app,
             "Callers to call back: voicemails, abandoned and missed calls."),))
