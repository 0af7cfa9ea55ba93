"""``centralino tickets list | show``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from centralino.cli_support import (
    ConfigOption,
    JsonOption,
    fail,
    json_ready,
    print_record,
    print_rows,
    settings_or_exit,
)
from centralino.db import DatabaseUnavailable, create_engine, session_factory, upgrade_database
from cti.models import Ticket
from cti.tickets import get_ticket, list_tickets
from cti.tracking import format_for_display, is_valid_tracking_code

app = typer.Typer(no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Tickets opened for calls."""

TABLE_COLUMNS = ("tracking_code", "status", "classification", "ivr_outcome", "dtmf_path",
                 "caller_id", "created_at")


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
    print_rows(rows, TABLE_COLUMNS, as_json, title="Tickets")


@app.command("show")
def show_command(
    code: Annotated[str, typer.Argument(help="The ticket's tracking code (spaces allowed).")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """One ticket: status, classification, the caller's way through the IVR."""
    settings = settings_or_exit(config)
    tracking_code = code.replace(" ", "")
    if not is_valid_tracking_code(tracking_code):
        raise fail(f"{code!r} is not a tracking code (9 digits, the last a check digit)", 2)
    try:
        row = asyncio.run(_one(settings.database_url, tracking_code))
    except DatabaseUnavailable as exc:
        raise fail(str(exc)) from None
    if row is None:
        raise fail(f"no ticket with tracking code {tracking_code}")
    if as_json:
        typer.echo(json.dumps(json_ready(row), ensure_ascii=False))
        return
    print_record(row, title=f"Ticket {format_for_display(tracking_code)}")


async def _rows(url: str, limit: int) -> list[dict[str, Any]]:
    async with _session(url) as session:
        return [ticket_json(ticket) for ticket in await list_tickets(session, limit=limit)]


async def _one(url: str, tracking_code: str) -> dict[str, Any] | None:
    async with _session(url) as session:
        ticket = await get_ticket(session, tracking_code)
        return ticket_json(ticket) if ticket is not None else None


@asynccontextmanager
async def _session(url: str) -> AsyncIterator[AsyncSession]:
    await upgrade_database(url)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    """A ticket as scripts see it (``tickets list --json``, ``tickets show --json``)."""
    return {
        "tracking_code": ticket.tracking_code,
        "status": ticket.status,
        "channel": ticket.channel,
        "call_linkedid": ticket.call_linkedid,
        "caller_id": ticket.call.caller_id if ticket.call is not None else None,
        "classification": ticket.classification,
        "language": ticket.language,
        "contact_id": ticket.contact_id,
        "dtmf_path": ticket.dtmf_path,
        "ivr_nodes": ticket.ivr_nodes,
        "ivr_outcome": ticket.ivr_outcome,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
    }
