"""A thin ARI client: REST requests and the ``/ari/events`` WebSocket, with reconnect.

No Swagger loading, no threads. One reader task owns the WebSocket and hands every event,
synchronously and in order, to one ``on_event`` callback; that callback must return quickly
(Asterisk drops a WebSocket it cannot write to within 100 ms).
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable, Collection
from typing import Any

import aiohttp
import structlog

from centralino.core import metrics
from centralino.core.backoff import Backoff
from config.settings import AsteriskSettings

log = structlog.get_logger(__name__)

EventCallback = Callable[[dict[str, Any]], None]
ConnectHook = Callable[[], Awaitable[None]]

#: The most HTTP connections to ARI at once. Asterisk serves each on a thread of its own, up to
#: http.conf's ``sessionlimit``, and drops the connections beyond it.
HTTP_CONNECTIONS = 64


class AriError(Exception):
    """An ARI request failed."""


class AriUnavailable(AriError):
    """Asterisk's HTTP server could not be reached."""


class AriRequestError(AriError):
    """ARI answered with an error status."""

    def __init__(self, method: str, path: str, status: int, text: str) -> None:
        super().__init__(f"{method} {path} -> {status}: {text.strip()[:200]}")
        self.status = status


def operation_of(method: str, path: str) -> str:
    """``method path`` with the ids left out (``POST /channels/{id}/play``), for metrics."""
    parts = ["{id}" if any(c.isdigit() for c in part) else part for part in path.split("/")]
    return f"{method} {'/'.join(parts)}"


def basic_auth_header(username: str, password: str) -> dict[str, str]:
    """The ``Authorization`` header for ARI (credentials never go into a URL)."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


class AriClient:
    """REST + events for one Stasis application."""

    def __init__(self, settings: AsteriskSettings, password: str, on_event: EventCallback,
                 event_types: Collection[str] = ()) -> None:
        """``event_types``: the only event types ``on_event`` wants (Asterisk filters out the
        rest, among them a ChannelVarset for each variable a channel sets); empty: all."""
        self._settings = settings
        self._event_types = frozenset(event_types)
        self._base = f"http://{settings.host}:{settings.ari.port}/ari"
        self._auth_header = basic_auth_header(settings.ari.username, password)
        self._on_event = on_event
        self._connect_hooks: list[ConnectHook] = []
        self._http: aiohttp.ClientSession | None = None
        self._reader: asyncio.Task[None] | None = None
        self.connected = False
        self.last_error: str | None = None

    @property
    def app(self) -> str:
        return self._settings.ari.app

    def add_connect_hook(self, hook: ConnectHook) -> None:
        """Run ``hook`` after every (re)connection of the event WebSocket."""
        self._connect_hooks.append(hook)

    async def start(self) -> None:
        """Start the event reader; it keeps reconnecting until :meth:`close`."""
        timeout = aiohttp.ClientTimeout(total=self._settings.ari.request_timeout)
        self._http = aiohttp.ClientSession(
            headers=self._auth_header, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar(),
            connector=aiohttp.TCPConnector(limit=HTTP_CONNECTIONS))
        self._reader = asyncio.create_task(self._read_forever(), name="ari-events")

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._http:
            await self._http.close()
        self._set_connected(False, "closed")

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                      body: Any = None) -> Any:
        """Send one REST request; return the decoded JSON body (``None`` when empty)."""
        if self._http is None:
            raise AriUnavailable("ARI client not started")
        started = time.monotonic()
        try:
            async with self._http.request(method, self._base + path, params=params,
                                          json=body) as response:
                content = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise AriUnavailable(f"{method} {path}: {exc or type(exc).__name__}") from exc
        finally:
            metrics.child(metrics.ARI_REQUEST_SECONDS, operation_of(method, path)).observe(
                time.monotonic() - started)
        if response.status >= 400:
            raise AriRequestError(method, path, response.status, content.decode(errors="replace"))
        return json.loads(content) if content else None

    async def fetch(self, path: str) -> bytes:
        """GET ``path`` and return the body as bytes (a stored recording's ``/file``)."""
        if self._http is None:
            raise AriUnavailable("ARI client not started")
        try:
            async with self._http.get(self._base + path) as response:
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise AriUnavailable(f"GET {path}: {exc or type(exc).__name__}") from exc
        if response.status >= 400:
            raise AriRequestError("GET", path, response.status, body.decode(errors="replace"))
        return body

    async def _read_forever(self) -> None:
        assert self._http is not None
        reconnect = self._settings.reconnect
        backoff = Backoff(reconnect.initial_delay, reconnect.max_delay)
        url = self._base.replace("http://", "ws://") + "/events"
        params = {"app": self.app, "subscribeAll": "false"}
        while True:
            try:
                async with self._http.ws_connect(url, params=params, heartbeat=5.0,
                                                 timeout=aiohttp.ClientWSTimeout(ws_close=2.0),
                                                 ) as ws:
                    backoff.reset()
                    self._set_connected(True, None)
                    if self._event_types:
                        await self._filter_events()
                    await self._run_connect_hooks()
                    await self._pump(ws)
                    self._set_connected(False, f"WebSocket closed ({ws.close_code})")
            except asyncio.CancelledError:
                raise
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                self._set_connected(False, f"{type(exc).__name__}: {exc}")
            delay = backoff.next_delay()
            metrics.ARI_RECONNECTS.inc()
            await asyncio.sleep(delay)

    async def _filter_events(self) -> None:
        """Ask Asterisk to send this application only the event types the engine reads."""
        allowed = [{"type": kind} for kind in sorted(self._event_types)]
        try:
            await self.request("PUT", f"/applications/{self.app}/eventFilter",
                               body={"allowed": allowed})
        except AriError as exc:
            log.warning("ari.event_filter_failed", error=str(exc))

    async def _pump(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            try:
                event = json.loads(message.data)
            except ValueError:
                log.warning("ari.bad_event", data=str(message.data)[:200])
                continue
            if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                log.warning("ari.bad_event", data=str(message.data)[:200])
                continue
            metrics.child(metrics.ARI_EVENTS, event["type"]).inc()
            try:
                self._on_event(event)
            except Exception:
                log.exception("ari.event_handler_failed", event_type=event["type"])

    async def _run_connect_hooks(self) -> None:
        for hook in self._connect_hooks:
            try:
                await hook()
            except Exception:
                log.exception("ari.connect_hook_failed")

    def _set_connected(self, connected: bool, error: str | None) -> None:
        if connected != self.connected:
            if connected:
                log.info("ari.connected", url=self._base, app=self.app)
            else:
                log.warning("ari.disconnected", reason=error)
        elif not connected and error != self.last_error:
            log.debug("ari.still_down", reason=error)
        self.connected = connected
        self.last_error = error
        metrics.ARI_CONNECTED.set(1 if connected else 0)
