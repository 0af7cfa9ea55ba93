"""``centralino recordings purge [--dry-run]``, ``centralino recordings access-log`` and
``centralino recordings quarantine``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from centralino.core.cli_support import (
    ConfigOption,
    JsonOption,
    database_session,
    database_sessions,
    print_rows,
    run_on_database,
    settings_or_exit,
)
from centralino.core.db import utcnow
from centralino.core.logs import configure_logging
from config.settings import Settings
from recordings.access import access_log
from recordings.ingest import QUARANTINE_DIR
from recordings.naming import parse_name
from recordings.retention import PurgedRecording, purge_expired

app = typer.Typer(no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Recordings (voicemail and conversations): retention and who listened."""


PURGE_COLUMNS = ("id", "kind", "name", "recorded_at", "files")
ACCESS_COLUMNS = ("at", "actor", "action", "recording_id", "client_address")
QUARANTINE_COLUMNS = ("name", "kind", "linkedid", "size_bytes", "quarantined_at", "path")


@app.command("purge")
def purge_command(
    config: ConfigOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would go.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Delete the files of recordings past recordings.retention_days now (rows stay)."""
    settings = settings_or_exit(config)
    configure_logging(settings.logging)  # what was removed goes to stderr, as the engine logs it
    purged = run_on_database(_purge(settings, dry_run))
    print_rows([_purged_row(p) for p in purged], PURGE_COLUMNS, as_json,
               title="Would purge" if dry_run else "Purged", settings=settings)


async def _purge(settings: Settings, dry_run: bool) -> list[PurgedRecording]:
    async with database_sessions(settings.database_url) as sessions:
        return await purge_expired(sessions, settings.recordings.dir,
                                   settings.recordings.retention_days, utcnow(), dry_run=dry_run)


def _purged_row(purged: PurgedRecording) -> dict[str, Any]:
    return {"id": purged.id, "kind": purged.kind, "name": purged.asterisk_name,
            "recorded_at": purged.recorded_at, "files": ", ".join(purged.files)}


@app.command("access-log")
def access_log_command(
    config: ConfigOption = None,
    recording: Annotated[int | None, typer.Option("--recording", min=1,
                                                  help="Only this recording id.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many rows.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """Who played or downloaded recordings, and when, newest first."""
    settings = settings_or_exit(config)
    rows = run_on_database(_access_rows(settings.database_url, recording, limit))
    print_rows(rows, ACCESS_COLUMNS, as_json, title="Recording access log",
               settings=settings)


async def _access_rows(url: str, recording: int | None, limit: int) -> list[dict[str, Any]]:
    async with database_session(url) as session:
        return [{"at": row.at, "actor": row.actor, "action": row.action,
                 "recording_id": row.recording_id, "client_address": row.client_address}
                for row in await access_log(session, recording, limit)]


@app.command("quarantine")
def quarantine_command(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Damaged recordings kept aside (not a readable WAV; no row), newest first: look at them,
    then delete them (retention does not)."""
    settings = settings_or_exit(config)
    print_rows(quarantined(settings.recordings.dir), QUARANTINE_COLUMNS, as_json,
               title="Quarantined recordings", settings=settings)


def quarantined(recordings_dir: Path) -> list[dict[str, Any]]:
    """The files in the quarantine folder, with what their names say."""
    files = [(path, path.stat()) for path in (recordings_dir / QUARANTINE_DIR).glob("*.wav")]
    rows = []
    for path, stat in sorted(files, key=lambda item: item[1].st_mtime, reverse=True):
        parsed = parse_name(path.stem)
        rows.append({"name": path.stem, "kind": parsed.kind.value if parsed else None,
                     "linkedid": parsed.linkedid if parsed else None,
                     "size_bytes": stat.st_size,
                     "quarantined_at": datetime.fromtimestamp(stat.st_mtime, UTC),
                     "path": str(path)})
    return rows
