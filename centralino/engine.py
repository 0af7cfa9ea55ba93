"""The engine's lifecycle: database, AMI, ARI, Stasis dispatcher and web app, in one loop."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import structlog
import uvicorn

from acd.callback_dialer import CallbackDialer, follow_results
from acd.http import seats_router
from acd.operators import OperatorDesk
from acd.state import AcdPicture
from acd.sync import follow_asterisk
from centralino import ari_events, metrics
from centralino.ami import AmiClient
from centralino.ari import AriClient
from centralino.bus import EventBus
from centralino.calls.recorder import DatabaseCallLog
from centralino.db import (
    DatabaseUnavailable,
    check_database,
    create_engine,
    create_sync_engine,
    session_factory,
    upgrade_database,
)
from centralino.gc_pauses import freeze_startup_objects, watch_gc_pauses
from centralino.group_commit import GroupCommit
from centralino.health import ComponentHealth, HealthReport
from centralino.loop_lag import watch_loop_lag
from centralino.stasis import StasisDispatcher
from centralino.web import create_web_app
from config.loader import ConfigError
from config.secrets import Secrets
from config.settings import Settings
from cti.callback_service import CallbackService
from cti.callback_store import callback_recording
from cti.desk import TicketDesk
from cti.plugin import CtiWeb
from cti.status_page import status_page_router
from ivr.hours import CenterStatus
from ivr.hours_http import hours_router
from ivr.hours_service import HoursService
from ivr.locations import media_dirs, sounds_location
from ivr.plan import MenuPlan, MenuPlans
from ivr.prompts import PromptStore
from ivr.reload_http import reload_router
from ivr.runner import IvrScript, OverflowScript
from recordings.access import OWNERSHIP_CHECKS
from recordings.capture import VoicemailRecorder
from recordings.conversation import ConversationRecordings, prepare_notices
from recordings.http import recordings_router
from recordings.ingest import RecordingIngester
from recordings.retention_job import PurgeSchedule, RetentionScheduler
from recordings.transcription import Transcriber
from recordings.transcription_service import VoicemailTranscription

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

    def __init__(self, settings: Settings, secrets: Secrets,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        """``clock`` says the time for office hours (tests inject one)."""
        self.settings = settings
        self._session_key = secrets.session_key
        self._db = create_engine(settings.database_url)
        self.sessions = sessions = session_factory(self._db)
        self._call_writes = GroupCommit(create_sync_engine(settings.database_url))
        self.bus = EventBus()
        metrics.follow_bus(self.bus)
        self.tickets = TicketDesk(self._call_writes, sessions, self.bus, secrets.pin_key)
        self.menus = MenuPlans(settings.ivr.menu_file, PromptStore(*media_dirs(settings)),
                               sounds_location(settings))
        self._clock = clock
        self._background: set[asyncio.Task[None]] = set()
        self.hours: HoursService | None = None
        self.ari = AriClient(settings.asterisk, secrets.ari_password, self._on_ari_event,
                             event_types=ari_events.KNOWN_TYPES)
        self.recordings = RecordingIngester(self.ari, sessions, settings.recordings, self.bus)
        voicemail = VoicemailRecorder(self.recordings, self.bus)
        self.transcriber = Transcriber(settings.transcription)
        self.transcription = VoicemailTranscription(self.transcriber, sessions,
                                                    settings.recordings.dir, self.bus)
        self.dispatcher = StasisDispatcher(
            self.ari, self.bus, DatabaseCallLog(self._call_writes, sessions),
            scripts={"tollfree": IvrScript(self.menus, self.tickets, voicemail,
                                           self._center_status),
                     "overflow": OverflowScript(self.menus, self.tickets, voicemail)},
        )
        self.ari.add_connect_hook(self.recordings.on_ari_connected)  # after the dispatcher's
        self.ami = AmiClient(settings.asterisk, secrets.ami_secret)
        self.acd = AcdPicture(settings.acd, settings.seats.names, self.bus)
        follow_asterisk(self.ami, self.acd)
        ConversationRecordings(self.recordings).follow(self.ami)
        retention = settings.recordings.retention_days
        self.retention = RetentionScheduler(PurgeSchedule(
            settings.database_url, str(settings.recordings.dir.absolute()),
            retention.voicemail, retention.conversation))
        self.callbacks = CallbackService(sessions, self.bus,
                                         CallbackDialer(self.ami, settings.callbacks), self.acd,
                                         settings.callbacks, clock)
        follow_results(self.ami, self.callbacks.on_result)
        self.cti_web = CtiWeb(sessions, self.bus, self.acd,
                              OperatorDesk(self.ami, settings.acd, settings.seats.names),
                              lambda: self.menus.current.menu, settings.acd.pause_reasons,
                              callbacks=self.callbacks)
        metrics.ACTIVE_CALLS.set_function(lambda: self.dispatcher.active_calls)

    def _center_status(self) -> CenterStatus:
        assert self.hours is not None, "the engine is not running"
        return self.hours.status()

    async def reload_menu(self) -> MenuPlan:
        """Load the menu file again; calls in progress keep the plan they started with.

        Raises ConfigError (the old menu stays) if the new file has errors.
        """
        plan = await self.menus.reload()
        if self.hours is not None:
            self.hours.office_hours = plan.office_hours
        log.info("ivr.menu_reloaded", file=str(plan.source), nodes=len(plan.menu.nodes))
        return plan

    def _web_server(self, hours: HoursService) -> _EmbeddedServer:
        routers = [hours_router(hours), reload_router(self.reload_menu),
                   status_page_router(self.sessions, timezone=hours.office_hours.zone.key),
                   seats_router(self.acd), *self.cti_web.routers(),
                   recordings_router(self.sessions, self.settings.recordings.dir,
                                     ownership=(*OWNERSHIP_CHECKS, callback_recording))]
        web = create_web_app(self.health, routers, session_key=self._session_key,
                             sessions=self.sessions)
        return _EmbeddedServer(uvicorn.Config(
            web, host=self.settings.web.host, port=self.settings.web.port, log_config=None,
            lifespan="off", access_log=False))

    def _reload_on_signal(self) -> None:
        async def reload() -> None:
            try:
                await self.reload_menu()
            except ConfigError as exc:
                log.error("ivr.menu_reload_refused", problems=[str(p) for p in exc.problems])

        task = asyncio.create_task(reload(), name="menu-reload")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

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
        has errors, WebPortUnavailable if the web address is taken.
        """
        await check_database(self._db)
        await upgrade_database(self.settings.database_url)
        plan = await self.menus.reload()
        self.hours = hours = HoursService(plan.office_hours, self.sessions, clock=self._clock)
        await hours.start()
        await self.callbacks.start(hours)
        if self.settings.acd.record_calls:
            await prepare_notices(PromptStore(*media_dirs(self.settings)),
                                  media_dirs(self.settings)[0], self.settings.acd.recording_notice)
        listener = bind_listener(self.settings.web.host, self.settings.web.port)
        server = self._web_server(hours)
        watch_gc_pauses()
        freeze_startup_objects()  # before the first call: no loop stall while calls run
        await self.ami.start()
        await self.ari.start()
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
            loop.add_signal_handler(signal.SIGHUP, self._reload_on_signal)
        await self.retention.start()
        web_task = asyncio.create_task(server.serve(sockets=[listener]), name="web")
        lag_task = asyncio.create_task(watch_loop_lag(), name="loop-lag")
        recordings_task = asyncio.create_task(self.recordings.keep_reconciling(),
                                              name="recordings-reconcile")
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
            await self._call_writes.close()
            await self.cti_web.stop()
            await self.callbacks.stop()
            await self.transcription.close()
            await self.transcriber.close()
            await self.ari.close()
            await self.ami.close()
            await hours.stop()
            await self.retention.stop()
            server.should_exit = True
            lag_task.cancel()
            recordings_task.cancel()
            await asyncio.gather(web_task, lag_task, recordings_task, return_exceptions=True)
            await self._db.dispose()
            log.info("engine.stopped")
