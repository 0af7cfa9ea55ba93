"""``centralino voicemails list``: the messages, newest first, with their ticket and file."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner, Result

from centralino.core.calls.service import record_call_started
from centralino.core.db import run_write
from cti.tickets.store import open_ticket_for_call
from recordings.cli import app
from recordings.models import Recording

T0 = datetime(2026, 12, 1, 20, 15, tzinfo=UTC)


async def run_cli(*args: str, url: str) -> Result:
    return await asyncio.to_thread(
        CliRunner().invoke, app, list(args),
        env={"CENTRALINO_DATABASE_URL": url, "CENTRALINO_CONFIG": "", "COLUMNS": "200"})


def recording(name: str, at: datetime, **fields: object) -> Recording:
    values: dict[str, object] = {
        "kind": "voicemail", "asterisk_name": name, "call_linkedid": None, "ticket_id": None,
        "caller_id": "3331234567", "situation": "closed", "path": f"voicemail/{name}.wav",
        "web_path": f"voicemail/{name}.mp3", "duration_seconds": 4.256, "size_bytes": 68140,
        "sha256": "ab" * 32, "recorded_at": at, **fields}
    return Recording(**values)


async def test_messages_are_listed_as_json_with_ticket_file_and_checksum(
        database_url: str, db_session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with db_session_factory() as session:
        await run_write(session, record_call_started, "1764620000.1", channel="PJSIP/trunk-1",
                                  did="800100100", at=T0)
        ticket = await open_ticket_for_call(session, "1764620000.1")
        session.add_all([
            recording("voicemail-closed-1764620000-1", T0, call_linkedid="1764620000.1",
                      ticket_id=ticket.id),
            recording("voicemail-busy-1764620100-2", T0 + timedelta(minutes=2),
                      situation="busy", web_path=None, transcript={"text": "mi richiami"}),
            recording("conversation-1764620200-3", T0, kind="conversation", situation=None),
        ])
        await session.commit()

    result = await run_cli("list", "--json", url=database_url)

    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [m["situation"] for m in listed] == ["busy", "closed"], "no conversations, newest first"
    assert listed[1] == {
        "id": listed[1]["id"], "tracking_code": ticket.tracking_code, "caller": "3331234567",
        "situation": "closed", "recorded_at": "2026-12-01T20:15:00+00:00", "duration": 4.26,
        "path": "var/recordings/voicemail/voicemail-closed-1764620000-1.wav",
        "web_path": "var/recordings/voicemail/voicemail-closed-1764620000-1.mp3",
        "size_bytes": 68140, "checksum": "ab" * 32, "transcript": None,
        "linkedid": "1764620000.1"}
    assert listed[0]["transcript"] == "mi richiami" and listed[0]["web_path"] is None
    assert listed[0]["tracking_code"] is None


async def test_limit_keeps_the_newest(
        database_url: str, db_session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with db_session_factory() as session:
        session.add_all([recording(f"voicemail-choice-1-{n}", T0 + timedelta(minutes=n))
                         for n in range(3)])
        await session.commit()

    listed = json.loads((await run_cli("list", "--json", "-n", "2", url=database_url)).stdout)

    assert [m["recorded_at"] for m in listed] == ["2026-12-01T20:17:00+00:00",
                                                  "2026-12-01T20:16:00+00:00"]


async def test_an_unreachable_database_is_one_clear_error(database_url: str) -> None:
    result = await run_cli("list", url="postgresql+asyncpg://nobody:s3cret@127.0.0.1:1/x")

    assert result.exit_code == 1
    assert "database unavailable" in result.output and "s3cret" not in result.output
