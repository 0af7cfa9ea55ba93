"""``centralino dnc``: the do-not-call list, numbers no campaign dials. ``dnc import`` loads a
CSV or XLSX file with a ``phone`` column (the opt-out register's extract), all or nothing.

Exit codes: 0 done; 1 refused (removing a number that is not listed); 2 a bad number or file
(every problem on its own line, ``line N, column C: ...``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn
from sqlalchemy.ext.asyncio import AsyncSession

from centralino.core.cli_support import (
    ConfigOption,
    JsonOption,
    err_console,
    fail,
    os_user,
    print_rows,
    run_with_session,
    settings_or_exit,
)
from centralino.core.dialing import e164_number
from outbound import dnc
from outbound.lists import REGION, ListRefused, NumberList, read_number_list
from outbound.terms import DncSource

app = typer.Typer(no_args_is_help=True)
By = Annotated[str | None, typer.Option(help="Who changes the list (default: you).")]


@app.callback()
def _group() -> None:
    """The do-not-call list: numbers no campaign dials."""


def _number(text: str) -> str:
    number = e164_number(text, REGION)
    if number is None:
        raise fail(f"not a phone number: {text!r}", 2)
    return number


@app.command("add")
def add_command(number: Annotated[str, typer.Argument()], by: By = None,
                config: ConfigOption = None) -> None:
    """Put a number on the list."""
    phone = _number(number)
    added = run_with_session(config, lambda session: dnc.add_numbers(
        session, [phone], DncSource.CLI, now=datetime.now(UTC), added_by=by or os_user()))
    typer.echo(f"{phone}: {'added' if added else 'already on the list'}")


@app.command("remove")
def remove_command(number: Annotated[str, typer.Argument()],
                   config: ConfigOption = None) -> None:
    """Take a number off the list."""
    phone = _number(number)
    if not run_with_session(config, lambda session: dnc.remove_number(session, phone)):
        raise fail(f"{phone} is not on the list")
    typer.echo(f"{phone}: removed")


@app.command("import")
def import_command(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
                   as_json: JsonOption = False, by: By = None,
                   config: ConfigOption = None) -> None:
    """Add every number of a CSV or XLSX file's ``phone`` column (all or nothing)."""
    settings_or_exit(config)  # bad settings before a long read
    numbers = _read(file)
    with _spinner(f"saving {len(numbers.phones)} numbers"):
        added = run_with_session(config, lambda session: dnc.add_numbers(
            session, numbers.phones, DncSource.IMPORT, now=datetime.now(UTC),
            added_by=by or os_user()))
    counts = {"read": len(numbers.phones) + numbers.merged, "added": added,
              "already": len(numbers.phones) - added, "merged": numbers.merged, "errors": []}
    if as_json:
        typer.echo(json.dumps(counts))
    else:
        typer.echo(f"{added} numbers added, {counts['already']} already on the list, "
                   f"{numbers.merged} repeated in the file")


def _read(file: Path) -> NumberList:
    """The file's numbers, with a live count of the rows read; a bad file exits 2."""
    with _spinner(f"reading {file.name}") as report:
        try:
            return read_number_list(file, region=REGION, progress=report)
        except ListRefused as exc:
            problems = exc.problems
    for problem in problems:
        err_console.print(escape(str(problem)), highlight=False, soft_wrap=True)
    raise typer.Exit(2)


@contextlib.contextmanager
def _spinner(what: str) -> Iterator[Callable[[int], None]]:
    """A transient line on stderr: ``what`` and the rows counted so far (the function it
    yields takes the count)."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}"),
                  TextColumn("{task.completed} rows"), console=err_console,
                  transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task(what, total=None)
        yield lambda rows: bar.update(task, completed=rows)


@app.command("list")
def list_command(as_json: JsonOption = False,
                 limit: Annotated[int | None, typer.Option("--limit", "-n", min=1)] = None,
                 config: ConfigOption = None) -> None:
    """The listed numbers, most recently added first."""
    async def rows(session: AsyncSession) -> list[dict[str, Any]]:
        return [dnc.number_json(n) for n in await dnc.list_numbers(session, limit)]

    print_rows(run_with_session(config, rows), ("phone", "source", "added_by", "added_at"),
               as_json, title="Do not call")
