"""``centralino calls list`` and ``centralino tickets list | show``."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner, Result

from centralino.core.calls.service import record_call_ended, record_call_started
from centralino.core.db import run_write
from cti.tickets.calls_cli import app as calls_app
from cti.tickets.cli import app as tickets_app
from cti.tickets.contacts import list_contacts
from cti.tickets.contacts_cli import app as contacts_app
from cti.tickets.store import IvrTrace, open_ticket_for_call, save_ivr_trace

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
UNREACHABLE = "postgresql+asyncpg://nobody:s3cret@127.0.0.1:1/x"


async def run_cli(app: typer.Typer, *args: str, url: str) -> Result:
    """Invoke the CLI in a thread: it runs its own event loop, as from a shell."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args),
                                   env={"CENTRALINO_DATABASE_URL": url, "CENTRALINO_CONFIG": "",
                                        "COLUMNS": "200"})


async def test_calls_list_on_a_fresh_database_prints_an_empty_array(database_url: str) -> None:
    result = await run_cli(calls_app, "list", "--json", url=database_url)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


async def test_tickets_list_on_a_fresh_database_prints_an_empty_array(database_url: str) -> None:
    result = await run_cli(tickets_app, "list", "--json", url=database_url)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


async def test_calls_and_tickets_are_listed_as_json_with_iso_times(
    database_url: str, db_session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with db_session_factory() as session:
        await run_write(session, record_call_started, "1.1", channel="PJSIP/trunk-1",
                        did="800100100", at=T0, caller_id="3331112222", caller_name="Anna")
        await run_write(session, record_call_ended, "1.1", T0 + timedelta(seconds=12), "abandoned")
        ticket = await open_ticket_for_call(session, "1.1")
        await run_write(session, record_call_started, "2.1", channel="PJSIP/trunk-2",
                        did="800100100", at=T0 + timedelta(minutes=1))

    calls = json.loads((await run_cli(calls_app, "list", "--json", url=database_url)).stdout)
    assert [c["linkedid"] for c in calls] == ["2.1", "1.1"]
    assert calls[1] == {
        "linkedid": "1.1", "channel": "PJSIP/trunk-1", "caller_id": "3331112222",
        "caller_name": "Anna", "did": "800100100", "started_at": "2025-03-01T09:30:00+00:00",
        "answered_at": None, "ended_at": "2025-03-01T09:30:12+00:00", "duration_seconds": 12.0,
        "disposition": "abandoned", "origin": "inbound", "tracking_code": ticket.tracking_code,
    }
    assert calls[0]["tracking_code"] is None and calls[0]["disposition"] == "in_progress"
    assert len(json.loads(
        (await run_cli(calls_app, "list", "--json", "--limit", "1", url=database_url)).stdout)) == 1

    tickets = json.loads((await run_cli(tickets_app, "list", "--json", url=database_url)).stdout)
    assert len(tickets) == 1
    assert tickets[0]["tracking_code"] == ticket.tracking_code
    assert tickets[0]["caller_id"] == "3331112222"
    assert tickets[0]["call_linkedid"] == "1.1"
    assert (tickets[0]["status"], tickets[0]["channel"]) == ("new", "phone")
    assert datetime.fromisoformat(tickets[0]["created_at"]).tzinfo is not None

    table = await run_cli(calls_app, "list", url=database_url)
    assert table.exit_code == 0 and "3331112222" in table.stdout


async def test_an_unreachable_database_is_one_line_without_traceback_or_password() -> None:
    for app in (calls_app, tickets_app):
        result = await run_cli(app, "list", url=UNREACHABLE)
        assert result.exit_code == 1
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "database unavailable" in lines[0] and "127.0.0.1:1" in lines[0]
        assert "s3cret" not in result.stderr and "Traceback" not in result.stderr


async def test_tickets_show_prints_the_ivr_trace_as_json_and_list_carries_the_same_fields(
    database_url: str, db_session_factory: async_sessionmaker[AsyncSession]
) -> None:
    nodes = [{"node": "welcome", "at": "2025-03-01T09:30:01+00:00"},
             {"node": "main", "at": "2025-03-01T09:30:05+00:00"}]
    async with db_session_factory() as session:
        await run_write(session, record_call_started, "3.1", channel="PJSIP/trunk-3",
                        did="800100100", at=T0, caller_id="3335556666")
        ticket = await open_ticket_for_call(session, "3.1")
        await run_write(session, save_ivr_trace, "3.1", IvrTrace(
            dtmf_path="12", ivr_nodes=nodes, ivr_outcome="queued",
            classification="seismic.event", language="it", contact_id=None))

    shown = await run_cli(tickets_app, "show", ticket.tracking_code, "--json", url=database_url)
    assert shown.exit_code == 0, shown.output
    record = json.loads(shown.stdout)
    expected = {"tracking_code": ticket.tracking_code, "status": "new",
                "classification": "seismic.event", "language": "it", "dtmf_path": "12",
                "ivr_nodes": nodes, "ivr_outcome": "queued", "caller_id": "3335556666"}
    assert record.items() >= expected.items()
    listed = json.loads((await run_cli(tickets_app, "list", "--json", url=database_url)).stdout)
    assert listed == [record]

    spaced = f"{ticket.tracking_code[:3]} {ticket.tracking_code[3:6]} {ticket.tracking_code[6:]}"
    table = await run_cli(tickets_app, "show", spaced, url=database_url)
    assert table.exit_code == 0 and "seismic.event" in table.stdout and "welcome" in table.stdout


async def test_tickets_show_refuses_a_mistyped_code_and_says_when_none_matches(
    database_url: str, db_session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with db_session_factory() as session:
        await run_write(session, record_call_started, "4.1", channel="PJSIP/trunk-4",
                        did="800100100", at=T0)
        code = (await open_ticket_for_call(session, "4.1")).tracking_code
    swapped = code[:2] + code[3] + code[2] + code[4:]
    if swapped != code:  # two equal neighbours swap into the same code
        mistyped = await run_cli(tickets_app, "show", swapped, url=database_url)
        assert mistyped.exit_code == 2 and "not a tracking code" in mistyped.stderr
    unknown = "123456786"  # a valid check digit, no such ticket
    missing = await run_cli(tickets_app, "show", unknown, url=database_url)
    assert missing.exit_code == 1 and "no ticket with tracking code" in missing.stderr


async def test_contacts_are_added_with_a_normalised_phone_and_only_a_pin_digest(
    database_url: str, db_session_factory: async_sessionmaker[AsyncSession]
) -> None:
    added = await run_cli(contacts_app, "add", "Maria Rossi", "--phone", "333 123 4567",
                          "--pin", "2468", url=database_url)
    assert added.exit_code == 0, added.output
    listed = json.loads((await run_cli(contacts_app, "list", "--json", url=database_url)).stdout)
    assert [(c["name"], c["phone"], c["has_pin"]) for c in listed] == [
        ("Maria Rossi", "+393331234567", True)]
    async with db_session_factory() as session:
        stored = (await list_contacts(session))[0]
    assert stored.pin_digest is not None and "2468" not in stored.pin_digest

    again = await run_cli(contacts_app, "add", "Mario Bianchi", "--pin", "2468",
                          url=database_url)
    assert again.exit_code == 1 and "already another contact's" in again.stderr
    bad = await run_cli(contacts_app, "add", "Nobody", "--pin", "12", url=database_url)
    assert bad.exit_code == 2 and "4 to 16 digits" in bad.stderr
