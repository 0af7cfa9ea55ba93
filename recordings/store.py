"""Files written so a crash never leaves half of one: temp file, fsync, rename, fsync the folder;
their checksum, and the length of a WAV.

Synchronous (it waits for the disk): callers in the event loop run it in a thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoredFile:
    path: Path
    size_bytes: int
    sha256: str


def write_atomically(path: Path, data: bytes) -> StoredFile:
    """Write ``data`` at ``path`` (folders created): whole, durable, or not there at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    sync_folder(path.parent)
    return StoredFile(path, len(data), hashlib.sha256(data).hexdigest())


def sync_folder(folder: Path) -> None:
    """fsync a folder, so a rename in it survives a power cut."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


class NotAWav(ValueError):
    """The bytes are not a readable WAV file."""


def wav_seconds(data: bytes) -> float:
    """The length of the WAV file ``data``, from its header."""
    try:
        with wave.open(io.BytesIO(data), "rb") as audio:
            return audio.getnframes() / audio.getframerate()
    except (wave.Error, EOFError, ZeroDivisionError) as exc:
        raise NotAWav(f"not a WAV file ({exc or type(exc).__name__})") from None
