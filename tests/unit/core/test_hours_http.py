"""``GET /api/hours`` and ``POST /api/hours/override``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.hours.http import hours_router
from centralino.core.hours.rules import CenterState, OfficeHours
from centralino.core.hours.service import HoursService, current_override
from config.hours import HoursSettings

NOW = datetime(2026, 12, 25, 9, 30, tzinfo=UTC)  # Christmas morning


@pytest_asyncio.fixture
async def hours_service(
    db_session_factory: async_sessionmaker[AsyncSession],
) -> HoursService:
    return HoursService(OfficeHours(HoursSettings()), db_session_factory, clock=lambda: NOW)


@pytest_asyncio.fixture
async def client(hours_service: HoursService) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(hours_router(hours_service))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        yield client


async def test_get_answers_the_state_by_the_clock(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/hours")
    assert response.status_code == 200
    assert response.json() == {"state": "holiday", "reason": "Christmas Day", "override": None,
                               "clock_state": "holiday"}


async def test_an_open_override_answers_the_new_status_and_names_the_header_user(
    client: httpx.AsyncClient, hours_service: HoursService,
    db_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    response = await client.post("/api/hours/override",
                                 json={"mode": "open", "reason": "emergency line"},
                                 headers={"X-Centralino-User": "anna"})
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


async def test_the_body_author_wins_over_the_header_and_web_is_the_fallback(
    client: httpx.AsyncClient,
) -> None:
    by_body = await client.post("/api/hours/override",
                                json={"mode": "closed", "reason": "strike", "by": "bruno"},
                                headers={"X-Centralino-User": "anna"})
    assert by_body.json()["override"]["set_by"] == "bruno"
    anonymous = await client.post("/api/hours/override", json={"mode": "auto"})
    assert anonymous.status_code == 200
    assert anonymous.json()["override"] is None
    assert anonymous.json()["state"] == "holiday"


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
