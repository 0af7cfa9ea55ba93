"""What every listing command does alike: times in the center's zone, tables never cut when
piped, ``--config`` before or after the subcommand."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner, Result

from centralino.app.cli import app
from centralino.core.cli_support import local_time
from cti.callbacks.models import CallbackReason
from cti.callbacks.store import record_request
from cti.tickets.contacts import add_contact

WINTER = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)  # 10:00 in Rome (CET)
SUMMER = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)  # 11:00 in Rome (CEST)
LONG_NAME = "Maria Antonietta " + "della Valle Fontanarossa " * 6 + "(fine)"


async def centralino(*args: str, env: dict[str, Any]) -> Result:
    """``centralino ARGS`` in a thread (it runs its own loop), stdout not a terminal and no
    ``COLUMNS`` set: as in ``centralino … | grep``."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args),
                                   env={"COLUMNS": None, "LINES": None, **env})


def test_a_time_reads_on_the_centers_clock_with_its_zone() -> None:
    from zoneinfo import ZoneInfo

    rome = ZoneInfo("Europe/Rome")
    assert local_time(WINTER, rome) == "2026-03-11 10:00:00 CET"
    assert local_time(SUMMER, rome) == "2026-07-01 11:00:00 CEST"
    assert local_time(WINTER.replace(tzinfo=None), rome) == "2026-03-11 10:00:00 CET"


async def test_the_callbacks_table_shows_times_in_the_centers_zone_and_names_it(
    database_url: str, db_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with db_session_factory() as session:
        await record_request(session, caller="+393330000001", reason=CallbackReason.VOICEMAIL,
                             linkedid="a.1", due=WINTER, now=WINTER)
    env = {"CENTRALINO_DATABASE_URL": database_url, "CENTRALINO_CONFIG": ""}
    table = await centralino("callbacks", "list", env=env)
    assert table.exit_code == 0, table.output
    assert "2026-03-11 10:00:00 CET" in table.stdout  # the menu file's zone: Europe/Rome
    assert "times in Europe/Rome" in table.stdout
    as_json = await centralino("callbacks", "list", "--json", env=env)
    assert json.loads(as_json.stdout)[0]["due_at"] == "2026-03-11T09:00:00+00:00"  # unchanged


async def test_a_piped_table_keeps_long_values_whole(
    database_url: str, db_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with db_session_factory() as session:
        await add_contact(session, LONG_NAME, phone="+393330000009")
    result = await centralino("contacts", "list", env={
        "CENTRALINO_DATABASE_URL": database_url, "CENTRALINO_CONFIG": ""})
    assert result.exit_code == 0, result.output
    assert len(LONG_NAME) > 150
    assert LONG_NAME in result.stdout  # on one line: not folded, not cut with an ellipsis
    assert "…" not in result.stdout


def settings_file(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "settings.yaml"
    path.write_text(f"version: 1\ndatabase_url: {url}\n")
    return path


async def test_config_may_come_before_the_subcommand(tmp_path: Path, database_url: str,
                                                     db_session_factory: Any) -> None:
    config = settings_file(tmp_path, database_url)
    env = {"CENTRALINO_DATABASE_URL": None, "CENTRALINO_CONFIG": None}
    before = await centralino("--config", str(config), "tickets", "list", "--json", env=env)
    after = await centralino("tickets", "list", "--json", "--config", str(config), env=env)
    assert before.exit_code == after.exit_code == 0, before.output + after.output
    assert json.loads(before.stdout) == json.loads(after.stdout) == []


async def test_a_bad_config_before_the_subcommand_is_bad_configuration(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    result = await centralino("-c", str(missing), "tickets", "list",
                              env={"CENTRALINO_DATABASE_URL": None, "CENTRALINO_CONFIG": None})
    assert result.exit_code == 2
    assert "nowhere.yaml" in result.stderr


async def test_config_after_the_subcommand_wins(tmp_path: Path, database_url: str,
                                                db_session_factory: Any) -> None:
    good = settings_file(tmp_path, database_url)
    result = await centralino("--config", str(tmp_path / "nowhere.yaml"), "tickets", "list",
                              "--json", "--config", str(good),
                              env={"CENTRALINO_DATABASE_URL": None, "CENTRALINO_CONFIG": None})
    assert result.exit_code == 0, result.output
