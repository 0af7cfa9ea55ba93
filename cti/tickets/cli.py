"""``centralino tickets list | show | history | set-status | overdue``."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated, Any

import typer

from centralino.core.cli_support import (
    ConfigOption,
    JsonOption,
    database_session,
    fail,
    json_ready,
    os_user,
    print_record,
    print_rows,
    run_on_database,
    settings_or_exit,
)
from centralino.core.db import DatabaseUnavailable, utcnow
from cti.tickets.models import Ticket, TicketEvent
from cti.tickets.store import get_ticket, list_tickets
from cti.tickets.tracking import format_for_display, is_valid_tracking_code
from cti.tickets.workflow import (
    ConcurrentChange,
    InvalidTicketChange,
    InvalidTransition,
    TicketNotFound,
    as_status,
    change_status,
    history,
    is_overdue,
    overdue,
)

app = typer.Typer(no_args_is_help=True)

CodeArgument = Annotated[str, typer.Argument(help="The ticket's tracking code (spaces allowed).")]
LimitOption = Annotated[int, typer.Option("--limit", "-n", min=1, help="How many tickets.")]
TABLE_COLUMNS = ("tracking_code", "status", "classification", "ivr_outcome", "dtmf_path",
                 "caller_id", "created_at")
OVERDUE_COLUMNS = ("tracking_code", "status", "classification", "assigned_to", "due_at",
                   "created_at")
HISTORY_COLUMNS = ("at", "actor", "kind", "from_value", "to_value", "detail")


@app.callback()
def _group() -> None:
    """Tickets opened for calls."""


@app.command("list")
def list_command(config: ConfigOption = None, limit: LimitOption = 50,
                 as_json: JsonOption = False) -> None:
    """The most recent tickets, newest first."""
    settings = settings_or_exit(config)
    rows = run_on_database(_rows(settings.database_url, limit))
    print_rows(rows, TABLE_COLUMNS, as_json, title="Tickets", settings=settings)


@app.command("show")
def show_command(code: CodeArgument, config: ConfigOption = None,
                 as_json: JsonOption = False) -> None:
    """One ticket: status, classification, the caller's way through the IVR, the work on it."""
    settings = settings_or_exit(config)
    tracking_code = _tracking_code_or_exit(code)
    row = run_on_database(_one(settings.database_url, tracking_code))
    if row is None:
        raise fail(f"no ticket with tracking code {tracking_code}")
    if as_json:
        typer.echo(json.dumps(json_ready(row), ensure_ascii=False))
        return
    print_record(row, title=f"Ticket {format_for_display(tracking_code)}",
                 settings=settings)


@app.command("history")
def history_command(code: CodeArgument, config: ConfigOption = None,
                    as_json: JsonOption = False) -> None:
    """Every change of one ticket, oldest first: when, who, what, from and to."""
    settings = settings_or_exit(config)
    tracking_code = _tracking_code_or_exit(code)
    try:
        rows = asyncio.run(_history(settings.database_url, tracking_code))
    except TicketNotFound as exc:
        raise fail(str(exc)) from None
    except DatabaseUnavailable as exc:
        raise fail(str(exc)) from None
    print_rows(rows, HISTORY_COLUMNS, as_json,
               title=f"History of ticket {format_for_display(tracking_code)}",
               settings=settings)


@app.command("set-status")
def set_status_command(
    code: CodeArgument,
    status: Annotated[str, typer.Argument(help="The new status, e.g. in_progress, resolved.")],
    by: Annotated[str | None, typer.Option(
        "--by", help="Who changes it (default: the operating-system user).")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why, kept in the history.")] = None,
    config: ConfigOption = None,
) -> None:
    """Move a ticket to another status, if its workflow allows it from where it is."""
    settings = settings_or_exit(config)
    tracking_code = _tracking_code_or_exit(code)
    try:
        as_status(status)
    except InvalidTicketChange as exc:
        raise fail(str(exc), 2) from None
    actor = by if by is not None else os_user()
    try:
        ticket = asyncio.run(_set_status(settings.database_url, tracking_code, status, actor,
                                         note))
    except InvalidTransition as exc:
        raise fail(str(exc)) from None
    except InvalidTicketChange as exc:
        raise fail(str(exc), 2) from None
    except (TicketNotFound, ConcurrentChange, DatabaseUnavailable) as exc:
        raise fail(str(exc)) from None
    typer.echo(f"ticket {format_for_display(tracking_code)}: {ticket.status}, by {actor}")


@app.command("overdue")
def overdue_command(config: ConfigOption = None, limit: LimitOption = 50,
                    as_json: JsonOption = False) -> None:
    """Open tickets past their SLA due time, the longest overdue first."""
    settings = settings_or_exit(config)
    rows = run_on_database(_overdue(settings.database_url, limit))
    print_rows(rows, OVERDUE_COLUMNS, as_json, title="Overdue tickets", settings=settings)


async def _rows(url: str, limit: int) -> list[dict[str, Any]]:
    async with database_session(url) as session:
        now = utcnow()
        return [ticket_json(ticket, now) for ticket in await list_tickets(session, limit=limit)]


async def _one(url: str, tracking_code: str) -> dict[str, Any] | None:
    async with database_session(url) as session:
        ticket = await get_ticket(session, tracking_code)
        return ticket_json(ticket, utcnow()) if ticket is not None else None


async def _history(url: str, tracking_code: str) -> list[dict[str, Any]]:
    async with database_session(url) as session:
        return [_event_json(event) for event in await history(session, tracking_code)]


async def _set_status(url: str, tracking_code: str, status: str, actor: str,
                      note: str | None) -> Ticket:
    async with database_session(url) as session:
        return await change_status(session, tracking_code, status, actor, note)


async def _overdue(url: str, limit: int) -> list[dict[str, Any]]:
    async with database_session(url) as session:
        now = utcnow()
        return [ticket_json(ticket, now) for ticket in await overdue(session, now, limit)]


def _tracking_code_or_exit(code: str) -> str:
    tracking_code = code.replace(" ", "")
    if not is_valid_tracking_code(tracking_code):
        raise fail(f"{code!r} is not a tracking code (9 digits, the last a check digit)", 2)
    return tracking_code



def ticket_json(ticket: Ticket, now: datetime) -> dict[str, Any]:
    """A ticket as scripts see it (``tickets list | show | overdue --json``).

    ``ticket.call`` must be loaded; ``overdue``: open and past its SLA due time at ``now``.
    """
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
        "queue_outcome": ticket.queue_outcome,
        "queue_wait_seconds": ticket.queue_wait_seconds,
        "assigned_to": ticket.assigned_to,
        "second_level_team": ticket.second_level_team,
        "callback_requested": ticket.callback_requested,
        "notes": ticket.notes,
        "resolution": ticket.resolution,
        "due_at": ticket.due_at,
        "overdue": is_overdue(ticket, now),
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
    }


def _event_json(event: TicketEvent) -> dict[str, Any]:
    return {"at": event.at, "actor": event.actor, "kind": event.kind,
            "from_value": event.from_value, "to_value": event.to_value, "detail": event.detail}
