"""``centralino voicemails list``: the messages callers left, newest first;
``centralino voicemails transcribe``: transcripts for the messages that have none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from centralino.core.bus import EventBus
from centralino.core.cli_support import (
    ConfigOption,
    JsonOption,
    database_session,
    database_sessions,
    err_console,
    fail,
    print_rows,
    run_on_database,
    settings_or_exit,
)
from centralino.core.logs import configure_logging
from config.settings import Settings
from cti.tickets.store import tracking_codes
from recordings.models import Recording, RecordingKind
from recordings.transcription import Transcriber
from recordings.transcription_service import VoicemailTranscription, untranscribed_voicemails

app = typer.Typer(no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Voicemail messages callers left."""


COLUMNS = ("id", "tracking_code", "caller", "situation", "recorded_at", "duration", "path",
           "web_path", "size_bytes", "checksum", "transcript", "linkedid")
TABLE_COLUMNS = ("recorded_at", "caller", "situation", "duration", "tracking_code", "path")

@app.command("list")
def list_command(
    config: ConfigOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many messages.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """The most recent voicemail messages, newest first (paths under recordings.dir)."""
    settings = settings_or_exit(config)
    rows = run_on_database(_rows(settings.database_url, settings.recordings.dir, limit))
    print_rows(rows, COLUMNS if as_json else TABLE_COLUMNS, as_json, title="Voicemail",
               settings=settings)


async def _rows(url: str, folder: Path, limit: int) -> list[dict[str, Any]]:
    async with database_session(url) as session:
        recordings = list((await session.execute(
            select(Recording).where(Recording.kind == RecordingKind.VOICEMAIL.value)
            .order_by(Recording.recorded_at.desc(), Recording.id.desc())
            .limit(limit))).scalars())
        codes = await tracking_codes(session, [r.ticket_id for r in recordings if r.ticket_id])
        return [_row(recording, codes.get(recording.ticket_id or 0), folder)
                for recording in recordings]


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


@app.command("transcribe")
def transcribe_command(
    config: ConfigOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1,
                                       help="At most this many messages, oldest first.")] = 1000,
    as_json: JsonOption = False,
) -> None:
    """Transcribe the messages that have no transcript yet (stored while transcription was off,
    or whose transcription failed), oldest first. Exit code 1 if any failed (see the log)."""
    settings = settings_or_exit(config)
    if settings.transcription.model_path is None:
        raise fail("transcription is off: set transcription.model_path to a vosk model "
                   "directory first", code=2)
    configure_logging(settings.logging)  # each message's result to stderr, as the engine logs it
    done = run_on_database(_transcribe(settings, limit))
    if as_json:
        typer.echo(json.dumps(done))
    else:
        err_console.print(f"{len(done['transcribed'])} transcribed, {len(done['failed'])} "
                          f"failed, of {len(done['transcribed']) + len(done['failed'])} "
                          "messages without a transcript.")
    if done["failed"]:
        raise typer.Exit(1)


async def _transcribe(settings: Settings, limit: int) -> dict[str, list[int]]:
    transcriber = Transcriber(settings.transcription)
    done: dict[str, list[int]] = {"transcribed": [], "failed": []}
    try:
        async with database_sessions(settings.database_url) as sessions:
            async with sessions() as session:
                waiting = await untranscribed_voicemails(session, limit)
            service = VoicemailTranscription(transcriber, sessions, settings.recordings.dir,
                                             EventBus())  # its own bus: nothing is published
            with Progress(TextColumn("transcribing"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=err_console, transient=True) as progress:
                task = progress.add_task("messages", total=len(waiting))
                for recording_id in waiting:
                    transcript = await service.transcribe(recording_id)
                    done["transcribed" if transcript is not None else "failed"].append(recording_id)
                    progress.advance(task)
    finally:
        await transcriber.close()
    return done
