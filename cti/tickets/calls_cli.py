"""``centralino calls list``: the core's calls (:func:`centralino.core.calls.service.list_calls`)
with their tickets' tracking codes (:func:`cti.tickets.queries.tracking_codes_of_calls`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from centralino.core.calls.service import list_calls
from centralino.core.cli_support import (
    ConfigOption,
    JsonOption,
    database_session,
    print_rows,
    run_on_database,
    settings_or_exit,
)
from cti.tickets.queries import tracking_codes_of_calls

app = typer.Typer(no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Calls the engine has handled."""

COLUMNS = ("linkedid", "channel", "caller_id", "caller_name", "did", "started_at",
           "answered_at", "ended_at", "duration_seconds", "disposition", "origin",
           "tracking_code")
TABLE_COLUMNS = ("started_at", "origin", "caller_id", "did", "disposition", "duration_seconds",
                 "tracking_code", "linkedid")

@app.command("list")
def list_command(
    config: ConfigOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many calls.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """The most recent calls, newest first."""
    settings = settings_or_exit(config)
    rows = run_on_database(_rows(settings.database_url, limit))
    print_rows(rows, COLUMNS if as_json else TABLE_COLUMNS, as_json, title="Calls",
               settings=settings)


async def _rows(url: str, limit: int) -> list[dict[str, Any]]:
    async with database_session(url) as session:
        calls = await list_calls(session, limit)
        codes = await tracking_codes_of_calls(session, [call.linkedid for call in calls])
        return [_row(call, codes.get(call.linkedid)) for call in calls]


def _row(call: object, tracking_code: str | None) -> dict[str, Any]:
    """The call's columns by name (a row of :func:`centralino.core.calls.service.list_calls`)
    and its ticket's tracking code."""
    row: dict[str, Any] = {name: getattr(call, name) for name in COLUMNS[:-1]}
    row["tracking_code"] = tracking_code
    return row
