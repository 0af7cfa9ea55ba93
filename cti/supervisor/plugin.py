"""The supervisor's live view as a domain: today's queue numbers from the bus, seats and
waiting callers from the ACD, streamed to the page."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from acd.state import AcdPicture
from centralino.core.domain import Core, Domain, Plugin
from centralino.core.hours.service import HoursService
from cti.supervisor.http import LiveBoard, supervisor_router
from cti.supervisor.queue_stats import SERVICE_LEVEL_SECONDS, QueueDayStats


class Supervisor(Domain):
    """Provides :class:`LiveBoard`."""

    def __init__(self, core: Core) -> None:
        self._sessions = core.sessions
        self._hours = core.services.get(HoursService)
        stats = QueueDayStats(core.bus, self._timezone, SERVICE_LEVEL_SECONDS)
        self.board = LiveBoard(core.services.get(AcdPicture), stats, core.bus)
        core.services.provide(LiveBoard, self.board, by="supervisor")

    def _timezone(self) -> str:
        """What "today" is: the office hours' time zone."""
        return self._hours.office_hours.zone.key

    def routers(self) -> Sequence[APIRouter]:
        return [supervisor_router(self.board, self._sessions, self._timezone)]

    async def stop(self) -> None:
        """End the live view's streams."""
        self.board.close()


PLUGIN = Plugin("supervisor", build=Supervisor)
