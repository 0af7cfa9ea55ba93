"""The AMI client: panoramisk 1.4 with the gaps that matter in production filled in.

What panoramisk gives: the protocol, login, EventList responses, event dispatch, and re-sending
of actions left unanswered by a lost connection once the new session is fully booted.

What this wrapper adds:

- its own connection loop: capped exponential backoff (``asterisk.reconnect``), forever, never
  blocking the event loop, one log line per state change (panoramisk retries every 2 s and logs
  every attempt);
- a timeout on every action (panoramisk's futures can wait forever);
- a Ping watchdog that aborts a connection Asterisk no longer answers on (panoramisk's Ping is
  fire-and-forget, so a half-open TCP connection would never be noticed);
- ``Originate`` is never re-sent after a reconnect (it could dial twice): its caller gets
  :class:`AmiConnectionLost` instead;
- login hooks to resync state after each (re)login, and Prometheus metrics.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from panoramisk import Manager
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from centralino.core import metrics
from centralino.core.backoff import Backoff
from centralino.core.tasks import TaskSet, cancel_and_wait
from config.settings import AsteriskSettings

log = structlog.get_logger(__name__)

EventCallback = Callable[[Message], Awaitable[None] | None]
LoginHook = Callable[[], Awaitable[None]]

FORGETABLE_ACTIONS = ("ping", "login", "logoff", "originate")
"""Actions (lower case) never re-sent on a new connection if the old one died before an answer."""


class MalformedEvent(ValueError):
    """An AMI message of a known type that does not have the expected fields."""


class AmiError(Exception):
    """Something went wrong talking to Asterisk over AMI."""


class AmiUnavailable(AmiError):
    """The client is not logged in to Asterisk right now."""


class AmiActionTimeout(AmiError):
    """Asterisk did not answer an action in time."""


class AmiConnectionLost(AmiError):
    """The connection died before Asterisk answered an action that is never re-sent (Originate).

    Whether Asterisk executed it is unknown: make the action idempotent on your side.
    """


def _drop_event(*_: Any) -> Any:
    raise structlog.DropEvent


class _Manager(Manager):
    """panoramisk's Manager without its fixed-interval reconnect timer and its blind Ping."""

    pinger: asyncio.TimerHandle | None

    def __init__(self, on_lost: Callable[[Any], None], **config: Any) -> None:
        super().__init__(**config)
        self._on_lost = on_lost

    def ping(self) -> None:
        """Replaced by :meth:`AmiClient._watchdog`, which waits for the answer."""

    def connection_lost(self, exc: Any) -> None:
        self._connected = False
        self.authenticated = False
        if self.pinger:
            self.pinger.cancel()
            self.pinger = None
        self._on_lost(exc)


class AmiClient:
    """One AMI connection to Asterisk, kept alive in the background."""

    def __init__(self, settings: AsteriskSettings, secret: str, *, probe: bool = False) -> None:
        """``probe=True`` for short-lived checks (the sandbox's boot wait): no metrics, no logs."""
        self._settings = settings
        self._track_metrics = not probe
        self._log = log.bind(address=f"{settings.host}:{settings.ami.port}")
        if probe:
            self._log = structlog.wrap_logger(None, processors=[_drop_event])
        self._manager = _Manager(
            self._on_connection_lost,
            host=settings.host,
            port=settings.ami.port,
            username=settings.ami.username,
            secret=secret,
            events="on",
            ping_delay=3600,
            forgetable_actions=FORGETABLE_ACTIONS,
            log=logging.getLogger("panoramisk"),
        )
        self._manager.register_event("*", self._count_event)
        self._manager.register_event("FullyBooted", self._on_fully_booted)
        self.connected = False
        self.last_error: str | None = None
        self._login_hooks: list[LoginHook] = []
        self._inflight: dict[asyncio.Future[Any], str] = {}
        self._tasks = TaskSet(failure_event="ami.callback_failed")
        self._runner: asyncio.Task[None] | None = None
        self._lost: asyncio.Future[Any] | None = None
        self._booted_seen = False  # FullyBooted arrived on this session (maybe before login ended)
        self._booted = asyncio.Event()  # ... and the client is logged in
        self._logged_error: str | None = None

    @property
    def address(self) -> str:
        return f"{self._settings.host}:{self._settings.ami.port}"

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Start connecting in the background; returns at once, even if Asterisk is down."""
        if self._runner is not None:
            return
        self._manager.loop = asyncio.get_running_loop()
        self._runner = asyncio.create_task(self._run(), name="ami-connection")

    async def close(self) -> None:
        """Close the connection and stop reconnecting; pending actions fail with AmiUnavailable."""
        runner, self._runner = self._runner, None
        await cancel_and_wait(runner)
        self._manager.close()
        await self._tasks.cancel_all()
        self._fail_inflight(lambda name: True, AmiUnavailable("the AMI client was closed"))
        self._set_connected(False)

    async def wait_fully_booted(self, timeout: float) -> None:
        """Return once Asterisk said ``FullyBooted`` on this session; TimeoutError otherwise."""
        async with asyncio.timeout(timeout):
            await self._booted.wait()

    # -- actions and events ----------------------------------------------------------------

    async def send_action(self, action: dict[str, Any], timeout: float | None = None,
                          as_list: bool | None = None) -> Message | list[Message]:
        """Send ``action`` and return Asterisk's response (a list for EventList answers).

        An ``Response: Error`` answer is returned, not raised: check ``response.success``.
        Raises AmiUnavailable when not logged in, AmiActionTimeout after ``timeout`` seconds
        (default ``asterisk.ami.action_timeout``), AmiConnectionLost for an unanswered Originate
        whose connection died.
        """
        name = next((str(v) for k, v in action.items() if k.lower() == "action"), "")
        if not name:
            raise ValueError("an AMI action needs an 'Action' key")
        if not self.connected:
            raise AmiUnavailable(f"not connected to Asterisk AMI at {self.address}"
                                 + (f" ({self.last_error})" if self.last_error else ""))
        future = self._manager.send_action(dict(action), as_list=as_list)
        self._inflight[future] = name.lower()
        limit = self._settings.ami.action_timeout if timeout is None else timeout
        try:
            return await asyncio.wait_for(future, limit)
        except TimeoutError:
            raise AmiActionTimeout(f"AMI action {name} got no answer in {limit:g} s") from None
        finally:
            self._inflight.pop(future, None)

    async def command(self, cli: str, timeout: float | None = None) -> str:
        """Run an Asterisk CLI command (``Action: Command``) and return its output text."""
        response = await self.send_action({"Action": "Command", "Command": cli}, timeout)
        assert isinstance(response, Message)
        if not response.success:
            raise AmiError(f"CLI command {cli!r} failed: {response.get('Message', '')}")
        output = response.get("Output", "")
        return "\n".join(output) if isinstance(output, list) else str(output)

    def on_event(self, name_or_pattern: str, callback: EventCallback) -> None:
        """Call ``callback(event)`` for every event whose name matches (fnmatch, e.g. ``Queue*``).

        Coroutine callbacks run as tasks; their exceptions are logged, never lost.
        """
        def dispatch(_manager: Manager, event: Message) -> None:
            self._run_callback(callback, event)

        self._manager.register_event(name_or_pattern, dispatch)

    def add_login_hook(self, hook: LoginHook) -> None:
        """Run ``await hook()`` after each successful (re)login, e.g. to resync queue state."""
        self._login_hooks.append(hook)

    # -- internals -------------------------------------------------------------------------

    def _count_event(self, _manager: Manager, event: Message) -> None:
        if self._track_metrics:
            metrics.child(metrics.AMI_EVENTS, event.event or "unknown").inc()

    def _on_fully_booted(self, _manager: Manager, _event: Message) -> None:
        # Asterisk sends it right behind the Login response, often in the same packet.
        self._booted_seen = True
        if self.connected:
            self._booted.set()

    def _run_callback(self, callback: Callable[..., Any], *args: Any) -> None:
        try:
            result = callback(*args)
        except Exception:
            log.exception("ami.callback_failed", callback=getattr(callback, "__qualname__", ""))
            return
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            self._tasks.spawn(result)

    def _set_connected(self, connected: bool) -> None:
        self.connected = connected
        if self._track_metrics:
            metrics.AMI_CONNECTED.set(1 if connected else 0)

    def _note_error(self, error: str) -> None:
        """Record why we are not connected; log it only when the reason changes."""
        self.last_error = error
        if error != self._logged_error:
            self._logged_error = error
            self._log.warning("ami.unavailable", error=error,
                              retrying="with backoff, silently until the state changes")

    def _on_connection_lost(self, exc: Any) -> None:
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(exc)

    def _fail_inflight(self, which: Callable[[str], bool], error: AmiError) -> None:
        for future, name in list(self._inflight.items()):
            if which(name) and not future.done():
                future.set_exception(error)

    async def _run(self) -> None:
        reconnect = self._settings.reconnect
        backoff = Backoff(reconnect.initial_delay, reconnect.max_delay)
        first = True
        while True:
            if not first and self._track_metrics:
                metrics.AMI_RECONNECTS.inc()
            first = False
            if await self._session():
                backoff.reset()
            await asyncio.sleep(backoff.next_delay())

    async def _session(self) -> bool:
        """Connect, log in, and stay until the connection is lost. True if it logged in."""
        loop = asyncio.get_running_loop()
        try:
            transport, protocol = await asyncio.wait_for(
                loop.create_connection(AMIProtocol, self._settings.host, self._settings.ami.port),
                self._settings.ami.action_timeout)
        except TimeoutError:  # before OSError: TimeoutError is one
            self._note_error("cannot connect: timed out")
            return False
        except OSError as exc:
            self._note_error(f"cannot connect: {exc.strerror or exc}")
            return False
        lost: asyncio.Future[Any] = loop.create_future()
        self._lost = lost
        self._booted_seen = False
        made: asyncio.Future[Any] = loop.create_future()
        made.set_result((transport, protocol))
        self._manager.connection_made(made)  # sets the protocol up and sends Login
        auth = self._manager.authenticated_future
        try:
            await asyncio.wait({auth, lost}, timeout=self._settings.ami.action_timeout,
                               return_when=asyncio.FIRST_COMPLETED)
            if not auth.done():
                self._note_error("connection lost before login" if lost.done()
                                 else "no answer to Login")
                return False
            response = auth.result()
            if not response.success:
                self._note_error(f"login refused for user {self._settings.ami.username!r}: "
                                 f"{response.get('Message', 'no reason given')}")
                return False
        finally:
            if not (auth.done() and auth.result().success):
                transport.abort()
        self._logged_error = None
        self.last_error = None
        self._set_connected(True)
        if self._booted_seen:
            self._booted.set()
        self._log.info("ami.connected", protocol=protocol.version)
        watchdog = asyncio.create_task(self._watchdog(transport, lost), name="ami-watchdog")
        for hook in self._login_hooks:
            self._run_callback(hook)
        try:
            reason = await lost
        finally:
            watchdog.cancel()
            self._set_connected(False)
            self._booted.clear()
            self._booted_seen = False
            self._fail_inflight(lambda name: name in FORGETABLE_ACTIONS, AmiConnectionLost(
                "the AMI connection was lost before Asterisk answered; the action was not re-sent"))
        self.last_error = self._describe_loss(reason)
        self._logged_error = self.last_error
        self._log.warning("ami.disconnected", reason=self.last_error)
        return True

    @staticmethod
    def _describe_loss(reason: Any) -> str:
        if isinstance(reason, Message):
            return f"Asterisk is shutting down ({reason.get('Shutdown', 'unknown')})"
        if isinstance(reason, Exception):
            return f"connection lost: {reason}"
        return "connection lost"

    async def _watchdog(self, transport: asyncio.Transport, lost: asyncio.Future[Any]) -> None:
        """Ping every ``ping_interval``; abort a connection that does not answer in as long."""
        interval = self._settings.ami.ping_interval
        while not lost.done():
            await asyncio.sleep(interval)
            future = self._manager.send_action({"Action": "Ping"})
            try:
                await asyncio.wait_for(future, interval)
            except TimeoutError:
                self._log.warning("ami.ping_unanswered", timeout=interval)
                transport.abort()  # close() would wait for a peer that is gone
                self._on_connection_lost(TimeoutError(f"no answer to Ping in {interval:g} s"))
                return


async def wait_fully_booted(client: AmiClient, timeout: float) -> None:
    """Resolve once Asterisk has sent ``FullyBooted`` to ``client``; TimeoutError otherwise."""
    await client.wait_fully_booted(timeout)
