"""The ACD as a domain: the seats' picture kept from AMI, operator actions, ``GET /api/seats``,
``centralino seats | operator``."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from acd.cli import operator_app, seats_app
from acd.http import seats_router
from acd.operators import OperatorDesk
from acd.state import AcdPicture
from acd.sync import follow_asterisk
from centralino.core.domain import CliGroup, Core, Domain, Plugin


class Acd(Domain):
    """Provides :class:`AcdPicture` and :class:`OperatorDesk`."""

    def __init__(self, core: Core) -> None:
        settings = core.settings
        self.picture = AcdPicture(settings.acd, settings.seats.names, core.bus)
        follow_asterisk(core.ami, self.picture)
        core.services.provide(AcdPicture, self.picture, by="acd")
        core.services.provide(OperatorDesk, OperatorDesk(core.ami, settings.acd,
                                                         settings.seats.names), by="acd")

    def routers(self) -> Sequence[APIRouter]:
        return [seats_router(self.picture)]


PLUGIN = Plugin("acd", build=Acd, commands=(
    CliGroup("seats", seats_app, "Operator seats: who is where, in what state."),
    CliGroup("operator", operator_app, "Operators: log in, pause, ready, log out."),
))
