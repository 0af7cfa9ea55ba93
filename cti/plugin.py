"""The CTI's live side, wired once for the engine: screen-pops to the operators' consoles, the
operator console and the supervisor's live view (:mod:`cti.screen_pop`, :mod:`cti.console`,
:mod:`cti.supervisor`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.bus import EventBus
from config.menu import MenuFile
from cti.callback_web import CallbackCalls, callbacks_router
from cti.console import OperatorActions, console_router
from cti.queue_outcomes import QueueOutcomeLog
from cti.queue_stats import SERVICE_LEVEL_SECONDS, QueueDayStats
from cti.screen_pop import ScreenPopService
from cti.supervisor import AcdView, LiveBoard, supervisor_router


class CtiWeb:
    """Subscribes to the bus when made; :meth:`routers` for the web app, :meth:`stop` at exit."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], bus: EventBus, acd: AcdView,
                 operators: OperatorActions, menu: Callable[[], MenuFile],
                 pause_reasons: Sequence[str],
                 service_level_seconds: int = SERVICE_LEVEL_SECONDS,
                 callbacks: CallbackCalls | None = None) -> None:
        """``menu`` gives the current menu file: its classifications, and its hours' time zone
        says what "today" is. ``callbacks`` (the callback service) adds the callback list."""
        self._sessions = sessions
        self._acd = acd
        self._operators = operators
        self._menu = menu
        self._pause_reasons = list(pause_reasons)
        self._callbacks = callbacks
        self.pops = ScreenPopService(sessions, bus, menu)
        self.queue_outcomes = QueueOutcomeLog(sessions, bus)
        stats = QueueDayStats(bus, self._timezone, service_level_seconds)
        self.board = LiveBoard(acd, stats, bus)

    def routers(self) -> list[APIRouter]:
        routers = [console_router(self._sessions, self.pops, self._acd, self._operators,
                                  self._menu, self._pause_reasons, self._callbacks),
                   supervisor_router(self.board, self._sessions, self._timezone)]
        if self._callbacks is not None:
            routers.append(callbacks_router(self._sessions, self._callbacks))
        return routers

    async def stop(self) -> None:
        """End the live view's streams; cancel the pops and assignments being worked on; let
        the queue outcomes being written finish."""
        self.board.close()
        await self.pops.stop()
        await self.queue_outcomes.stop()

    def _timezone(self) -> str:
        return self._menu().hours.timezone
