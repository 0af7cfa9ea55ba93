"""``centralino tickets history | set-status | overdue`` and the workflow fields of ``--json``."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner, Result

from centralino.core.calls.service import record_call_started
from centralino.core.db import run_write, utcnow
from cti.tickets.cli import app
from cti.tickets.models import Ticket
from cti.tickets.store import open_ticket_for_call
from cti.tickets.workflow import assign, classify

Sessions = async_sessionmaker[AsyncSession]
UNKNOWN = "123456786"  # a valid check digit, no such ticket


async def run_cli(*args: str, url: str, user: str = "clerk") -> Result:
    """Invoke ``centralino tickets`` in a thread (it runs its own event loop, as from a shell)."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env={
        "CENTRALINO_DATABASE_URL": url, "CENTRALINO_CONFIG": "", "COLUMNS": "200",
        "LOGNAME": user})


async def new_ticket(sessions: Sessions, linkedid: str) -> str:
    async with sessions() as session:
        await run_write(session, record_call_started, linkedid, channel="PJSIP/trunk-1",
                        did="800100100", at=utcnow(), caller_id="3331234567")
        return (await open_ticket_for_call(session, linkedid)).tracking_code


async def test_set_status_moves_the_ticket_and_history_shows_who_when_and_why(
    database_url: str, db_session_factory: Sessions,
) -> None:
    code = await new_ticket(db_session_factory, "cli.1")
    spaced = f"{code[:3]} {code[3:6]} {code[6:]}"

    moved = await run_cli("set-status", spaced, "in_progress", "--by", "anna",
                          "--note", "taking it", url=database_url)
    assert moved.exit_code == 0, moved.output
    assert "in_progress" in moved.stdout
    by_os_user = await run_cli("set-status", code, "resolved", url=database_url, user="mario")
    assert by_os_user.exit_code == 0, by_os_user.output

    shown = await run_cli("history", code, "--json", url=database_url)
    assert shown.exit_code == 0, shown.output
    events = json.loads(shown.stdout)
    assert [{k: e[k] for k in ("actor", "kind", "from_value", "to_value", "detail")}
            for e in events] == [
        {"actor": "anna", "kind": "status", "from_value": "new", "to_value": "in_progress",
         "detail": "taking it"},
        {"actor": "mario", "kind": "status", "from_value": "in_progress",
         "to_value": "resolved", "detail": None},
    ]
    times = [datetime.fromisoformat(e["at"]) for e in events]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)
    table = await run_cli("history", code, url=database_url)
    assert table.exit_code == 0 and "taking it" in table.stdout


async def test_set_status_refuses_a_move_the_workflow_does_not_allow_naming_the_allowed_ones(
    database_url: str, db_session_factory: Sessions,
) -> None:
    code = await new_ticket(db_session_factory, "cli.2")
    refused = await run_cli("set-status", code, "closed", "--by", "anna", url=database_url)
    assert refused.exit_code == 1
    assert "cannot go from new to closed" in refused.stderr
    assert "assigned, in_progress, waiting_second_level, resolved" in refused.stderr
    history = json.loads((await run_cli("history", code, "--json", url=database_url)).stdout)
    assert history == []


async def test_set_status_and_history_refuse_bad_input_with_usage_or_lookup_errors(
    database_url: str, db_session_factory: Sessions,
) -> None:
    code = await new_ticket(db_session_factory, "cli.3")
    unknown_status = await run_cli("set-status", code, "done", url=database_url)
    assert unknown_status.exit_code == 2 and "unknown status 'done'" in unknown_status.stderr
    mistyped = await run_cli("set-status", "12345", "resolved", url=database_url)
    assert mistyped.exit_code == 2 and "not a tracking code" in mistyped.stderr
    missing = await run_cli("set-status", UNKNOWN, "resolved", url=database_url)
    assert missing.exit_code == 1 and f"no ticket with tracking code {UNKNOWN}" in missing.stderr
    no_history = await run_cli("history", UNKNOWN, url=database_url)
    assert no_history.exit_code == 1 and "no ticket with tracking code" in no_history.stderr


async def test_overdue_lists_only_open_tickets_past_their_due_time(
    database_url: str, db_session_factory: Sessions,
) -> None:
    late = await new_ticket(db_session_factory, "cli.late")
    later = await new_ticket(db_session_factory, "cli.later")
    in_time = await new_ticket(db_session_factory, "cli.in_time")
    async with db_session_factory() as session:
        for code in (late, later, in_time):
            await classify(session, code, "seismic", "anna", 4)
        await assign(session, late, "anna", "supervisor")
        for code, hours_ago in ((late, 3), (later, 1)):  # as if their SLA had run out
            await session.execute(update(Ticket).where(Ticket.tracking_code == code)
                                  .values(due_at=utcnow() - timedelta(hours=hours_ago)))
        await session.commit()

    result = await run_cli("overdue", "--json", url=database_url)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["tracking_code"], r["overdue"], r["assigned_to"]) for r in rows] == [
        (late, True, "anna"), (later, True, None)]
    table = await run_cli("overdue", url=database_url)
    assert table.exit_code == 0 and late in table.stdout and in_time not in table.stdout


async def test_tickets_json_keeps_its_fields_and_adds_the_workflow_ones(
    database_url: str, db_session_factory: Sessions,
) -> None:
    code = await new_ticket(db_session_factory, "cli.5")
    async with db_session_factory() as session:
        ticket = await classify(session, code, "volunteering", "anna", 72)
        await assign(session, code, "anna", "supervisor")
    shown = json.loads((await run_cli("show", code, "--json", url=database_url)).stdout)
    listed = json.loads((await run_cli("list", "--json", url=database_url)).stdout)
    assert listed == [shown]
    assert {"tracking_code", "status", "channel", "call_linkedid", "caller_id", "classification",
            "language", "contact_id", "dtmf_path", "ivr_nodes", "ivr_outcome", "created_at",
            "updated_at"} <= shown.keys()
    assert ticket.due_at is not None
    assert {k: shown[k] for k in ("status", "assigned_to", "due_at", "overdue",
                                  "callback_requested")} == {
        "status": "assigned", "assigned_to": "anna", "due_at": ticket.due_at.isoformat(),
        "overdue": False, "callback_requested": False}
