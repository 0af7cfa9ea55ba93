"""What runs inside a transcription worker process: the vosk model, loaded once, and the
recognition of one WAV file at a time.

Only :mod:`recordings.transcription` starts these processes; nothing here runs in the engine's
event loop. Results cross the process boundary as plain dicts. vosk is imported inside the
functions: the engine imports this module only to name them, and never loads vosk itself.
"""

from __future__ import annotations

import faulthandler
import json
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

with warnings.catch_warnings():
    # pydub warns on import when ffmpeg is missing (WAV needs none) and, on Python 3.11-3.12,
    # that audioop is deprecated.
    warnings.simplefilter("ignore", RuntimeWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    from pydub import AudioSegment

CHUNK_BYTES = 8000  # audio fed to vosk per call; the timeout is checked between two calls
HARD_STOP_GRACE = 30.0  # seconds past the timeout before a worker stuck inside vosk is ended

_model: Any = None


def load_model(model_dir: str) -> None:
    """The process pool's initializer: load the model once for every file this process does."""
    global _model
    import vosk

    vosk.SetLogLevel(-1)  # Kaldi's progress lines would flood the engine's stderr
    _model = vosk.Model(model_dir)


def transcribe_file(wav_path: str, timeout: float) -> dict[str, Any]:
    """Recognise the WAV file ``wav_path``: ``{"text", "words": [{word, conf, start, end}]}``.

    Raises :class:`TimeoutError` after ``timeout`` seconds; a process stuck inside vosk past
    that, where no check can run, ends itself ``HARD_STOP_GRACE`` seconds later.
    """
    import vosk

    deadline = time.monotonic() + timeout
    faulthandler.dump_traceback_later(timeout + HARD_STOP_GRACE, exit=True)
    try:
        audio = AudioSegment.from_wav(Path(wav_path)).set_channels(1).set_sample_width(2)
        recognizer = vosk.KaldiRecognizer(_model, audio.frame_rate)
        recognizer.SetWords(True)
        segments = [json.loads(recognizer.Result()) for chunk in _chunks(audio.raw_data, deadline)
                    if recognizer.AcceptWaveform(chunk)]
        segments.append(json.loads(recognizer.FinalResult()))
    finally:
        faulthandler.cancel_dump_traceback_later()
    return {"text": " ".join(s["text"] for s in segments if s.get("text")),
            "words": [word for s in segments for word in s.get("result", [])]}


def _chunks(pcm: bytes, deadline: float) -> Iterator[bytes]:
    for start in range(0, len(pcm), CHUNK_BYTES):
        if time.monotonic() > deadline:
            raise TimeoutError
        yield pcm[start:start + CHUNK_BYTES]
