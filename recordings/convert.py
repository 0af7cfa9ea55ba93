"""The copy of a recording that web browsers play (MP3, or Opus in Ogg), made with pydub.

pydub runs Debian's ``ffmpeg``; the conversion is slow and blocking: run it in a thread.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Literal

from pydub import AudioSegment

from recordings.store import sync_folder

WebFormat = Literal["mp3", "opus"]
SUFFIXES: dict[WebFormat, str] = {"mp3": ".mp3", "opus": ".ogg"}
# (pydub/ffmpeg container, codec) per web format
_EXPORT: dict[WebFormat, tuple[str, str]] = {"mp3": ("mp3", "libmp3lame"),
                                             "opus": ("ogg", "libopus")}


class ConversionFailed(Exception):
    """ffmpeg could not convert the recording (missing, or the audio is unreadable)."""


def web_copy_path(wav: Path, web_format: WebFormat) -> Path:
    return wav.with_suffix(SUFFIXES[web_format])


def convert_for_web(wav: Path, web_format: WebFormat) -> Path:
    """Write the web copy of ``wav`` beside it, atomically; return its path."""
    target = web_copy_path(wav, web_format)
    container, codec = _EXPORT[web_format]
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                             suffix=".part")
    os.close(descriptor)
    try:
        try:
            AudioSegment.from_wav(wav).export(temporary, format=container, codec=codec)
        except Exception as exc:  # ffmpeg missing (OSError), CouldntEncodeError, bad audio
            lines = str(exc).strip().splitlines()
            reason = lines[-1] if lines else type(exc).__name__  # ffmpeg's last word
            raise ConversionFailed(f"{wav.name} -> {web_format}: {reason}") from exc
        with open(temporary, "rb") as file:
            os.fsync(file.fileno())
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    sync_folder(target.parent)
    return target
