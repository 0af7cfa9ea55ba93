"""``centralino hours close | open | auto | status | history``."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from centralino.core.hours.cli import app

UNREACHABLE = "postgresql+asyncpg://nobody:s3cret@127.0.0.1:1/x"
# The clock's answer must not depend on when the tests run: always open, no holidays.
ALWAYS_OPEN = """\
version: 1
hours:
  holidays_country: null
  weekly: {mon: [00:00-24:00], tue: [00:00-24:00], wed: [00:00-24:00], thu: [00:00-24:00],
           fri: [00:00-24:00], sat: [00:00-24:00], sun: [00:00-24:00]}
entry: {open: main, closed: main}
nodes:
  main: {action: hangup}
"""


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    (tmp_path / "menu.yaml").write_text(ALWAYS_OPEN)
    path = tmp_path / "settings.yaml"
    path.write_text("version: 1\nivr:\n  menu_file: menu.yaml\n")
    return path


async def hours(*args: str, url: str, config: Path) -> Result:
    """Run ``centralino hours ARGS`` in a thread: it runs its own event loop, as from a shell."""
    return await asyncio.to_thread(
        CliRunner().invoke, app, list(args),
        env={"CENTRALINO_DATABASE_URL": url, "CENTRALINO_CONFIG": str(config),
             "LOGNAME": "os-user", "COLUMNS": "200"})


async def status(url: str, config: Path) -> dict[str, object]:
    result = await hours("status", "--json", url=url, config=config)
    assert result.exit_code == 0, result.output
    document: dict[str, object] = json.loads(result.stdout)
    return document


async def test_close_then_auto_is_reflected_in_the_json_status(
    database_url: str, settings_file: Path
) -> None:
    assert await status(database_url, settings_file) == {
        "state": "open", "reason": None, "override": None, "clock_state": "open"}

    closed = await hours("close", "--reason", "staff meeting", "--by", "anna",
                         url=database_url, config=settings_file)
    assert closed.exit_code == 0, closed.output
    assert "closed (staff meeting), set by anna" in closed.stdout
    document = await status(database_url, settings_file)
    override = document.pop("override")
    assert document == {"state": "closed", "reason": "staff meeting", "clock_state": "open"}
    assert isinstance(override, dict)
    assert datetime.fromisoformat(override.pop("set_at")).tzinfo is not None
    assert override == {"mode": "closed", "reason": "staff meeting", "set_by": "anna"}

    ended = await hours("auto", "--by", "anna", url=database_url, config=settings_file)
    assert ended.exit_code == 0, ended.output
    assert await status(database_url, settings_file) == {
        "state": "open", "reason": None, "override": None, "clock_state": "open"}


async def test_the_author_defaults_to_the_operating_system_user(
    database_url: str, settings_file: Path
) -> None:
    result = await hours("open", url=database_url, config=settings_file)
    assert result.exit_code == 0, result.output
    override = (await status(database_url, settings_file))["override"]
    assert isinstance(override, dict) and override["set_by"] == "os-user"


async def test_close_without_a_reason_is_bad_usage_and_stores_nothing(
    database_url: str, settings_file: Path
) -> None:
    missing = await hours("close", url=database_url, config=settings_file)
    assert missing.exit_code == 2
    blank = await hours("close", "--reason", " ", url=database_url, config=settings_file)
    assert blank.exit_code == 2
    assert "needs a reason" in blank.stderr
    history = await hours("history", "--json", url=database_url, config=settings_file)
    assert json.loads(history.stdout) == []


async def test_the_history_lists_every_change_newest_first(
    database_url: str, settings_file: Path
) -> None:
    for args in (("close", "--reason", "strike"), ("open",), ("auto",)):
        assert (await hours(*args, url=database_url, config=settings_file)).exit_code == 0
    result = await hours("history", "--json", url=database_url, config=settings_file)
    rows = json.loads(result.stdout)
    assert [(row["mode"], row["reason"]) for row in rows] == [
        ("auto", None), ("open", None), ("closed", "strike")]


async def test_the_human_status_names_the_state_the_override_and_the_clock(
    database_url: str, settings_file: Path
) -> None:
    await hours("close", "--reason", "strike", "--by", "anna", url=database_url,
                config=settings_file)
    result = await hours("status", url=database_url, config=settings_file)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "state: closed (strike)"
    assert lines[1].startswith("override: closed (strike), set by anna at ")
    assert lines[2] == "clock: open"


async def test_an_unreachable_database_is_one_line_and_exit_1(settings_file: Path) -> None:
    for args in (("status",), ("close", "--reason", "strike"), ("history",)):
        result = await hours(*args, url=UNREACHABLE, config=settings_file)
        assert result.exit_code == 1
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1
        assert "s3cret" not in result.stderr


async def test_a_bad_menu_file_is_a_config_error_with_exit_2(
    tmp_path: Path, settings_file: Path
) -> None:
    (tmp_path / "menu.yaml").write_text("version: 1\nhours:\n  timezone: Mars/Olympus\n")
    result = await hours("status", url=f"sqlite+aiosqlite:///{tmp_path / 'db'}",
                         config=settings_file)
    assert result.exit_code == 2
    assert "hours.timezone" in result.stderr and "unknown time zone" in result.stderr
