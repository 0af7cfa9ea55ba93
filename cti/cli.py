"""``centralino tickets list``."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer

from centralino.cli_support import ConfigOption, JsonOption, fail, print_rows, settings_or_exit
from centralino.db import DatabaseUnavailable, create_engine, session_factory, upgrade_database
from cti.models import Ticket
from cti.tickets import list_tickets

app = typer.Typer(no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Tickets opened for calls."""

COLUMNS = ("tracking_code", "status", "channel", "call_linkedid", "caller_id", "created_at",
           "updated_at")


@app.command("list")
def list_command(
    config: ConfigOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many tickets.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """The most recent tickets, newest first."""
    settings = settings_or_exit(config)
    try:
        rows = asyncio.run(_rows(settings.database_url, limit))
    except DatabaseUnavailable as exc:
        raise fail(str(exc)) from None
    print_rows(rows, COLUMNS, as_json, title="Tickets")


async def _rows(url: str, limit: int) -> list[dict[str, Any]]:
    await upgrade_database(url)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return [_row(ticket) for ticket in await list_tickets(session, limit=limit)]
    finally:
        await engine.dispose()


def _row(ticket: Ticket) -> dict[str, Any]:
    return {
        "tracking_code": ticket.tracking_code,
        "status": ticket.status,
        "channel": ticket.channel,
        "call_linkedid": ticket.call_linkedid,
        "caller_id": ticket.call.caller_id if ticket.call is not None else None,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
    }
