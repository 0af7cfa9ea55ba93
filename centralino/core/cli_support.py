"""Helpers shared by every CLI command: loading settings, printing rows."""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import AsyncIterator, Coroutine, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.db import DatabaseUnavailable, create_engine, session_factory, upgrade_database
from config.loader import ConfigError, ConfigProblem, load_settings
from config.settings import Settings

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="YAML settings file (default: $CENTRALINO_CONFIG, "
                 "else the embedded defaults)", exists=False, dir_okay=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]

err_console = Console(stderr=True)
T = TypeVar("T")


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


def os_user() -> str:
    """Who runs the command, for the record of who changed what (``--by`` defaults to it)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in the environment nor the password database
        return "cli"


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


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def json_ready(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with its times as ISO 8601 strings."""
    return {key: _json_value(value) for key, value in row.items()}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(" ".join(str(v) for v in item.values()) if isinstance(item, dict)
                         else str(item) for item in value)
    return str(_json_value(value))


def print_record(row: dict[str, Any], title: str) -> None:
    """One record as a two-column table (lists one item per line)."""
    table = Table(title=title, show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in row.items():
        table.add_row(key, _text(value))
    Console().print(table)


def print_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], as_json: bool,
               title: str) -> None:
    """Print ``rows`` as a JSON array (ISO-8601 times) or as a table of ``columns``."""
    if as_json:
        payload = [json_ready(row) for row in rows]
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_text(row.get(c)) for c in columns))
    Console().print(table)
