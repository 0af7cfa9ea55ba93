"""``centralino recordings purge [--dry-run]``, ``access-log`` and ``quarantine``."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from centralino.core.db import utcnow
from recordings.models import RecordingAccess, RecordingKind
from recordings.retention_cli import app
from tests.unit.recordings.test_records_cli import run_cli
from tests.unit.recordings.test_retention import Sessions, add_recording, purged_at

pytestmark = pytest.mark.usefixtures("logging_restored")  # purge configures logging


@pytest.fixture
def recordings_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default ``recordings.dir`` (var/recordings), under a temporary working directory."""
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "var" / "recordings"
    directory.mkdir(parents=True)
    return directory


async def test_purge_after_a_dry_run_deletes_what_the_dry_run_named(
    database_url: str, db_session_factory: Sessions, recordings_dir: Path
) -> None:
    old = await add_recording(db_session_factory, recordings_dir, RecordingKind.CONVERSATION,
                              timedelta(days=400))
    young = await add_recording(db_session_factory, recordings_dir, RecordingKind.CONVERSATION,
                                timedelta(days=-400))  # recorded_at is relative to a test date

    dry = await run_cli(app, "purge", "--dry-run", "--json", url=database_url)
    assert dry.exit_code == 0, dry.output
    assert [row["name"] for row in json.loads(dry.stdout)] == [old.asterisk_name]
    assert (recordings_dir / old.path).exists()

    done = await run_cli(app, "purge", "--json", url=database_url)
    assert done.exit_code == 0, done.output
    assert [row["name"] for row in json.loads(done.stdout)] == [old.asterisk_name]
    assert not (recordings_dir / old.path).exists() and (recordings_dir / young.path).exists()
    assert (await purged_at(db_session_factory))[young.asterisk_name] is None


async def test_the_access_log_lists_who_opened_what_newest_first(
    database_url: str, db_session_factory: Sessions, recordings_dir: Path
) -> None:
    recording = await add_recording(db_session_factory, recordings_dir, RecordingKind.VOICEMAIL,
                                    timedelta(days=1))
    at = utcnow()
    async with db_session_factory() as session, session.begin():
        session.add_all([
            RecordingAccess(recording_id=recording.id, at=at, actor="alice", action="play",
                            client_address="10.0.0.7"),
            RecordingAccess(recording_id=recording.id, at=at + timedelta(minutes=1),
                            actor="sara", action="download", client_address="10.0.0.8")])
    result = await run_cli(app, "access-log", "--json", url=database_url)
    assert result.exit_code == 0, result.output
    assert [(r["actor"], r["action"], r["recording_id"], r["client_address"])
            for r in json.loads(result.stdout)] == [
        ("sara", "download", recording.id, "10.0.0.8"),
        ("alice", "play", recording.id, "10.0.0.7")]


async def test_the_quarantine_lists_damaged_recordings_with_what_their_names_say(
        recordings_dir: Path) -> None:
    folder = recordings_dir / "quarantine"
    folder.mkdir()
    (folder / "voicemail-busy-1764612000-42.wav").write_bytes(b"RIFF....")
    (folder / "notes.txt").write_text("not a recording", encoding="utf-8")

    result = await asyncio.to_thread(CliRunner().invoke, app, ["quarantine", "--json"],
                                     env={"CENTRALINO_CONFIG": ""})

    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert {k: row[k] for k in ("name", "kind", "linkedid", "size_bytes")} == {
        "name": "voicemail-busy-1764612000-42", "kind": "voicemail",
        "linkedid": "1764612000.42", "size_bytes": 8}
    assert row["path"] == "var/recordings/quarantine/voicemail-busy-1764612000-42.wav"
