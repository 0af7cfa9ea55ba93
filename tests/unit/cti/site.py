"""The web app with the CTI's live side (console, screen-pops, live view) on a temp SQLite
database, fakes for the ACD, and a WebSocket driver speaking ASGI in the test's own loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import ClientDisconnect

from acd.operators import Placement, Refused
from acd.state import SeatState, SeatView, WaitingCaller
from centralino.core.auth.models import Role
from centralino.core.auth.service import add_user
from centralino.core.bus import EventBus
from centralino.core.calls.service import record_call_started
from centralino.core.db import run_write
from centralino.core.health import ComponentHealth, HealthReport
from centralino.core.web import create_web_app
from config.loader import load_yaml_model
from config.menu import MenuFile
from config.settings import WebSettings
from cti.callbacks.http import CallbackCalls, callbacks_router
from cti.console.http import console_router
from cti.console.screen_pop import ScreenPopService
from cti.supervisor.http import LiveBoard, supervisor_router
from cti.supervisor.queue_stats import QueueDayStats
from cti.tickets.store import IvrTrace, open_ticket_for_call, save_ivr_trace

Sessions = async_sessionmaker[AsyncSession]
KEY = "test-session-key-0123456789"
MENU = load_yaml_model(Path(__file__).parents[3] / "config/menus/tollfree.yaml", MenuFile)
TOKEN = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')
HTML = {"Accept": "text/html"}
WEB_SETTINGS = WebSettings(allowed_hosts=["test"])  # the test clients' host name
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday morning


class FakeAcd:
    """The ACD picture as the pages read it: seats and waiting callers the test sets."""

    def __init__(self) -> None:
        self.seat_views = [SeatView(f"seat{n}", f"PJSIP/seat{n}", True, None,
                                    SeatState.LOGGED_OUT, None, None) for n in (1, 2, 3)]
        self.callers: list[WaitingCaller] = []

    def seats(self) -> list[SeatView]:
        return list(self.seat_views)

    def waiting(self) -> list[WaitingCaller]:
        return list(self.callers)

    def place(self, seat: str, operator: str | None, state: SeatState,
              reason: str | None = None, since: datetime | None = None,
              registered: bool = True) -> None:
        self.seat_views = [SeatView(v.name, v.interface, registered, operator, state, reason,
                                    since)
                           if v.name == seat else v for v in self.seat_views]


@dataclass
class FakeOperators:
    """The ACD's operator actions: records them; ``refuse`` makes the next one fail."""

    calls: list[tuple[str, ...]] = field(default_factory=list)
    refuse: str | None = None

    async def _act(self, *call: str) -> Placement:
        self.calls.append(call)
        if self.refuse is not None:
            raise Refused(self.refuse)
        return Placement(call[1], call[2] if call[0] == "login" else "seat1")

    async def login(self, operator: str, seat: str) -> Placement:
        return await self._act("login", operator, seat)

    async def pause(self, operator: str, reason: str) -> Placement:
        return await self._act("pause", operator, reason)

    async def ready(self, operator: str) -> Placement:
        return await self._act("ready", operator)

    async def logout(self, operator: str) -> Placement:
        return await self._act("logout", operator)


class CtiWeb:
    """The console, live view and callback list as their plugins wire them, on fakes."""

    def __init__(self, sessions: Sessions, bus: EventBus, acd: FakeAcd,
                 operators: FakeOperators, callbacks: CallbackCalls | None) -> None:
        self.pops = ScreenPopService(sessions, bus, lambda: MENU)
        board = LiveBoard(acd, QueueDayStats(bus, self._timezone), bus)
        self._routers = [
            console_router(sessions, self.pops, acd, operators, lambda: MENU,
                           ["break", "training"], callbacks),
            supervisor_router(board, sessions, self._timezone)]
        if callbacks is not None:
            self._routers.append(callbacks_router(sessions, callbacks))

    @staticmethod
    def _timezone() -> str:
        return MENU.hours.timezone

    def routers(self) -> list[APIRouter]:
        return self._routers


@dataclass
class Site:
    sessions: Sessions
    bus: EventBus
    acd: FakeAcd
    operators: FakeOperators
    cti: CtiWeb
    app: FastAPI
    passwords: dict[str, str]

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app),
                                 base_url="http://test")

    @contextlib.asynccontextmanager
    async def signed_in(self, name: str) -> AsyncIterator[httpx.AsyncClient]:
        """A client signed in as ``name``."""
        async with self.client() as client:
            login = await client.get("/login")
            response = await client.post("/login", data={
                "name": name, "password": self.passwords[name], "csrf_token": csrf(login.text)})
            assert response.status_code == 303, response.text
            yield client


def client_for(app: FastAPI, **kwargs: Any) -> httpx.AsyncClient:
    """A client of ``app`` at http://test (``kwargs``: of the ASGI transport, e.g. client)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, **kwargs),
                             base_url="http://test")


async def sign_in(client: httpx.AsyncClient, name: str, password: str) -> str:
    """Sign ``client`` in as ``name``; returns the session's CSRF token."""
    login = await client.get("/login")
    response = await client.post("/login", data={
        "name": name, "password": password, "csrf_token": csrf(login.text)})
    assert response.status_code == 303, response.text
    return csrf((await client.get("/login")).text)


async def add_users(sessions: Sessions, **roles: Role) -> dict[str, str]:
    """Users named after the keywords with those roles; name → password."""
    async with sessions() as session:
        return {name: (await add_user(session, name, role))[1] for name, role in roles.items()}


def csrf(page: str) -> str:
    match = TOKEN.search(page)
    assert match is not None, page
    return match.group(1)


async def _healthy() -> HealthReport:
    up = ComponentHealth(True)
    return HealthReport(ami=up, ari=up, database=up, active_calls=0)


async def make_site(sessions: Sessions, bus: EventBus | None = None, acd: FakeAcd | None = None,
                    callbacks: CallbackCalls | None = None) -> Site:
    """The engine's web app with the CTI routers (the callback list with ``callbacks``);
    users alice and bob (operators), sara (supervisor)."""
    bus, acd, operators = bus or EventBus(), acd or FakeAcd(), FakeOperators()
    cti = CtiWeb(sessions, bus, acd, operators, callbacks)
    app = create_web_app(_healthy, cti.routers(), session_key=KEY, sessions=sessions,
                         web=WEB_SETTINGS)
    passwords = {}
    async with sessions() as session:
        for name, role in (("alice", Role.OPERATOR), ("bob", Role.OPERATOR),
                           ("sara", Role.SUPERVISOR)):
            passwords[name] = (await add_user(session, name, role))[1]
    return Site(sessions, bus, acd, operators, cti, app, passwords)


async def add_call(sessions: Sessions, linkedid: str, caller_id: str | None, at: datetime,
                   trace: IvrTrace | None = None) -> str:
    """A call with its ticket (and IVR trace); returns the tracking code."""
    async with sessions() as session:
        await run_write(session, record_call_started, linkedid, channel=f"PJSIP/trunk-{linkedid}",
                                  did="800100100", at=at, caller_id=caller_id)
        ticket = await open_ticket_for_call(session, linkedid)
        if trace is not None:
            await run_write(session, save_ivr_trace, linkedid, trace)
        return ticket.tracking_code


class WebSocketSession:
    """A WebSocket client driving the ASGI app directly, in the test's loop."""

    def __init__(self, app: FastAPI, cookies: httpx.Cookies, path: str = "/ws/console",
                 origin: str | None = "http://test") -> None:
        headers = [(b"host", b"test")]
        if origin is not None:
            headers.append((b"origin", origin.encode()))
        if cookies:
            headers.append((b"cookie", "; ".join(
                f"{name}={value}" for name, value in cookies.items()).encode()))
        self._scope: dict[str, Any] = {
            "type": "websocket", "asgi": {"version": "3.0"}, "scheme": "ws", "path": path,
            "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": headers, "client": ("127.0.0.1", 50000), "server": ("test", 80),
            "subprotocols": [], "state": {}}
        self._app = app
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.accepted = False
        self.close_code: int | None = None

    async def __aenter__(self) -> WebSocketSession:
        self._task = asyncio.create_task(self._app(self._scope, self._to_app.get,
                                                   self._from_app.put))
        await self._to_app.put({"type": "websocket.connect"})
        first = await asyncio.wait_for(self._from_app.get(), 5)
        self.accepted = first["type"] == "websocket.accept"
        if first["type"] == "websocket.close":
            self.close_code = first.get("code")
        return self

    async def receive_json(self, timeout: float = 3.0) -> dict[str, Any]:
        message = await asyncio.wait_for(self._from_app.get(), timeout)
        assert message["type"] == "websocket.send", message
        return json.loads(message["text"])

    async def nothing_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._from_app.get(), seconds)
        except TimeoutError:
            return True
        return False

    async def __aexit__(self, *_exc: object) -> None:
        await self._to_app.put({"type": "websocket.disconnect", "code": 1000})
        assert self._task is not None
        await asyncio.wait_for(self._task, 5)


async def first_sse_event(app: FastAPI, cookies: httpx.Cookies, path: str) -> dict[str, Any]:
    """The first Server-Sent Event of ``path`` as JSON; then the client goes away (ASGI 2.4:
    the server's next send fails), which must end the stream."""
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    gone = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if gone.is_set():
            raise OSError("the client went away")
        await received.put(message)

    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"},
             "http_version": "1.1", "method": "GET", "scheme": "http", "path": path,
             "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"test"), (b"cookie", cookie.encode())],
             "client": ("127.0.0.1", 50000), "server": ("test", 80), "state": {}}
    task = asyncio.create_task(app(scope, receive, send))
    start = await asyncio.wait_for(received.get(), 5)
    assert start["type"] == "http.response.start" and start["status"] == 200, start
    assert dict(start["headers"])[b"content-type"].startswith(b"text/event-stream")
    body = b""
    while b"\n\n" not in body:
        body += (await asyncio.wait_for(received.get(), 5))["body"]
    gone.set()
    with contextlib.suppress(ClientDisconnect):
        await asyncio.wait_for(task, 5)
    line = body.decode().split("\n\n")[0]
    assert line.startswith("data: ")
    return json.loads(line.removeprefix("data: "))
