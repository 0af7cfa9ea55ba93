"""The engine's lifecycle: the core (database, AMI, ARI, bus, Stasis dispatcher, web app) and
the domains of :mod:`centralino.app.domains`, built, started and stopped in one loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import structlog
import uvicorn

from centralino.app.domains import PLUGINS
from centralino.core import ari_events, metrics
from centralino.core.ami import AmiClient
from centralino.core.ari import AriClient
from centralino.core.bus import EventBus
from centralino.core.calls.recorder import DatabaseCallLog
from centralino.core.db import (
    DatabaseUnavailable,
    check_database,
    create_engine,
    create_sync_engine,
    session_factory,
    upgrade_database,
)
from centralino.core.domain import Core, Domain, Plugin, Services
from centralino.core.gc_pauses import freeze_startup_objects, watch_gc_pauses
from centralino.core.group_commit import GroupCommit
from centralino.core.health import ComponentHealth, HealthReport
from centralino.core.hours.service import HoursService
from centralino.core.loop_lag import watch_loop_lag
from centralino.core.proxies import behind_proxies
from centralino.core.stasis import StasisDispatcher
from centralino.core.tasks import TaskSet
from centralino.core.web import create_web_app
from centralino.core.welcome import log_welcome
from config.secrets import Secrets
from config.settings import Settings

log = structlog.get_logger(__name__)

T = TypeVar("T")


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

    def __init__(self, settings: Settings, secrets: Secrets,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 plugins: Sequence[Plugin] = PLUGINS) -> None:
        """``clock`` says the time for office hours (tests inject one); ``plugins`` are the
        domains, in order (every domain of :mod:`centralino.app.domains`).

        Raises ConfigError if the menu file's office hours cannot be read.
        """
        self.settings = settings
        self._secrets = secrets
        self._db = create_engine(settings.database_url)
        self.sessions = session_factory(self._db)
        self._call_writes = GroupCommit(create_sync_engine(settings.database_url))
        self.bus = EventBus()
        metrics.follow_bus(self.bus)
        self.ari = AriClient(settings.asterisk, secrets.ari_password, self._on_ari_event,
                             event_types=ari_events.KNOWN_TYPES)
        self.ami = AmiClient(settings.asterisk, secrets.ami_secret)
        self.dispatcher = StasisDispatcher(  # its ARI connect hook first: calls before files
            self.ari, self.bus, DatabaseCallLog(self._call_writes, self.sessions), scripts={})
        self.services = Services()
        core = Core(settings=settings, secrets=secrets, sessions=self.sessions,
                    call_writes=self._call_writes, bus=self.bus, ami=self.ami, ari=self.ari,
                    clock=clock, services=self.services)
        self.domains: list[Domain] = []
        for plugin in plugins:
            if plugin.build is not None:
                domain = plugin.build(core)
                self.domains.append(domain)
                for entry, script in domain.scripts().items():
                    self.dispatcher.add_script(entry, script)
        metrics.ACTIVE_CALLS.set_function(lambda: self.dispatcher.active_calls)

    def service(self, key: type[T]) -> T:
        """What a domain provides under ``key`` (e.g. ``AcdPicture``)."""
        return self.services.get(key)

    def _web_server(self) -> _EmbeddedServer:
        routers = [router for domain in self.domains for router in domain.routers()]
        web = create_web_app(self.health, routers, session_key=self._secrets.session_key,
                             sessions=self.sessions, web=self.settings.web,
                             metrics_token=self._secrets.metrics_token,
                             control_token=self._secrets.control_token)
        return _EmbeddedServer(uvicorn.Config(
            behind_proxies(web, self.settings.web.trusted_proxies), host=self.settings.web.host,
            port=self.settings.web.port, log_config=None, lifespan="off", access_log=False,
            proxy_headers=False))  # web.trusted_proxies decides, not uvicorn's default

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
        """Run until ``stop`` is set.

        Raises DatabaseUnavailable if the database cannot be used, ConfigError if the menu file
        has errors, WebPortUnavailable if the web address is taken. Whatever started is
        stopped in reverse order, however the run ends.
        """
        async with contextlib.AsyncExitStack() as running:
            running.push_async_callback(self._db.dispose)
            await check_database(self._db)
            await upgrade_database(self.settings.database_url)
            running.push_async_callback(self._call_writes.close)
            running.push_async_callback(self.ami.close)
            running.push_async_callback(self.ari.close)
            serving = TaskSet()  # awaited once the domains ended their streams
            running.push_async_callback(serving.wait)
            for domain in self.domains:
                await domain.start()
                running.push_async_callback(domain.stop)
            listener = bind_listener(self.settings.web.host, self.settings.web.port)
            server = self._web_server()
            watch_gc_pauses()
            freeze_startup_objects()  # before the first call: no loop stall while calls run
            await self.ami.start()
            await self.ari.start()
            running.push_async_callback(self.dispatcher.stop)
            web_task = serving.spawn(server.serve(sockets=[listener]), name="web")
            lag_task = serving.spawn(watch_loop_lag(), name="loop-lag")
            running.callback(_stop_serving, server, lag_task)
            running.push_async_callback(self._log_stopping)
            log.info("engine.started",
                     web=f"http://{self.settings.web.host}:{self.settings.web.port}",
                     asterisk=self.settings.asterisk.host)
            await log_welcome(self.settings, self.service(HoursService).status_json(),
                              self.sessions)
            either: list[asyncio.Future[Any]] = [web_task, asyncio.ensure_future(stop.wait())]
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            if web_task.done() and web_task.exception():
                raise web_task.exception()  # type: ignore[misc]
        log.info("engine.stopped")

    async def _log_stopping(self) -> None:
        log.info("engine.stopping", active_calls=self.dispatcher.active_calls)


def _stop_serving(server: _EmbeddedServer, lag_task: asyncio.Future[None]) -> None:
    """No new web requests; the open ones (live streams, consoles) end with their domains."""
    server.should_exit = True
    lag_task.cancel()
