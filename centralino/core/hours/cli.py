"""``centralino hours close | open | auto | status | history``: the manual override."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from centralino.core.cli_support import (
    ConfigOption,
    JsonOption,
    center_zone,
    database_session,
    fail,
    local_time,
    os_user,
    print_rows,
    report_problems,
    run_on_database,
    settings_or_exit,
)
from centralino.core.db import DatabaseUnavailable
from centralino.core.hours.models import HoursOverride
from centralino.core.hours.rules import OfficeHours, OverrideMode, effective_status, status_json
from centralino.core.hours.service import (
    InvalidOverride,
    as_override,
    current_override,
    override_history,
    set_override,
)
from config.hours import HoursSettings
from config.loader import ConfigError, load_yaml_model
from config.menu import MenuFile

app = typer.Typer(no_args_is_help=True)

T = TypeVar("T")
ByOption = Annotated[str | None, typer.Option(
    "--by", help="Who sets the override (default: the operating-system user).")]
HISTORY_COLUMNS = ("set_at", "mode", "reason", "set_by")


@app.callback()
def _group() -> None:
    """Office hours: force the center open or closed, or let the clock decide."""


@app.command("close")
def close(
    reason: Annotated[str, typer.Option("--reason", help="Why the center is closed.")],
    by: ByOption = None,
    config: ConfigOption = None,
) -> None:
    """Close the center now, whatever the clock says, until `open` or `auto`."""
    _set(config, OverrideMode.CLOSED, reason, by)


@app.command("open")
def open_(
    reason: Annotated[str | None, typer.Option("--reason", help="Why.")] = None,
    by: ByOption = None,
    config: ConfigOption = None,
) -> None:
    """Open the center now, even out of hours or on a holiday, until `close` or `auto`."""
    _set(config, OverrideMode.OPEN, reason, by)


@app.command("auto")
def auto(by: ByOption = None, config: ConfigOption = None) -> None:
    """End the override: office hours, holidays and closures decide again."""
    _set(config, OverrideMode.AUTO, None, by)


@app.command("status")
def status(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """The center's state now: the override in force, if any, and the clock's state."""
    settings = settings_or_exit(config)
    office_hours = OfficeHours(_hours_or_exit(settings.ivr.menu_file))
    row = run_on_database(_in_session(settings.database_url, current_override))
    by_clock = office_hours.status_at(datetime.now(UTC))
    document = status_json(effective_status(by_clock, as_override(row)), by_clock.state)
    if as_json:
        typer.echo(json.dumps(document, ensure_ascii=False))
        return
    reason = f" ({document['reason']})" if document["reason"] else ""
    typer.echo(f"state: {document['state']}{reason}")
    typer.echo(f"override: {_describe(row, office_hours.zone) if row is not None else 'none'}")
    typer.echo(f"clock: {document['clock_state']}")


@app.command("history")
def history(
    config: ConfigOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """The most recent overrides, newest first."""
    settings = settings_or_exit(config)
    rows = run_on_database(_in_session(settings.database_url,
                                       lambda session: override_history(session, limit)))
    print_rows([{column: getattr(row, column) for column in HISTORY_COLUMNS} for row in rows],
               HISTORY_COLUMNS, as_json, title="Office-hours overrides", settings=settings)


def _set(config: Path | None, mode: OverrideMode, reason: str | None, by: str | None) -> None:
    settings = settings_or_exit(config)
    who = by if by is not None else os_user()
    try:
        row = asyncio.run(_in_session(
            settings.database_url, lambda session: set_override(session, mode, reason, who)))
    except InvalidOverride as exc:
        raise fail(str(exc), code=2) from None
    except DatabaseUnavailable as exc:
        raise fail(str(exc)) from None
    typer.echo(f"override: {_describe(row, center_zone(settings))}")


def _describe(row: HoursOverride, zone: tzinfo) -> str:
    what = "none, the clock decides" if row.mode == OverrideMode.AUTO else row.mode
    reason = f" ({row.reason})" if row.reason else ""
    return f"{what}{reason}, set by {row.set_by} at {local_time(row.set_at, zone)}"



def _hours_or_exit(menu_file: Path) -> HoursSettings:
    """The ``hours:`` block of the menu file; a bad file is one line per problem and exit 2."""
    try:
        return load_yaml_model(menu_file, MenuFile).hours
    except ConfigError as exc:
        report_problems(exc.problems)
        raise typer.Exit(2) from None


async def _in_session(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async with database_session(url) as session:
        return await work(session)
