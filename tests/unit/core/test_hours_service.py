"""The manual override: stored as a history, cached by HoursService, kept through outages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from structlog.testing import capture_logs

from centralino.core.db import create_engine, session_factory
from centralino.core.hours.rules import (
    CenterState,
    CenterStatus,
    OfficeHours,
    Override,
    OverrideMode,
)
from centralino.core.hours.service import (
    HoursService,
    InvalidOverride,
    current_override,
    override_history,
    set_override,
)
from config.hours import HoursSettings

Sessions = async_sessionmaker[AsyncSession]
WEDNESDAY_MORNING = datetime(2026, 3, 11, 9, 30, tzinfo=UTC)  # 10:30 in Rome: open
CHRISTMAS_MORNING = datetime(2026, 12, 25, 9, 30, tzinfo=UTC)
OFFICE_HOURS = OfficeHours(HoursSettings())


class FlakySessions:
    """A session factory whose database can fail, as in an outage, and that counts its uses."""

    def __init__(self, sessions: Sessions, broken: Sessions) -> None:
        self.sessions, self.broken, self.down = sessions, broken, False
        self.uses = 0
        self._used = asyncio.Event()

    def __call__(self) -> AsyncSession:
        self.uses += 1
        self._used.set()
        return (self.broken if self.down else self.sessions)()

    async def wait_for_refreshes(self, count: int) -> None:
        """Until ``count`` more refreshes have finished (the one after them has begun)."""
        target = self.uses + count + 1
        async with asyncio.timeout(10):
            while self.uses < target:
                self._used.clear()
                await self._used.wait()


@pytest_asyncio.fixture
async def unreachable_sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    """Sessions on a SQLite file that cannot be opened (its directory cannot be created)."""
    (tmp_path / "file").write_text("a file where a directory should be")
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'file' / 'no' / 'db'}")
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


def service(sessions: Sessions | FlakySessions, now: datetime = WEDNESDAY_MORNING,
            refresh_interval: float = 2.0) -> HoursService:
    return HoursService(OFFICE_HOURS, sessions, clock=lambda: now,
                        refresh_interval=refresh_interval)


# -- the stored history ----------------------------------------------------------------------


async def test_a_fresh_database_has_no_override(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        assert await current_override(session) is None
        assert await override_history(session) == []


async def test_the_newest_override_is_in_force_and_auto_ends_it(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        await set_override(session, "closed", "strike", "anna")
    async with db_session_factory() as session:
        current = await current_override(session)
        assert current is not None
        assert (current.mode, current.reason, current.set_by) == ("closed", "strike", "anna")
        assert current.set_at.tzinfo == UTC
        await set_override(session, OverrideMode.OPEN, None, "bruno")
    async with db_session_factory() as session:
        current = await current_override(session)
        assert current is not None and (current.mode, current.set_by) == ("open", "bruno")
        await set_override(session, "auto", None, "carla")
    async with db_session_factory() as session:
        assert await current_override(session) is None
        history = await override_history(session)
    assert [(row.mode, row.set_by) for row in history] == [
        ("auto", "carla"), ("open", "bruno"), ("closed", "anna")]


async def test_the_history_is_limited_to_the_newest_rows(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        for n in range(5):
            await set_override(session, "open", f"test {n}", "anna")
        assert [row.reason for row in await override_history(session, limit=2)] == [
            "test 4", "test 3"]


@pytest.mark.parametrize("reason", [None, "", "   "])
async def test_closing_without_a_reason_is_refused_and_nothing_is_stored(
    db_session_factory: Sessions, reason: str | None
) -> None:
    async with db_session_factory() as session:
        with pytest.raises(ValueError, match="needs a reason"):
            await set_override(session, "closed", reason, "anna")
        assert await override_history(session) == []


async def test_an_unknown_mode_a_too_long_reason_and_no_author_are_refused(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        with pytest.raises(InvalidOverride, match="open, closed or auto"):
            await set_override(session, "maybe", "x", "anna")
        with pytest.raises(InvalidOverride, match="longer than 500"):
            await set_override(session, "closed", "x" * 501, "anna")
        with pytest.raises(InvalidOverride, match="who sets"):
            await set_override(session, "open", None, " ")
        assert await override_history(session) == []


async def test_the_database_refuses_an_unknown_mode(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        with pytest.raises(IntegrityError):
            await session.execute(text(
                "INSERT INTO hours_overrides (mode, set_by, set_at) "
                "VALUES ('maybe', 'anna', CURRENT_TIMESTAMP)"))


# -- HoursService ----------------------------------------------------------------------------


async def test_without_an_override_the_clock_decides(db_session_factory: Sessions) -> None:
    hours = service(db_session_factory)
    await hours.refresh()
    assert hours.status() == CenterStatus(CenterState.OPEN)
    assert service(db_session_factory, CHRISTMAS_MORNING).status() == CenterStatus(
        CenterState.HOLIDAY, "Christmas Day")


async def test_a_closed_override_applies_at_once_is_stored_and_logged(
    db_session_factory: Sessions,
) -> None:
    hours = service(db_session_factory)
    with capture_logs() as logs:
        status = await hours.set_override("closed", "staff meeting", "anna")
    override = Override(OverrideMode.CLOSED, "staff meeting", "anna", WEDNESDAY_MORNING)
    assert status == hours.status() == CenterStatus(CenterState.CLOSED, "staff meeting", override)
    assert hours.status_json() == {
        "state": "closed", "reason": "staff meeting", "clock_state": "open",
        "override": {"mode": "closed", "reason": "staff meeting", "set_by": "anna",
                     "set_at": "2026-03-11T09:30:00+00:00"},
    }
    assert {"event": "hours.override_set", "mode": "closed", "reason": "staff meeting",
            "set_by": "anna", "log_level": "info"} in logs
    async with db_session_factory() as session:
        stored = await current_override(session)
    assert stored is not None and stored.reason == "staff meeting"


async def test_an_open_override_opens_the_center_on_christmas(
    db_session_factory: Sessions,
) -> None:
    hours = service(db_session_factory, CHRISTMAS_MORNING)
    await hours.set_override("open", "emergency line", "anna")
    assert (hours.status().state, hours.status().reason) == (CenterState.OPEN, "emergency line")
    await hours.set_override("auto", None, "anna")
    assert hours.status() == CenterStatus(CenterState.HOLIDAY, "Christmas Day")


async def test_closing_without_a_reason_leaves_the_service_as_it_was(
    db_session_factory: Sessions,
) -> None:
    hours = service(db_session_factory)
    with pytest.raises(ValueError, match="needs a reason"):
        await hours.set_override("closed", None, "anna")
    assert hours.status() == CenterStatus(CenterState.OPEN)


async def test_an_override_set_elsewhere_is_seen_after_a_refresh_not_before(
    db_session_factory: Sessions,
) -> None:
    hours = service(db_session_factory)
    await hours.refresh()
    async with db_session_factory() as session:  # e.g. `centralino hours close`
        await set_override(session, "closed", "strike", "cli-user")
    assert hours.status().state is CenterState.OPEN  # the cache: no query per call
    await hours.refresh()
    assert hours.status().state is CenterState.CLOSED
    assert hours.override is not None and hours.override.set_by == "cli-user"


async def test_start_reads_the_override_and_the_background_task_follows_changes(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        await set_override(session, "closed", "strike", "anna")
    sessions = FlakySessions(db_session_factory, db_session_factory)
    hours = service(sessions, refresh_interval=0.01)
    await hours.start()
    try:
        assert hours.status().state is CenterState.CLOSED
        async with db_session_factory() as session:
            await set_override(session, "auto", None, "anna")
        await sessions.wait_for_refreshes(1)
        assert hours.status() == CenterStatus(CenterState.OPEN)
    finally:
        await hours.stop()


async def test_a_failing_database_keeps_the_last_known_override(
    db_session_factory: Sessions, unreachable_sessions: Sessions
) -> None:
    sessions = FlakySessions(db_session_factory, unreachable_sessions)
    hours = service(sessions)
    await hours.set_override("closed", "strike", "anna")
    sessions.down = True
    with capture_logs() as logs:
        await hours.refresh()
        await hours.refresh()
    assert hours.status().state is CenterState.CLOSED
    assert [entry["event"] for entry in logs] == ["hours.refresh_failed"]  # once, not per try
    async with db_session_factory() as session:
        await set_override(session, "auto", None, "anna")
    sessions.down = False
    await hours.refresh()
    assert hours.status().state is CenterState.OPEN


async def test_the_background_task_survives_a_failing_database(
    db_session_factory: Sessions, unreachable_sessions: Sessions
) -> None:
    sessions = FlakySessions(db_session_factory, unreachable_sessions)
    sessions.down = True
    hours = service(sessions, refresh_interval=0.01)
    await hours.start()  # the first read fails too: no override known, the clock decides
    try:
        await sessions.wait_for_refreshes(2)
        assert hours.status() == CenterStatus(CenterState.OPEN)
        async with db_session_factory() as session:
            await set_override(session, "closed", "strike", "anna")
        sessions.down = False  # the database comes back
        await sessions.wait_for_refreshes(1)
        assert hours.status().reason == "strike"
    finally:
        await hours.stop()


async def test_replacing_the_office_hours_changes_the_status(
    db_session_factory: Sessions,
) -> None:
    hours = service(db_session_factory, WEDNESDAY_MORNING + timedelta(hours=8))  # 18:30 Rome
    assert hours.status().state is CenterState.CLOSED
    hours.office_hours = OfficeHours(HoursSettings(weekly={"wed": ["09:00-20:00"]}))
    assert hours.status().state is CenterState.OPEN
