"""Helpers shared by every CLI command: loading settings, printing rows.

Conventions every command follows (the docs' "CLI conventions"):

- ``--config FILE`` may come after the subcommand or before it (``centralino --config FILE
  tickets list``); after wins. Without it, ``$CENTRALINO_CONFIG``, else the embedded defaults.
- Tables show times in the center's time zone (the menu file's ``hours.timezone``), each with
  its zone's abbreviation, the zone named under the table; ``--json`` gives ISO 8601 with the
  UTC offset, as stored.
- Tables are never cut: a long value folds onto more lines in a terminal; piped, the table is
  as wide as its longest row.
- Exit codes: 0 done; 1 the command could not do its work (database or Asterisk unreachable,
  no such record, a refused change); 2 bad usage or bad configuration.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.db import DatabaseUnavailable, create_engine, session_factory, upgrade_database
from config.loader import (
    CONFIG_ENV,
    ConfigError,
    ConfigProblem,
    load_settings,
    load_yaml_model,
)
from config.menu import MenuFile
from config.settings import Settings

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="YAML settings file (default: $CENTRALINO_CONFIG, "
                 "else the embedded defaults)", exists=False, dir_okay=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]

err_console = Console(stderr=True)
T = TypeVar("T")
PIPED_WIDTH = 10_000  # columns of a table printed to a file or a pipe: as wide as its rows


@asynccontextmanager
async def database_sessions(url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on ``url`` for one command, the schema upgraded first."""
    await upgrade_database(url)
    engine = create_engine(url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def database_session(url: str) -> AsyncIterator[AsyncSession]:
    """A session on ``url`` for one command, the schema upgraded first."""
    async with database_sessions(url) as sessions, sessions() as session:
        yield session


def run_on_database(work: Coroutine[Any, Any, T]) -> T:
    """Run a command's database work; an unreachable database ends the command with its
    one-line reason and exit code 1."""
    try:
        return asyncio.run(work)
    except DatabaseUnavailable as exc:
        raise fail(str(exc)) from None


def run_with_session(config: Path | None,
                     work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` on a session of the configured database (settings from ``config``): bad
    settings exit 2, an unreachable database 1 (:func:`run_on_database`)."""
    url = settings_or_exit(config).database_url

    async def run() -> T:
        async with database_session(url) as session:
            return await work(session)

    return run_on_database(run())


def os_user() -> str:
    """Who runs the command, for the record of who changed what (``--by`` defaults to it)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in the environment nor the password database
        return "cli"


def root_options(config: ConfigOption = None) -> None:
    """The ``centralino`` command's own options (its callback): ``--config`` before the
    subcommand becomes ``$CENTRALINO_CONFIG`` for the subcommand, whose own ``--config`` still
    wins."""
    if config is not None:
        os.environ[CONFIG_ENV] = str(config)


def settings_or_exit(path: Path | None) -> Settings:
    """Load settings; on bad configuration print one line per problem and exit with code 2."""
    try:
        return load_settings(path)
    except ConfigError as exc:
        report_problems(exc.problems)
        raise typer.Exit(2) from None


def report_problems(problems: Sequence[ConfigProblem]) -> None:
    """One ``config error`` line per problem, on stderr."""
    for problem in problems:
        err_console.print(f"[red]config error[/red] {problem}", highlight=False, soft_wrap=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as an error and return the Exit to raise."""
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def center_zone(settings: Settings) -> ZoneInfo:
    """The center's time zone: the menu file's ``hours.timezone``. A menu file that cannot be
    read gives UTC, with a note on stderr (listing data does not need the menu)."""
    try:
        return ZoneInfo(load_yaml_model(settings.ivr.menu_file, MenuFile).hours.timezone)
    except ConfigError as exc:
        err_console.print(f"note: times in UTC: {exc.problems[0]}", highlight=False,
                          soft_wrap=True)
        return ZoneInfo("UTC")


def local_time(value: datetime, zone: tzinfo) -> str:
    """``value`` on the clock of ``zone``, with the zone's abbreviation: ``2026-03-02 09:15:00
    CET``. A naive ``value`` is taken as UTC (as the database gives it)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def json_ready(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with its times as ISO 8601 strings."""
    return {key: _json_value(value) for key, value in row.items()}


def _text(value: Any, zone: tzinfo | None) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(" ".join(_text(v, zone) for v in item.values())
                         if isinstance(item, dict) else _text(item, zone) for item in value)
    if isinstance(value, datetime) and zone is not None:
        return local_time(value, zone)
    return str(_json_value(value))


def table_console() -> Console:
    """Where tables go: stdout; piped or redirected, wide enough that no row is cut."""
    console = Console()
    if console.is_terminal:
        return console
    return Console(width=PIPED_WIDTH, file=sys.stdout)


def _zone_caption(zone: tzinfo | None) -> str | None:
    return f"times in {zone}" if zone is not None else None


def print_record(row: dict[str, Any], title: str, settings: Settings | None = None) -> None:
    """One record as a two-column table (lists one item per line); with ``settings``, times
    in the center's time zone."""
    zone = center_zone(settings) if settings is not None else None
    table = Table(title=title, show_header=False, caption=_zone_caption(zone))
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    for key, value in row.items():
        table.add_row(key, _text(value, zone))
    table_console().print(table)


def print_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], as_json: bool,
               title: str, settings: Settings | None = None) -> None:
    """Print ``rows`` as a JSON array (ISO-8601 times) or as a table of ``columns``; with
    ``settings``, the table's times are in the center's time zone."""
    if as_json:
        payload = [json_ready(row) for row in rows]
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    zone = center_zone(settings) if settings is not None else None
    table = Table(title=title, caption=_zone_caption(zone))
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_text(row.get(c), zone) for c in columns))
    table_console().print(table)
