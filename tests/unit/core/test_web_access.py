"""Sign-in by default and the hardening of the fully assembled web app (built as the engine
builds it): every route is public by declaration or refuses an anonymous request, host names,
body sizes, /metrics, error pages, the home page, logout, ids in paths, live connections."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.app.engine import Engine
from centralino.core.auth import live
from centralino.core.auth import passwords as passwords_module
from centralino.core.auth.access import access_of
from centralino.core.auth.models import Role
from centralino.core.auth.passwords import HashingBusy, HashingPool
from centralino.core.auth.service import deactivate
from centralino.core.auth.web import SESSION_COOKIE
from centralino.core.web import create_web_app
from config.secrets import Secrets
from config.settings import Settings, WebSettings
from ivr.plan import MenuPlans
from tests.conftest import sqlite_url
from tests.unit.cti.site import (
    KEY,
    WEB_SETTINGS,
    WebSocketSession,
    _healthy,
    add_users,
    client_for,
    sign_in,
)

Sessions = async_sessionmaker[AsyncSession]
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/status"),
          ("GET", "/api/status/{code}"), ("GET", "/health")}
OUTSIDER = ("203.0.113.7", 40000)  # a client on another machine
METRICS_TOKEN = "metrics-token-0123456789"
CONTROL_TOKEN = "control-token-0123456789"
HUGE_ID = "99999999999999999999"
JSON = {"Accept": "application/json"}
HTML = {"Accept": "text/html"}


@pytest.fixture
def sessions(sqlite_sessions: Sessions) -> Sessions:
    return sqlite_sessions


@pytest_asyncio.fixture
async def engine_app(tmp_path: Path, sessions: Sessions) -> FastAPI:
    """The web app exactly as ``centralino run`` serves it (web.allowed_hosts: "test")."""
    settings = Settings(version=1, database_url=sqlite_url(tmp_path),
                        web=WebSettings(allowed_hosts=["test"]),
                        recordings={"dir": tmp_path / "recordings"})
    engine = Engine(settings, Secrets("ami", "ari", {}, "pin-key", KEY, METRICS_TOKEN,
                                      CONTROL_TOKEN))
    await engine.service(MenuPlans).reload()  # as the IVR's start does
    app = engine._web_server().config.app
    assert isinstance(app, FastAPI)
    return app


@pytest_asyncio.fixture
async def users(sessions: Sessions) -> dict[str, str]:
    return await add_users(sessions, olga=Role.OPERATOR, sara=Role.SUPERVISOR,
                           carla=Role.CAMPAIGN_MANAGER, ada=Role.ADMIN)


def routes_of(app: FastAPI) -> Iterator[APIRoute | APIWebSocketRoute]:
    """Every route of ``app``, those of included routers too."""
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        candidates = ([c.original_route for c in contexts()] if contexts is not None
                      else [route])
        for candidate in candidates:
            assert isinstance(candidate, APIRoute | APIWebSocketRoute), (
                f"{candidate!r} is not a FastAPI route: sign-in by default does not cover it")
            yield candidate


def concrete(path: str, value: str = "1") -> str:
    return re.sub(r"\{[^}]+\}", value, path)


async def test_every_route_is_public_by_declaration_or_refuses_anonymous_requests(
    engine_app: FastAPI,
) -> None:
    public, checked = set(), 0
    async with client_for(engine_app, client=OUTSIDER) as client:
        for route in routes_of(engine_app):
            if isinstance(route, APIWebSocketRoute):
                async with WebSocketSession(engine_app, httpx.Cookies(), route.path) as socket:
                    assert not socket.accepted and socket.close_code == 1008, route.path
                checked += 1
                continue
            for method in sorted(route.methods):
                if access_of(route).public:
                    public.add((method, route.path))
                    continue
                for headers in (JSON, HTML):
                    response = await client.request(method, concrete(route.path),
                                                     headers=headers)
                    assert response.status_code in (401, 303), (method, route.path, response)
                    if response.status_code == 303:
                        assert response.headers["location"] == "/login"
                checked += 1
    assert public == PUBLIC
    assert checked > 25  # the routes of every package are there


async def test_every_int_id_in_a_path_is_bounded(engine_app: FastAPI,
                                                 users: dict[str, str]) -> None:
    with_ids = [route for route in routes_of(engine_app) if isinstance(route, APIRoute)
                and any(p.field_info.annotation is int for p in route.dependant.path_params)]
    assert len(with_ids) >= 4
    async with client_for(engine_app) as client:
        token = await sign_in(client, "ada", users["ada"])
        for route in with_ids:
            for method in route.methods:
                response = await client.request(method, concrete(route.path, HUGE_ID),
                                                headers={"X-CSRF-Token": token})
                assert response.status_code in (404, 422), (method, route.path, response)


async def test_metrics_answer_this_machine_and_the_bearer_of_the_token(
    engine_app: FastAPI,
) -> None:
    async with client_for(engine_app) as local:  # httpx's ASGI client is 127.0.0.1
        assert (await local.get("/metrics")).status_code == 200
    async with client_for(engine_app, client=OUTSIDER) as remote:
        assert (await remote.get("/metrics")).status_code == 401
        wrong = await remote.get("/metrics", headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 401
        right = await remote.get("/metrics",
                                 headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert right.status_code == 200 and "centralino" in right.text
        other = await remote.get("/metrics",
                                 headers={"Authorization": f"Bearer {CONTROL_TOKEN}"})
        assert other.status_code == 401


async def test_the_cli_reloads_with_the_control_token_and_a_browser_needs_admin_and_csrf(
    engine_app: FastAPI, users: dict[str, str],
) -> None:
    async with client_for(engine_app, client=OUTSIDER) as client:
        by_token = await client.post("/api/ivr/reload",
                                     headers={"Authorization": f"Bearer {CONTROL_TOKEN}"})
        assert by_token.status_code == 200 and by_token.json()["reloaded"] is True
        metrics = await client.post("/api/ivr/reload",
                                    headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert metrics.status_code == 401
        token = await sign_in(client, "sara", users["sara"])
        supervisor = await client.post("/api/ivr/reload", headers={"X-CSRF-Token": token})
        assert supervisor.status_code == 403
        token = await sign_in(client, "ada", users["ada"])
        assert (await client.post("/api/ivr/reload")).status_code == 403  # no CSRF token
        admin = await client.post("/api/ivr/reload", headers={"X-CSRF-Token": token})
        assert admin.status_code == 200


async def test_a_host_name_not_allowed_is_refused(engine_app: FastAPI) -> None:
    async with client_for(engine_app) as client:
        assert (await client.get("/login")).status_code == 200
        evil = await client.get("/login", headers={"Host": "evil.example"})
        assert evil.status_code == 400


def test_the_default_hosts_are_the_loopback_names_and_the_public_host_must_be_allowed() -> None:
    assert WebSettings().allowed_hosts == ["127.0.0.1", "localhost"]
    with pytest.raises(ValueError, match="not in allowed_hosts"):
        WebSettings(public_url="https://helpline.example.org")
    web = WebSettings(public_url="https://helpline.example.org",
                      allowed_hosts=["helpline.example.org"])
    assert web.https and not WebSettings().https


async def test_a_body_over_the_limit_is_413_declared_or_streamed(sessions: Sessions) -> None:
    app = create_web_app(_healthy, session_key=KEY, sessions=sessions,
                         web=WebSettings(allowed_hosts=["test"], max_body_bytes=2048))

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 1000

    async with client_for(app) as client:
        declared = await client.post("/login", content=b"x" * 3000,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert declared.status_code == 413
        streamed = await client.post("/login", content=chunks(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert "content-length" not in streamed.request.headers
        assert streamed.status_code == 413
        small = await client.post("/login", data={"name": "x", "password": "y"})
        assert small.status_code == 403  # read, then refused for want of a CSRF token


async def test_https_public_url_makes_cookies_secure_and_adds_hsts(sessions: Sessions) -> None:
    passwords = await add_users(sessions, olga=Role.OPERATOR)
    web = WebSettings(public_url="https://helpline.example.org",
                      allowed_hosts=["helpline.example.org"])
    app = create_web_app(_healthy, session_key=KEY, sessions=sessions, web=web)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="https://helpline.example.org") as client:
        login = await client.get("/login")
        assert login.headers["strict-transport-security"].startswith("max-age=")
        response = await client.post("/login", data={
            "name": "olga", "password": passwords["olga"],
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', login.text)[1]})
        assert "; secure" in response.headers["set-cookie"].lower()
    async with client_for(create_web_app(_healthy, session_key=KEY, sessions=sessions,
                                         web=WEB_SETTINGS)) as plain:
        assert "strict-transport-security" not in (await plain.get("/login")).headers


async def test_the_home_page_sends_each_role_to_its_own_page(
    engine_app: FastAPI, users: dict[str, str],
) -> None:
    async with client_for(engine_app) as client:
        browser = await client.get("/", headers=HTML)
        assert browser.status_code == 303 and browser.headers["location"] == "/login"
        assert (await client.get("/", headers=JSON)).status_code == 401
        for name, home in (("olga", "/console"), ("sara", "/supervisor"), ("ada", "/supervisor")):
            await sign_in(client, name, users[name])
            landing = await client.get("/")
            assert landing.status_code == 303 and landing.headers["location"] == home, name


async def test_a_campaign_manager_lands_on_the_campaigns_and_not_on_the_console(
    engine_app: FastAPI, users: dict[str, str],
) -> None:
    async with client_for(engine_app) as client:
        await sign_in(client, "carla", users["carla"])
        landing = await client.get("/")
        assert landing.status_code == 303 and landing.headers["location"] == "/campaigns"
        assert (await client.get("/campaigns", headers=HTML)).status_code == 200
        for private in ("/console", "/supervisor", "/api/seats", "/recordings/1/audio"):
            assert (await client.get(private)).status_code == 403, private


async def test_a_role_whose_home_page_the_app_lacks_lands_on_a_small_page(
    sessions: Sessions, users: dict[str, str],
) -> None:
    app = create_web_app(_healthy, session_key=KEY, sessions=sessions, web=WEB_SETTINGS)
    async with client_for(app) as client:
        login = await client.get("/login")
        response = await client.post("/login", data={
            "name": "carla", "password": users["carla"],
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', login.text)[1]})
        assert response.status_code == 303 and response.headers["location"] == "/"
        page = await client.get("/")
        assert page.status_code == 200
        assert "carla" in page.text and "campaign manager" in page.text
        assert "campaigns" in page.text and "console" not in page.text


async def test_browsers_get_small_html_error_pages_and_api_clients_json(
    sessions: Sessions, users: dict[str, str],
) -> None:
    broken = APIRouter()

    @broken.get("/broken")
    async def fail() -> None:
        raise RuntimeError("a bug")

    app = create_web_app(_healthy, [broken], session_key=KEY, sessions=sessions,
                         web=WEB_SETTINGS)

    @app.get("/supervisor")
    async def supervisor_only() -> None:  # no permission check here: see below
        return None

    async with client_for(app, raise_app_exceptions=False) as client:
        await sign_in(client, "olga", users["olga"])
        for path, status in (("/nowhere", 404), ("/broken", 500)):
            page = await client.get(path, headers=HTML)
            assert page.status_code == status
            assert page.headers["content-type"].startswith("text/html")
            assert "<h1>" in page.text and "a bug" not in page.text
            api = await client.get(path, headers=JSON)
            assert api.status_code == status and "detail" in api.json()
        forbidden = await client.post("/logout", headers=HTML)  # no CSRF token
        assert forbidden.status_code == 403 and "<h1>" in forbidden.text
        assert (await client.post("/logout", headers=JSON)).json()["detail"].startswith(
            "missing or wrong CSRF token")


async def test_a_cookie_kept_from_before_logout_opens_nothing(
    engine_app: FastAPI, users: dict[str, str],
) -> None:
    async with client_for(engine_app) as client:
        token = await sign_in(client, "olga", users["olga"])
        stolen = client.cookies[SESSION_COOKIE]
        assert (await client.get("/console")).status_code == 200
        await client.post("/logout", data={"csrf_token": token})
    async with client_for(engine_app) as replay:
        replay.cookies.set(SESSION_COOKIE, stolen)
        assert (await replay.get("/console", headers=JSON)).status_code == 401


async def test_the_live_view_stream_ends_when_the_user_is_disabled(
    engine_app: FastAPI, users: dict[str, str], sessions: Sessions,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live, "RECHECK_SECONDS", 0.05)
    async with client_for(engine_app) as client:
        await sign_in(client, "sara", users["sara"])
        messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        stream = asyncio.create_task(_sse(engine_app, client.cookies, messages))
        first = await asyncio.wait_for(messages.get(), 5)
        assert first["type"] == "http.response.start" and first["status"] == 200
        async with sessions() as session:
            await deactivate(session, "sara")
        await asyncio.wait_for(stream, 5)  # the stream ended by itself


async def test_the_console_socket_closes_when_the_operator_logs_out(
    engine_app: FastAPI, users: dict[str, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live, "RECHECK_SECONDS", 0.05)
    async with client_for(engine_app) as client:
        token = await sign_in(client, "olga", users["olga"])
        async with WebSocketSession(engine_app, client.cookies) as socket:
            assert socket.accepted
            await client.post("/logout", data={"csrf_token": token})
            closed = await asyncio.wait_for(socket._from_app.get(), 5)
            assert closed == {"type": "websocket.close", "code": 1008, "reason": ""}


async def _sse(app: FastAPI, cookies: httpx.Cookies,
               messages: asyncio.Queue[dict[str, Any]]) -> None:
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"},
             "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/supervisor/events", "raw_path": b"/supervisor/events",
             "query_string": b"", "root_path": "",
             "headers": [(b"host", b"test"), (b"cookie", cookie.encode())],
             "client": ("127.0.0.1", 50000), "server": ("test", 80), "state": {}}
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await never.wait()
        return {"type": "http.disconnect"}

    await app(scope, receive, messages.put)


async def test_a_flood_of_hashing_waits_in_its_own_pool_and_is_refused_beyond_its_queue(
    monkeypatch: pytest.MonkeyPatch, sessions: Sessions,
) -> None:
    pool = HashingPool(threads=1, queue=1)
    release = threading.Event()
    running = [asyncio.create_task(pool.run(release.wait, 5)) for _ in range(2)]
    await asyncio.sleep(0.05)
    with pytest.raises(HashingBusy):
        await pool.run(lambda: None)
    loop = asyncio.get_running_loop()
    assert await asyncio.wait_for(loop.run_in_executor(None, lambda: 42), 1) == 42

    monkeypatch.setattr(passwords_module, "_pool", pool)
    app = create_web_app(_healthy, session_key=KEY, sessions=sessions, web=WEB_SETTINGS)
    async with client_for(app) as client:
        login = await client.get("/login")
        busy = await client.post("/login", data={
            "name": "olga", "password": "guess",
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', login.text)[1]})
        assert busy.status_code == 503 and busy.headers["retry-after"] == "5"

    release.set()
    assert await asyncio.gather(*running) == [True, True]
    assert await pool.run(lambda: 7) == 7  # the slots are free again
