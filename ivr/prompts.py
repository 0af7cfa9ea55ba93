"""Prompt audio: each item of a menu prompt as the ARI media URI Asterisk plays.

Asterisk sounds are played by name. Text (espeak-ng) and recorded files are rendered once into
the media directory as 8 kHz mono 16-bit PCM WAV, Asterisk's ``wav`` format, named by a hash
of what they are made from, so an unchanged prompt is never rendered twice. Asterisk may run
chrooted or on another host: the directory has a name on each side.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import tempfile
import warnings
from pathlib import Path

from config.menu import FilePrompt, SoundPrompt, TtsPrompt

with warnings.catch_warnings():
    # pydub warns on import when ffmpeg is missing (WAV needs none; other formats get a
    # PromptError saying so) and, on Python 3.11-3.12, that audioop is deprecated.
    warnings.simplefilter("ignore", RuntimeWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    from pydub import AudioSegment
    from pydub.exceptions import CouldntDecodeError

FORMAT_VERSION = "1"
"""Part of every file's hash: change it when the rendering changes, and everything is redone."""

SAMPLE_RATE = 8000
TOOL_TIMEOUT = 60.0  # seconds for espeak-ng or ffmpeg on one prompt item
_VOICES = {"en": "en-gb"}  # espeak-ng voice by language; other codes are voice names already


class PromptError(Exception):
    """A prompt item that cannot be turned into audio; the message names the item and why."""


class PromptStore:
    """Turns prompt items into media URIs, rendering TTS and converting files when needed.

    ``media_dir`` is the media directory on this machine, ``asterisk_media_dir`` the same
    directory as Asterisk sees it. Blocking: call it from a thread, not the event loop.
    """

    def __init__(self, media_dir: Path, asterisk_media_dir: str) -> None:
        self._media_dir = media_dir
        self._asterisk_media_dir = asterisk_media_dir.rstrip("/")

    def media_uri(
        self, item: SoundPrompt | FilePrompt | TtsPrompt, language: str, base_dir: Path
    ) -> str:
        """The ARI media URI of ITEM in LANGUAGE; file paths are relative to BASE_DIR.

        A ``say`` item is no audio file: the call reads it out at run time.
        """
        if isinstance(item, SoundPrompt):
            return f"sound:{item.sound}"
        if isinstance(item, FilePrompt):
            stem = self._converted_file(base_dir / item.file, f"file prompt {item.file!r}")
        else:
            stem = self._spoken_text(item.tts, language)
        return f"sound:{self._asterisk_media_dir}/{stem}"

    def _spoken_text(self, text: str, language: str) -> str:
        voice = _VOICES.get(language, language)
        stem = "tts-" + _digest(json.dumps([FORMAT_VERSION, voice, text]).encode())
        if not self._has(stem):
            what = f"tts prompt {_shorten(text)!r} ({language})"
            self._store(stem, _telephony_wav(_espeak(text, voice, what)))
        return stem

    def _converted_file(self, path: Path, what: str) -> str:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PromptError(f"{what}: cannot read {path}: {exc.strerror or exc}") from exc
        stem = "file-" + _digest(FORMAT_VERSION.encode() + b"\0" + data)
        if not self._has(stem):
            self._store(stem, _telephony_wav(_read_audio(data, path, what)))
        return stem

    def _has(self, stem: str) -> bool:
        return (self._media_dir / f"{stem}.wav").is_file()

    def _store(self, stem: str, data: bytes) -> None:
        """Write ``<stem>.wav`` whole or not at all, readable by Asterisk's user."""
        if not self._media_dir.is_dir():
            self._media_dir.mkdir(parents=True, exist_ok=True)
            self._media_dir.chmod(0o755)
        fd, temporary = tempfile.mkstemp(dir=self._media_dir, prefix=f".{stem}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, self._media_dir / f"{stem}.wav")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _espeak(text: str, voice: str, what: str) -> AudioSegment:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise PromptError(f"{what}: espeak-ng is not installed (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory(prefix="centralino-tts-") as scratch:
        output = Path(scratch) / "speech.wav"
        result = _run([espeak, "-v", voice, "-w", str(output), "--", text], what)
        # espeak-ng exits 0 on some errors (a bad option, an unwritable file): check the output.
        if result.returncode != 0 or not output.is_file() or output.stat().st_size == 0:
            raise PromptError(f"{what}: espeak-ng failed with voice {voice!r}: {_detail(result)}")
        return _read_audio(output.read_bytes(), output, what)


def _read_audio(data: bytes, source: Path, what: str) -> AudioSegment:
    """The audio in SOURCE (whose bytes are DATA): PCM WAV by pydub alone, the rest by ffmpeg."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        try:
            return AudioSegment(data=data)
        except (CouldntDecodeError, struct.error):
            pass  # not PCM (A-law, float...) or damaged: ffmpeg may still read it
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise PromptError(
            f"{what}: not a PCM WAV file, and other formats need ffmpeg (apt-get install ffmpeg)"
        )
    with tempfile.TemporaryDirectory(prefix="centralino-audio-") as scratch:
        output = Path(scratch) / "decoded.wav"
        command = [ffmpeg, "-nostdin", "-v", "error", "-i", f"file:{source}", "-vn",
                   "-acodec", "pcm_s16le", "-f", "wav", str(output)]
        result = _run(command, what)
        if result.returncode != 0 or not output.is_file():
            raise PromptError(f"{what}: ffmpeg cannot decode it as audio: {_detail(result)}")
        return AudioSegment(data=output.read_bytes())


def _run(command: list[str], what: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command, capture_output=True, text=True, errors="replace", timeout=TOOL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        name = Path(command[0]).name
        raise PromptError(f"{what}: {name} took over {TOOL_TIMEOUT:g} s") from exc


def _detail(result: subprocess.CompletedProcess[str]) -> str:
    """The tool's last word on stderr (its summary), kept to one line."""
    lines = result.stderr.strip().splitlines()
    return lines[-1][-300:] if lines else f"exit code {result.returncode}, no audio"


def _telephony_wav(audio: AudioSegment) -> bytes:
    """AUDIO as 8 kHz mono 16-bit PCM WAV, Asterisk's ``wav`` format."""
    converted = audio.set_frame_rate(SAMPLE_RATE).set_channels(1).set_sample_width(2)
    buffer = io.BytesIO()
    converted.export(buffer, format="wav")
    return buffer.getvalue()


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:20]


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
