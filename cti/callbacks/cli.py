"""``centralino callbacks list``: the callers the center owes a call."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from centralino.core.cli_support import (
    ConfigOption,
    JsonOption,
    database_session,
    print_rows,
    run_on_database,
    settings_or_exit,
)
from cti.callbacks.models import ACTIVE_STATUSES, CallbackStatus
from cti.callbacks.store import list_callbacks
from cti.tickets.queries import tracking_codes_of_calls

app = typer.Typer(no_args_is_help=True)

COLUMNS = ("id", "caller", "reason", "due_at", "attempts", "status", "last_outcome", "tickets")


@app.callback()
def _group() -> None:
    """Callback tasks: voicemails, abandoned and missed calls to call back."""


@app.command("list")
def list_command(
    status: Annotated[list[CallbackStatus] | None, typer.Option(
        "--status", "-s", help="Only tasks in this status (repeatable); default: open and "
                               "in_progress.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10000)] = 100,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Callback tasks, soonest due first."""
    settings = settings_or_exit(config)
    rows = run_on_database(_rows(settings.database_url, status or list(ACTIVE_STATUSES), limit))
    print_rows(rows, COLUMNS, as_json, title="Callbacks", settings=settings)


async def _rows(url: str, statuses: list[CallbackStatus], limit: int) -> list[dict[str, Any]]:
    async with database_session(url) as session:
        tasks = await list_callbacks(session, statuses, limit)
        codes = await tracking_codes_of_calls(session, [i for t in tasks for i in t.linkedids])
    return [{"id": t.id, "caller": t.caller, "reason": t.reason, "reasons": t.reasons,
             "due_at": t.due_at, "attempts": t.attempts, "status": t.status,
             "last_outcome": t.last_outcome, "assigned_to": t.assigned_to,
             "tickets": [codes[i] for i in t.linkedids if i in codes],
             "recording_ids": t.recording_ids, "created_at": t.created_at}
            for t in tasks]
