"""Login, logout, roles and CSRF in the web app.

On SQLite only: the pages do not depend on the backend (tests/unit/core/test_users.py covers both).
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
import pytest_asyncio
from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.auth import passwords as passwords_module
from centralino.core.auth.models import Permission, Role, User
from centralino.core.auth.service import add_user, deactivate, set_password
from centralino.core.auth.web import SESSION_COOKIE, current_user, install_auth

Sessions = async_sessionmaker[AsyncSession]
KEY = "test-session-key-0123456789"
HTML = {"Accept": "text/html,application/xhtml+xml"}
TOKEN = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')
Operator = Annotated[User, Depends(current_user(Permission.CONSOLE))]
Supervisor = Annotated[User, Depends(current_user(Permission.LIVE_VIEW))]


def make_app(sessions: Sessions, *, key: str = KEY, secure_cookies: bool = False) -> FastAPI:
    """The auth pages plus an operator page, a supervisor page and an operator form post."""
    app = FastAPI()
    install_auth(app, key, sessions, secure_cookies=secure_cookies)

    @app.get("/console")
    async def console(user: Operator) -> dict[str, Any]:
        return {"page": "console", "user": user.name}

    @app.get("/supervisor")
    async def live_view(user: Supervisor) -> dict[str, Any]:
        return {"page": "supervisor", "user": user.name}

    @app.post("/console/notes")
    async def add_note(user: Operator) -> dict[str, Any]:
        return {"saved_by": user.name}

    @app.get("/console/queue/{name}")
    async def pick_queue(request: Request, name: str, user: Operator) -> dict[str, Any]:
        request.session["queue"] = name  # re-signs the cookie: its timestamp is now
        return {"queue": name}

    return app


def client_for(app: FastAPI, base_url: str = "http://test") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


@pytest.fixture
def db_session_factory(sqlite_sessions: Sessions) -> Sessions:
    """SQLite only: the pages do not depend on the backend."""
    return sqlite_sessions


@pytest_asyncio.fixture
async def client(db_session_factory: Sessions) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(make_app(db_session_factory)) as client:
        yield client


@pytest_asyncio.fixture
async def passwords(db_session_factory: Sessions) -> dict[str, str]:
    """One user per role, named after it: name → password."""
    async with db_session_factory() as session:
        return {role.value: (await add_user(session, role.value, role))[1] for role in Role}


async def form_token(client: httpx.AsyncClient) -> str:
    page = await client.get("/login")
    match = TOKEN.search(page.text)
    assert match is not None, page.text
    return match.group(1)


async def sign_in(client: httpx.AsyncClient, name: str, password: str) -> httpx.Response:
    token = await form_token(client)
    return await client.post("/login", data={"name": name, "password": password,
                                             "csrf_token": token})


async def test_the_login_page_is_an_uncached_form_carrying_a_csrf_token(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/login")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Centralino" in page.text and 'name="password"' in page.text
    assert TOKEN.search(page.text) is not None
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_an_operator_signs_in_to_the_console_with_an_httponly_lax_cookie(
    client: httpx.AsyncClient, passwords: dict[str, str],
) -> None:
    response = await sign_in(client, "operator", passwords["operator"])
    assert response.status_code == 303
    assert response.headers["location"] == "/console"
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=43200" in cookie
    assert "secure" not in cookie
    page = await client.get("/console")
    assert page.status_code == 200 and page.json() == {"page": "console", "user": "operator"}


async def test_the_cookie_is_secure_when_asked(db_session_factory: Sessions,
                                               passwords: dict[str, str]) -> None:
    app = make_app(db_session_factory, secure_cookies=True)
    async with client_for(app, "https://test") as client:
        response = await sign_in(client, "operator", passwords["operator"])
        assert "; secure" in response.headers["set-cookie"].lower()
        assert (await client.get("/console")).status_code == 200


@pytest.mark.parametrize("role", ["supervisor", "admin"])
async def test_supervisors_and_admins_land_on_the_live_view_and_may_open_the_console(
    client: httpx.AsyncClient, passwords: dict[str, str], role: str,
) -> None:
    response = await sign_in(client, role, passwords[role])
    assert response.status_code == 303 and response.headers["location"] == "/supervisor"
    assert (await client.get("/supervisor")).json() == {"page": "supervisor", "user": role}
    assert (await client.get("/console")).json() == {"page": "console", "user": role}


async def test_a_name_is_matched_whatever_its_case_and_surrounding_spaces(
    client: httpx.AsyncClient, passwords: dict[str, str],
) -> None:
    response = await sign_in(client, "  Operator ", passwords["operator"])
    assert response.status_code == 303 and response.headers["location"] == "/console"


async def test_a_wrong_password_and_an_unknown_name_get_the_same_generic_401(
    client: httpx.AsyncClient, passwords: dict[str, str],
) -> None:
    wrong = await sign_in(client, "operator", passwords["operator"] + "x")
    unknown = await sign_in(client, "nobody", passwords["operator"])
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Wrong name or password." in response.text
        assert TOKEN.search(response.text) is not None  # the form again, ready to retry
    assert (await client.get("/console", headers=HTML)).status_code == 303


async def test_a_disabled_user_cannot_sign_in(
    client: httpx.AsyncClient, passwords: dict[str, str], db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        await deactivate(session, "operator")
    assert (await sign_in(client, "operator", passwords["operator"])).status_code == 401


async def test_the_typed_name_is_shown_back_escaped(client: httpx.AsyncClient) -> None:
    response = await sign_in(client, '"><script>alert(1)</script>', "x")
    assert response.status_code == 401
    assert "<script>" not in response.text and "&lt;script&gt;" in response.text


async def test_an_operator_is_forbidden_the_supervisor_pages(
    client: httpx.AsyncClient, passwords: dict[str, str],
) -> None:
    await sign_in(client, "operator", passwords["operator"])
    response = await client.get("/supervisor", headers=HTML)
    assert response.status_code == 403


async def test_nobody_signed_in_is_sent_to_the_login_page_or_told_401(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/console", headers=HTML)
    assert page.status_code == 303 and page.headers["location"] == "/login"
    api = await client.get("/supervisor", headers={"Accept": "application/json"})
    assert api.status_code == 401 and api.json() == {"detail": "sign in first"}


async def test_a_post_needs_the_session_csrf_token_as_form_field_or_header(
    client: httpx.AsyncClient, passwords: dict[str, str], db_session_factory: Sessions,
) -> None:
    await sign_in(client, "operator", passwords["operator"])
    token = await form_token(client)
    assert (await client.post("/console/notes", data={"text": "hi"})).status_code == 403
    assert (await client.post("/console/notes",
                              data={"text": "hi", "csrf_token": "forged"})).status_code == 403
    with_field = await client.post("/console/notes", data={"text": "hi", "csrf_token": token})
    assert with_field.status_code == 200 and with_field.json() == {"saved_by": "operator"}
    with_header = await client.post("/console/notes", json={"text": "hi"},
                                    headers={"X-CSRF-Token": token})
    assert with_header.status_code == 200

    async with client_for(make_app(db_session_factory)) as other:  # another browser's token
        await sign_in(other, "admin", passwords["admin"])
        foreign = await form_token(other)
    assert (await client.post("/console/notes",
                              headers={"X-CSRF-Token": foreign})).status_code == 403


async def test_signing_in_needs_the_csrf_token_of_the_login_form(
    client: httpx.AsyncClient, passwords: dict[str, str],
) -> None:
    await client.get("/login")
    response = await client.post("/login", data={"name": "operator",
                                                 "password": passwords["operator"]})
    assert response.status_code == 403
    assert (await client.get("/console", headers=HTML)).status_code == 303


async def test_signing_in_gives_a_new_csrf_token(client: httpx.AsyncClient,
                                                 passwords: dict[str, str]) -> None:
    before = await form_token(client)
    await sign_in(client, "operator", passwords["operator"])
    assert (await client.post("/console/notes",
                              headers={"X-CSRF-Token": before})).status_code == 403


async def test_logout_ends_the_session(client: httpx.AsyncClient,
                                       passwords: dict[str, str]) -> None:
    await sign_in(client, "operator", passwords["operator"])
    token = await form_token(client)
    assert (await client.post("/logout")).status_code == 403  # no token: still signed in
    assert (await client.get("/console")).status_code == 200
    response = await client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert SESSION_COOKIE not in client.cookies
    assert (await client.get("/console", headers=HTML)).status_code == 303


async def test_failed_logins_beyond_five_a_minute_are_refused_with_429(
    client: httpx.AsyncClient, passwords: dict[str, str],
) -> None:
    for _ in range(5):
        assert (await sign_in(client, "operator", "guess")).status_code == 401
    refused = await sign_in(client, "operator", passwords["operator"])
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert "Too many failed attempts" in refused.text
    assert (await client.get("/console", headers=HTML)).status_code == 303
    other = await sign_in(client, "supervisor", passwords["supervisor"])
    assert other.status_code == 429  # the limit is per address, whatever the name


async def test_the_limit_is_checked_before_any_password_is_hashed(
    client: httpx.AsyncClient, passwords: dict[str, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("operator", "supervisor", "nobody", "admin", "x.y"):
        assert (await sign_in(client, name, "guess")).status_code == 401

    async def no_hashing(*_args: object) -> None:
        raise AssertionError("a refused login must not reach argon2")

    monkeypatch.setattr(passwords_module.hashing_pool(), "run", no_hashing)
    assert (await sign_in(client, "campaign_manager", "guess")).status_code == 429


async def test_a_success_does_not_wipe_the_failures_of_its_address(
    client: httpx.AsyncClient, passwords: dict[str, str],
) -> None:
    for _ in range(4):
        await sign_in(client, "nobody", "guess")
    assert (await sign_in(client, "operator", passwords["operator"])).status_code == 303
    assert (await sign_in(client, "admin", "guess")).status_code == 401
    assert (await sign_in(client, "admin", passwords["admin"])).status_code == 429


async def test_disabling_a_user_or_changing_the_password_ends_open_sessions(
    client: httpx.AsyncClient, passwords: dict[str, str], db_session_factory: Sessions,
) -> None:
    await sign_in(client, "operator", passwords["operator"])
    async with db_session_factory() as session:
        await set_password(session, "operator", "a-brand-new-secret")
    assert (await client.get("/console", headers=HTML)).status_code == 303

    await sign_in(client, "supervisor", passwords["supervisor"])
    assert (await client.get("/supervisor")).status_code == 200
    async with db_session_factory() as session:
        await deactivate(session, "supervisor")
    assert (await client.get("/supervisor", headers=HTML)).status_code == 303


async def test_a_login_ends_twelve_hours_after_signing_in_even_if_the_session_was_written(
    client: httpx.AsyncClient, passwords: dict[str, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    await sign_in(client, "operator", passwords["operator"])
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 11 * 3600)
    assert (await client.get("/console/queue/seismic")).status_code == 200
    monkeypatch.setattr(time, "time", lambda: real_time() + 12 * 3600 + 1)
    assert (await client.get("/console", headers=HTML)).status_code == 303


async def test_a_tampered_cookie_or_one_signed_with_another_key_is_nobody(
    client: httpx.AsyncClient, passwords: dict[str, str], db_session_factory: Sessions,
) -> None:
    await sign_in(client, "operator", passwords["operator"])
    cookie = client.cookies[SESSION_COOKIE]
    async with client_for(make_app(db_session_factory, key="another-key-0123456789")) as other:
        other.cookies.set(SESSION_COOKIE, cookie)
        assert (await other.get("/console", headers=HTML)).status_code == 303
    value, signature = cookie.rsplit(".", 1)
    client.cookies.set(SESSION_COOKIE, value + "." + signature[::-1])
    assert (await client.get("/console", headers=HTML)).status_code == 303


def test_an_empty_session_key_is_refused(db_session_factory: Sessions) -> None:
    with pytest.raises(ValueError, match="empty session key"):
        install_auth(FastAPI(), "", db_session_factory)
