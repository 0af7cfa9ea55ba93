"""The engine's lifecycle: database, AMI, ARI, Stasis dispatcher and web app, in one loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import structlog
import uvicorn

from centralino import metrics
from centralino.ami import AmiClient
from centralino.ari import AriClient
from centralino.bus import EventBus
from centralino.calls.recorder import DatabaseCallLog
from centralino.db import (
    DatabaseUnavailable,
    check_database,
    create_engine,
    session_factory,
    upgrade_database,
)
from centralino.health import ComponentHealth, HealthReport
from centralino.loop_lag import watch_loop_lag
from centralino.stasis import StasisDispatcher
from centralino.web import create_web_app
from config.secrets import Secrets
from config.settings import Settings
from cti.desk import TicketDesk
from ivr.welcome import WelcomeScript

log = structlog.get_logger(__name__)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: the engine decides when to stop."""

    def install_signal_handlers(self) -> None:
        pass

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class WebPortUnavailable(Exception):
    """The web app's address cannot be bound."""


def bind_listener(host: str, port: int) -> socket.socket:
    """Bind the web app's socket up front, so a taken port is a clear error, not a dying task."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise WebPortUnavailable(
            f"cannot listen on {host}:{port} (web.host/web.port): {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


class Engine:
    """Everything ``centralino run`` starts, wired together."""

    def __init__(self, settings: Settings, secrets: Secrets) -> None:
        self.settings = settings
        self._db = create_engine(settings.database_url)
        self.sessions = sessions = session_factory(self._db)
        self.bus = EventBus()
        metrics.follow_bus(self.bus)
        self.tickets = TicketDesk(sessions, self.bus)
        self.ari = AriClient(settings.asterisk, secrets.ari_password, self._on_ari_event)
        self.dispatcher = StasisDispatcher(
            self.ari, self.bus, DatabaseCallLog(sessions),
            scripts={"tollfree": WelcomeScript(settings.prompts, self.tickets.open_for_call)},
        )
        self.ami = AmiClient(settings.asterisk, secrets.ami_secret)
        metrics.ACTIVE_CALLS.set_function(lambda: self.dispatcher.active_calls)
        web = create_web_app(self.health)
        self._web = _EmbeddedServer(uvicorn.Config(
            web, host=settings.web.host, port=settings.web.port, log_config=None,
            lifespan="off", access_log=False))

    def _on_ari_event(self, event: dict) -> None:
        self.dispatcher.handle_event(event)

    async def health(self) -> HealthReport:
        try:
            await check_database(self._db)
            database = ComponentHealth(True)
        except DatabaseUnavailable as exc:
            database = ComponentHealth(False, str(exc))
        metrics.DB_UP.set(1 if database.up else 0)
        return HealthReport(
            ami=ComponentHealth(self.ami.connected, self.ami.last_error),
            ari=ComponentHealth(self.ari.connected, self.ari.last_error),
            database=database,
            active_calls=self.dispatcher.active_calls,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set. Raises DatabaseUnavailable if the database cannot be used."""
        await check_database(self._db)
        await upgrade_database(self.settings.database_url)
        listener = bind_listener(self.settings.web.host, self.settings.web.port)
        await self.ami.start()
        await self.ari.start()
        web_task = asyncio.create_task(self._web.serve(sockets=[listener]), name="web")
        lag_task = asyncio.create_task(watch_loop_lag(), name="loop-lag")
        log.info("engine.started", web=f"http://{self.settings.web.host}:{self.settings.web.port}",
                 asterisk=self.settings.asterisk.host)
        try:
            await asyncio.wait({web_task, asyncio.create_task(stop.wait())},
                               return_when=asyncio.FIRST_COMPLETED)
            if web_task.done() and web_task.exception():
                raise web_task.exception()  # type: ignore[misc]
        finally:
            log.info("engine.stopping", active_calls=self.dispatcher.active_calls)
            await self.dispatcher.stop()
            await self.ari.close()
            await self.ami.close()
            self._web.should_exit = True
            lag_task.cancel()
            await asyncio.gather(web_task, lag_task, return_exceptions=True)
            await self._db.dispose()
            log.info("engine.stopped")
