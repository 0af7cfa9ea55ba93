"""``centralino callbacks list``: the tasks, soonest due first, as a table or JSON."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner, Result

from config.settings import CallbackSettings
from cti.callbacks.cli import app
from cti.callbacks.models import CallbackOutcome, CallbackReason
from cti.callbacks.store import begin_attempt, finish_attempt, record_request

NOW = datetime(2026, 3, 11, 10, 0, tzinfo=ZoneInfo("Europe/Rome"))
UNREACHABLE = "postgresql+asyncpg://nobody:s3cret@127.0.0.1:1/x"


async def callbacks(*args: str, url: str) -> Result:
    """Run ``centralino callbacks ARGS`` in a thread: it runs its own loop, as from a shell."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args),
                                   env={"CENTRALINO_DATABASE_URL": url, "COLUMNS": "200"})


async def three_tasks(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Bob due first, then Ann; Carl was reached."""
    async with sessions() as session:
        await record_request(session, caller="+393330000001", reason=CallbackReason.VOICEMAIL,
                             linkedid="a.1", due=NOW, now=NOW, recording_id=4)
        await record_request(session, caller="+393330000002", reason=CallbackReason.ABANDONED,
                             linkedid="b.1", due=NOW - timedelta(hours=1), now=NOW)
        carl = await record_request(session, caller="+393330000003",
                                    reason=CallbackReason.MISSED, linkedid="c.1", due=NOW,
                                    now=NOW)
        _, attempt = await begin_attempt(session, carl.id, "alice", "seat1", NOW)
        await finish_attempt(session, attempt.id, CallbackOutcome.REACHED, "ANSWER", NOW,
                             CallbackSettings(), lambda moment: moment)


async def test_the_json_lists_active_tasks_soonest_due_first_with_the_issues_fields(
    database_url: str, db_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await three_tasks(db_session_factory)
    result = await callbacks("list", "--json", url=database_url)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["caller"], r["reason"], r["status"], r["attempts"]) for r in rows] == [
        ("+393330000002", "abandoned", "open", 0), ("+393330000001", "voicemail", "open", 0)]
    assert datetime.fromisoformat(rows[0]["due_at"]) == NOW - timedelta(hours=1)
    assert {"id", "last_outcome", "tickets"} <= rows[0].keys()


async def test_status_and_limit_filter_the_list(
    database_url: str, db_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await three_tasks(db_session_factory)
    reached = json.loads((await callbacks("list", "--status", "reached", "--json",
                                          url=database_url)).stdout)
    assert [(r["caller"], r["last_outcome"], r["attempts"]) for r in reached] == [
        ("+393330000003", "reached", 1)]
    first = json.loads((await callbacks("list", "-n", "1", "--json", url=database_url)).stdout)
    assert [r["caller"] for r in first] == ["+393330000002"]


async def test_the_table_shows_the_callers(
    database_url: str, db_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await three_tasks(db_session_factory)
    result = await callbacks("list", url=database_url)
    assert result.exit_code == 0 and "+393330000001" in result.stdout


async def test_an_unknown_status_is_refused() -> None:
    result = await callbacks("list", "--status", "pending", url="sqlite+aiosqlite://")
    assert result.exit_code == 2 and "pending" in result.output


async def test_an_unreachable_database_is_one_clear_line() -> None:
    result = await callbacks("list", url=UNREACHABLE)
    assert result.exit_code == 1
    assert "database unavailable" in result.output and "s3cret" not in result.output
