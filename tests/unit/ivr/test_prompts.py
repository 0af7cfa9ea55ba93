"""Prompt audio: espeak-ng and recorded files become 8 kHz mono WAVs Asterisk plays, once."""

from __future__ import annotations

import math
import os
import re
import struct
import subprocess
import wave
from pathlib import Path
from typing import Any

import pytest

from config.menu import FilePrompt, SoundPrompt, TtsPrompt
from ivr.prompts import PromptError, PromptStore

ASTERISK_MEDIA_DIR = "/var/lib/centralino/itest/media"
URI = re.compile(rf"^sound:{ASTERISK_MEDIA_DIR}/(?P<stem>(tts|file)-[0-9a-f]{{20}})$")


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    return tmp_path / "var/media"


@pytest.fixture
def store(media_dir: Path) -> PromptStore:
    return PromptStore(media_dir, ASTERISK_MEDIA_DIR + "/")


@pytest.fixture
def espeak_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The espeak-ng command lines run from now on (they still run)."""
    runs: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(args: list[str], *rest: Any, **options: Any) -> Any:
        if Path(args[0]).name == "espeak-ng":
            runs.append(list(args))
        return real_run(args, *rest, **options)

    monkeypatch.setattr(subprocess, "run", counting_run)
    return runs


def stored_file(uri: str, media_dir: Path) -> Path:
    match = URI.match(uri)
    assert match, uri
    return media_dir / f"{match['stem']}.wav"


def read_wav(path: Path) -> tuple[int, int, int, float, bytes]:
    with wave.open(str(path), "rb") as audio:
        frames = audio.readframes(audio.getnframes())
        return (audio.getframerate(), audio.getnchannels(), audio.getsampwidth(),
                audio.getnframes() / audio.getframerate(), frames)


def write_tone(path: Path, *, rate: int, channels: int, seconds: float) -> Path:
    """A 440 Hz tone, 16-bit, the same in every channel."""
    frames = range(int(rate * seconds))
    samples = [int(12000 * math.sin(2 * math.pi * 440 * n / rate)) for n in frames]
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(channels)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(b"".join(struct.pack("<h", s) * channels for s in samples))
    return path


def peak(frames: bytes) -> int:
    return max(abs(sample) for (sample,) in struct.iter_unpack("<h", frames))


def test_an_asterisk_sound_is_played_by_name(store: PromptStore, media_dir: Path) -> None:
    uri = store.media_uri(SoundPrompt(sound="digits/1"), "it", Path("/nowhere"))

    assert uri == "sound:digits/1"
    assert not media_dir.exists()


@pytest.mark.parametrize(("language", "text", "voice"), [
    ("it", "Benvenuti nel numero verde del comune. Premete uno per l'anagrafe.", "it"),
    ("en", "Welcome to the council's toll-free line. Press one for registry.", "en-gb"),
])
def test_text_is_spoken_by_espeak_into_telephone_quality_wav(
    store: PromptStore, media_dir: Path, espeak_runs: list[list[str]],
    language: str, text: str, voice: str,
) -> None:
    uri = store.media_uri(TtsPrompt(tts=text), language, Path("/nowhere"))

    path = stored_file(uri, media_dir)
    assert path.name.startswith("tts-")
    rate, channels, width, seconds, frames = read_wav(path)
    assert (rate, channels, width) == (8000, 1, 2)
    assert seconds > 0.3
    assert peak(frames) > 1000  # speech, not silence
    assert path.stat().st_mode & 0o777 == 0o644
    assert [run[1:3] for run in espeak_runs] == [["-v", voice]]
    assert espeak_runs[0][-1] == text


def test_spoken_text_is_rendered_once_and_then_taken_from_the_media_dir(
    store: PromptStore, media_dir: Path, espeak_runs: list[list[str]],
) -> None:
    item = TtsPrompt(tts="Grazie per averci chiamato.")
    first = store.media_uri(item, "it", Path("/nowhere"))
    written = stored_file(first, media_dir).stat().st_mtime_ns

    again = store.media_uri(item, "it", Path("/nowhere"))
    after_restart = PromptStore(media_dir, ASTERISK_MEDIA_DIR).media_uri(item, "it", Path("/x"))

    assert first == again == after_restart
    assert len(espeak_runs) == 1
    assert stored_file(first, media_dir).stat().st_mtime_ns == written


def test_the_same_text_in_another_voice_is_another_file(
    store: PromptStore, media_dir: Path,
) -> None:
    italian = store.media_uri(TtsPrompt(tts="Ciao"), "it", Path("/nowhere"))
    english = store.media_uri(TtsPrompt(tts="Ciao"), "en", Path("/nowhere"))

    assert italian != english
    assert sorted(path.name for path in media_dir.iterdir()) == sorted(
        stored_file(uri, media_dir).name for uri in (italian, english)
    )


def test_text_that_looks_like_an_option_is_spoken(store: PromptStore, media_dir: Path) -> None:
    uri = store.media_uri(TtsPrompt(tts="-5 gradi"), "it", Path("/nowhere"))

    assert read_wav(stored_file(uri, media_dir))[3] > 0.3


def test_a_recorded_file_is_converted_to_8_khz_mono(
    store: PromptStore, media_dir: Path, tmp_path: Path,
) -> None:
    (tmp_path / "menus/audio").mkdir(parents=True)
    write_tone(tmp_path / "menus/audio/welcome.wav", rate=16000, channels=2, seconds=1.0)

    uri = store.media_uri(FilePrompt(file="audio/welcome.wav"), "it", tmp_path / "menus")

    path = stored_file(uri, media_dir)
    assert path.name.startswith("file-")
    rate, channels, width, seconds, frames = read_wav(path)
    assert (rate, channels, width) == (8000, 1, 2)
    assert seconds == pytest.approx(1.0, abs=0.01)
    assert peak(frames) > 10000  # the tone survived the conversion
    assert path.stat().st_mode & 0o777 == 0o644


def test_recorded_files_are_stored_by_content(
    store: PromptStore, media_dir: Path, tmp_path: Path,
) -> None:
    write_tone(tmp_path / "a.wav", rate=16000, channels=2, seconds=0.5)
    write_tone(tmp_path / "copy-of-a.wav", rate=16000, channels=2, seconds=0.5)
    write_tone(tmp_path / "b.wav", rate=16000, channels=2, seconds=0.6)

    a = store.media_uri(FilePrompt(file="a.wav"), "it", tmp_path)
    written = stored_file(a, media_dir).stat().st_mtime_ns
    copy = store.media_uri(FilePrompt(file="copy-of-a.wav"), "en", tmp_path)
    b = store.media_uri(FilePrompt(file="b.wav"), "it", tmp_path)

    assert a == copy != b
    assert stored_file(a, media_dir).stat().st_mtime_ns == written
    assert len(list(media_dir.iterdir())) == 2


def test_a_missing_file_is_an_error_naming_it(store: PromptStore, tmp_path: Path) -> None:
    with pytest.raises(PromptError, match=r"file prompt 'audio/missing\.wav'.*No such file"):
        store.media_uri(FilePrompt(file="audio/missing.wav"), "it", tmp_path)


@pytest.fixture
def without_ffmpeg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.mark.parametrize("content", [
    b"not audio at all\n",
    b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk",  # a damaged WAV
    b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x06\x00\x01\x00"  # A-law, not PCM
    b"\x40\x1f\x00\x00\x40\x1f\x00\x00\x01\x00\x08\x00data\x00\x00\x00\x00",
])
def test_a_file_that_is_not_pcm_wav_needs_ffmpeg(
    store: PromptStore, tmp_path: Path, without_ffmpeg: None, content: bytes,
) -> None:
    (tmp_path / "notes.wav").write_bytes(content)

    with pytest.raises(PromptError, match=r"'notes\.wav': not a PCM WAV.*apt-get install ffmpeg"):
        store.media_uri(FilePrompt(file="notes.wav"), "it", tmp_path)


def test_a_file_ffmpeg_cannot_decode_is_an_error_naming_it(
    store: PromptStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ffmpeg").write_text("#!/bin/sh\necho 'Invalid data found' >&2\nexit 1\n")
    (bin_dir / "ffmpeg").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    (tmp_path / "notes.mp3").write_text("not audio at all\n")

    message = r"'notes\.mp3': ffmpeg cannot decode it as audio: Invalid data found"
    with pytest.raises(PromptError, match=message):
        store.media_uri(FilePrompt(file="notes.mp3"), "it", tmp_path)


def test_without_espeak_the_error_says_what_to_install(
    store: PromptStore, without_ffmpeg: None,
) -> None:
    with pytest.raises(PromptError, match=r"tts prompt 'Ciao' \(it\).*apt-get install espeak-ng"):
        store.media_uri(TtsPrompt(tts="Ciao"), "it", Path("/nowhere"))


def test_an_espeak_failure_is_reported_with_its_message(
    store: PromptStore, media_dir: Path,
) -> None:
    with pytest.raises(PromptError, match=r"tts prompt 'Ciao' \(xx\).*'xx'.*voice does not exist"):
        store.media_uri(TtsPrompt(tts="Ciao"), "xx", Path("/nowhere"))

    assert not media_dir.exists() or not list(media_dir.iterdir())


def test_a_failed_write_leaves_no_partial_file(
    store: PromptStore, media_dir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)

    with pytest.raises(OSError, match="No space left"):
        store.media_uri(TtsPrompt(tts="Ciao"), "it", Path("/nowhere"))

    assert media_dir.is_dir()
    assert list(media_dir.iterdir()) == []
