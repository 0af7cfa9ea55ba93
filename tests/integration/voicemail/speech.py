"""What test callers say: espeak-ng speech as 8 kHz G.711 mu-law, for sipp to stream."""

from __future__ import annotations

import audioop
import io
import subprocess
from functools import cache

from pydub import AudioSegment

RATE = 8000
PADDING_MS = 500  # of silence after the words: well below the recordings' silence limit


@cache
def spoken(text: str, language: str = "en") -> bytes:
    """``text`` said by espeak-ng in ``language``, then a little silence."""
    wav = subprocess.run(["espeak-ng", "-v", language, "--stdout", text],
                         capture_output=True, check=True).stdout
    voice = (AudioSegment.from_wav(io.BytesIO(wav)).set_frame_rate(RATE).set_channels(1)
             .set_sample_width(2))
    voice += AudioSegment.silent(PADDING_MS, frame_rate=RATE)
    return audioop.lin2ulaw(voice.raw_data, 2)


def seconds_of(ulaw: bytes) -> float:
    return len(ulaw) / RATE
