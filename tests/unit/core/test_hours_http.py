"""``GET /api/hours`` and ``POST /api/hours/override``, on the engine's web app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.auth.models import Role
from centralino.core.hours.http import hours_router
from centralino.core.hours.rules import CenterState, OfficeHours
from centralino.core.hours.service import HoursService, current_override
from centralino.core.web import create_web_app
from config.hours import HoursSettings
from tests.unit.cti.site import KEY, WEB_SETTINGS, _healthy, add_users, client_for, sign_in

NOW = datetime(2026, 12, 25, 9, 30, tzinfo=UTC)  # Christmas morning


@pytest_asyncio.fixture
async def hours_service(
    db_session_factory: async_sessionmaker[AsyncSession],
) -> HoursService:
    return HoursService(OfficeHours(HoursSettings()), db_session_factory, clock=lambda: NOW)


@pytest_asyncio.fixture
async def site(hours_service: HoursService,
               db_session_factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[
                   tuple[httpx.AsyncClient, dict[str, str]]]:
    """A client of the web app with the hours' routes, and users anna (supervisor), olga
    (operator) and carla (campaign manager)."""
    app = create_web_app(_healthy, [hours_router(hours_service)], session_key=KEY,
                         sessions=db_session_factory, web=WEB_SETTINGS)
    passwords = await add_users(db_session_factory, anna=Role.SUPERVISOR, olga=Role.OPERATOR,
                                carla=Role.CAMPAIGN_MANAGER)
    async with client_for(app) as client:
        yield client, passwords


@pytest_asyncio.fixture
async def client(site: tuple[httpx.AsyncClient, dict[str, str]]) -> httpx.AsyncClient:
    """Signed in as anna, a supervisor, sending the session's CSRF token with every request."""
    client, passwords = site
    client.headers["X-CSRF-Token"] = await sign_in(client, "anna", passwords["anna"])
    return client


async def test_get_answers_the_state_by_the_clock(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/hours")
    assert response.status_code == 200
    assert response.json() == {"state": "holiday", "reason": "Christmas Day", "override": None,
                               "clock_state": "holiday"}


async def test_an_open_override_answers_the_new_status_and_names_the_signed_in_user(
    client: httpx.AsyncClient, hours_service: HoursService,
    db_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    response = await client.post("/api/hours/override",
                                 json={"mode": "open", "reason": "emergency line"})
    assert response.status_code == 200
    assert response.json() == {
        "state": "open", "reason": "emergency line", "clock_state": "holiday",
        "override": {"mode": "open", "reason": "emergency line", "set_by": "anna",
                     "set_at": NOW.isoformat()},
    }
    assert hours_service.status().state is CenterState.OPEN
    async with db_session_factory() as session:
        stored = await current_override(session)
    assert stored is not None and stored.set_by == "anna"
    assert (await client.get("/api/hours")).json() == response.json()


async def test_the_author_is_the_signed_in_user_whatever_the_body_or_header_say(
    client: httpx.AsyncClient,
) -> None:
    by_body = await client.post("/api/hours/override",
                                json={"mode": "closed", "reason": "strike", "by": "bruno"},
                                headers={"X-Centralino-User": "marco"})
    assert by_body.status_code == 200
    assert by_body.json()["override"]["set_by"] == "anna"
    back = await client.post("/api/hours/override", json={"mode": "auto"})
    assert back.status_code == 200
    assert back.json()["override"] is None
    assert back.json()["state"] == "holiday"


async def test_closing_without_a_reason_is_422_with_a_clear_message(
    client: httpx.AsyncClient, hours_service: HoursService
) -> None:
    response = await client.post("/api/hours/override", json={"mode": "closed"})
    assert response.status_code == 422
    assert "needs a reason" in response.json()["detail"]
    assert hours_service.override is None


async def test_an_unknown_mode_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/hours/override", json={"mode": "maybe"})
    assert response.status_code == 422


async def test_nobody_closes_the_helpline_without_signing_in_the_permission_and_the_token(
    site: tuple[httpx.AsyncClient, dict[str, str]], hours_service: HoursService,
) -> None:
    client, passwords = site
    closing = {"mode": "closed", "reason": "prank", "by": "anna"}
    anonymous = await client.post("/api/hours/override", json=closing)
    assert anonymous.status_code == 401
    for name in ("olga", "carla"):  # an operator, a campaign manager
        token = await sign_in(client, name, passwords[name])
        refused = await client.post("/api/hours/override", json=closing,
                                    headers={"X-CSRF-Token": token})
        assert refused.status_code == 403
    await sign_in(client, "anna", passwords["anna"])
    no_token = await client.post("/api/hours/override", json=closing)
    assert no_token.status_code == 403 and "CSRF" in no_token.json()["detail"]
    assert hours_service.override is None
