"""``centralino voicemails list``: the messages callers left, newest first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import column, select, table

from centralino.cli_support import (
    ConfigOption,
    JsonOption,
    database_session,
    print_rows,
    run_on_database,
    settings_or_exit,
)
from recordings.models import Recording, RecordingKind

app = typer.Typer(no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Voicemail messages callers left."""


COLUMNS = ("id", "tracking_code", "caller", "situation", "recorded_at", "duration", "path",
           "web_path", "size_bytes", "checksum", "transcript", "linkedid")
TABLE_COLUMNS = ("recorded_at", "caller", "situation", "duration", "tracking_code", "path")

# The tickets table seen from here as plain SQL: recordings do not reach into cti's models.
_tickets = table("tickets", column("id"), column("tracking_code"))


@app.command("list")
def list_command(
    config: ConfigOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many messages.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """The most recent voicemail messages, newest first (paths under recordings.dir)."""
    settings = settings_or_exit(config)
    rows = run_on_database(_rows(settings.database_url, settings.recordings.dir, limit))
    print_rows(rows, COLUMNS if as_json else TABLE_COLUMNS, as_json, title="Voicemail")


async def _rows(url: str, folder: Path, limit: int) -> list[dict[str, Any]]:
    async with database_session(url) as session:
        result = await session.execute(
            select(Recording, _tickets.c.tracking_code)
            .outerjoin(_tickets, _tickets.c.id == Recording.ticket_id)
            .where(Recording.kind == RecordingKind.VOICEMAIL.value)
            .order_by(Recording.recorded_at.desc(), Recording.id.desc())
            .limit(limit))
        return [_row(recording, code, folder) for recording, code in result.all()]


def _row(recording: Recording, tracking_code: str | None, folder: Path) -> dict[str, Any]:
    transcript = recording.transcript or {}
    return {
        "id": recording.id, "tracking_code": tracking_code, "caller": recording.caller_id,
        "situation": recording.situation, "recorded_at": recording.recorded_at,
        "duration": round(recording.duration_seconds, 2),
        "path": str(folder / recording.path),
        "web_path": str(folder / recording.web_path) if recording.web_path else None,
        "size_bytes": recording.size_bytes, "checksum": recording.sha256,
        "transcript": transcript.get("text"), "linkedid": recording.call_linkedid,
    }
