"""The web copy of a recording, made by ffmpeg through pydub."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pydub import AudioSegment

from recordings.convert import ConversionFailed, WebFormat, convert_for_web
from tests.unit.recordings.test_recordings_store import wav_bytes

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None,
                                  reason="Debian ffmpeg is not installed (make system-packages)")


@needs_ffmpeg
@pytest.mark.parametrize(("web_format", "suffix"), [("mp3", ".mp3"), ("opus", ".ogg")])
def test_the_web_copy_lies_beside_the_wav_and_lasts_as_long(
        tmp_path: Path, web_format: WebFormat, suffix: str) -> None:
    wav = tmp_path / "voicemail-busy-1-2.wav"
    wav_bytes(wav, 3.0)

    copy = convert_for_web(wav, web_format)

    assert copy == tmp_path / f"voicemail-busy-1-2{suffix}"
    assert len(AudioSegment.from_file(copy)) / 1000 == pytest.approx(3.0, abs=0.1)
    assert sorted(p.name for p in tmp_path.iterdir()) == [copy.name, wav.name]


@needs_ffmpeg
def test_audio_ffmpeg_cannot_read_fails_clearly_and_leaves_no_copy(tmp_path: Path) -> None:
    wav = tmp_path / "broken.wav"
    wav.write_bytes(b"RIFF....WAVEfmt garbage")

    with pytest.raises(ConversionFailed, match=r"broken\.wav -> mp3"):
        convert_for_web(wav, "mp3")
    assert [p.name for p in tmp_path.iterdir()] == ["broken.wav"]
