"""Atomic writes: the whole file or nothing, its checksum, and the length of a WAV."""

from __future__ import annotations

import hashlib
import os
import wave
from pathlib import Path

import pytest

from recordings.store import NotAWav, sha256_of, wav_seconds, write_atomically


def wav_bytes(path: Path, seconds: float, rate: int = 8000) -> bytes:
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(b"\x01\x00" * int(seconds * rate))
    return path.read_bytes()


def test_a_written_file_has_its_bytes_size_and_sha256_and_no_temp_file_is_left(
        tmp_path: Path) -> None:
    data = b"RIFF" + os.urandom(1000)

    stored = write_atomically(tmp_path / "voicemail/2026/12/01/m.wav", data)

    assert stored.path.read_bytes() == data
    assert stored.size_bytes == 1004
    assert stored.sha256 == hashlib.sha256(data).hexdigest() == sha256_of(stored.path)
    assert os.listdir(stored.path.parent) == ["m.wav"]


def test_writing_again_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "m.wav"
    write_atomically(target, b"first version, longer than the second")

    write_atomically(target, b"second")

    assert target.read_bytes() == b"second"


def test_a_failed_write_leaves_neither_the_file_nor_a_temp_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(_descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)

    with pytest.raises(OSError, match="No space left"):
        write_atomically(tmp_path / "m.wav", b"data")
    assert os.listdir(tmp_path) == []


def test_the_length_of_a_wav_comes_from_its_header(tmp_path: Path) -> None:
    assert wav_seconds(wav_bytes(tmp_path / "m.wav", 2.5)) == pytest.approx(2.5)


def test_bytes_that_are_not_a_wav_say_so() -> None:
    with pytest.raises(NotAWav, match="not a WAV file"):
        wav_seconds(b"not audio")
