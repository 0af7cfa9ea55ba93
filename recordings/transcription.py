"""Voicemail transcription with vosk, in worker processes so the event loop never waits on it.

Off while ``transcription.model_path`` is unset: :meth:`Transcriber.transcribe` returns None.
Each worker process loads the model once (``~0.5 GB`` of memory for a small model) and then
transcribes one file at a time; a worker that dies is replaced on the next call.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from config.settings import TranscriptionSettings
from recordings import transcription_worker


class TranscriptionError(Exception):
    """One file could not be transcribed; the message says which and why."""


@dataclass(frozen=True)
class Word:
    """One recognised word: vosk's confidence in [0, 1] and its times in seconds."""

    word: str
    conf: float
    start: float
    end: float


@dataclass(frozen=True)
class Transcript:
    """What vosk heard in a recording; ``confidence`` is the mean of the words' (None: none)."""

    text: str
    words: tuple[Word, ...]
    model: str  # the model directory's name
    confidence: float | None

    def to_json(self) -> dict[str, Any]:
        """The transcript as ``Recording.transcript`` stores it."""
        return {"text": self.text, "words": [asdict(word) for word in self.words],
                "model": self.model, "confidence": self.confidence}


class Transcriber:
    """Transcribes WAV files in a pool of ``settings.workers`` processes (started on first use)."""

    def __init__(self, settings: TranscriptionSettings) -> None:
        self._settings = settings
        self._pool: ProcessPoolExecutor | None = None

    @property
    def enabled(self) -> bool:
        return self._settings.model_path is not None

    async def transcribe(self, wav_path: Path) -> Transcript | None:
        """The transcript of ``wav_path`` (any PCM WAV), or None when transcription is off.

        Raises :class:`TranscriptionError` when the file cannot be read, vosk takes longer than
        ``timeout_seconds``, or the worker process dies (the next call starts a new one).
        """
        model_path = self._settings.model_path
        if model_path is None:
            return None
        pool = self._running_pool(model_path)
        timeout = self._settings.timeout_seconds
        try:
            result = await asyncio.get_running_loop().run_in_executor(
                pool, transcription_worker.transcribe_file, str(wav_path), timeout)
        except BrokenProcessPool as exc:
            if self._pool is pool:
                self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise TranscriptionError(
                f"{wav_path}: the transcription worker stopped ({exc}): it could not load "
                f"the model {model_path}, crashed, ran out of memory, or was stuck in vosk "
                f"{transcription_worker.HARD_STOP_GRACE:g} s past the timeout") from None
        except TimeoutError:
            raise TranscriptionError(
                f"{wav_path}: transcription took longer than timeout_seconds ({timeout:g} s)"
            ) from None
        except Exception as exc:
            raise TranscriptionError(f"{wav_path}: cannot transcribe: {exc!r}") from exc
        words = tuple(Word(w["word"], w["conf"], w["start"], w["end"]) for w in result["words"])
        confidence = sum(w.conf for w in words) / len(words) if words else None
        return Transcript(result["text"], words, model_path.name, confidence)

    async def close(self) -> None:
        """Stop the worker processes (after the file each is transcribing, if any)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    def _running_pool(self, model_path: Path) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a fork of the engine would inherit its event loop, sockets and threads.
            self._pool = ProcessPoolExecutor(
                max_workers=self._settings.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=transcription_worker.load_model, initargs=(str(model_path),))
        return self._pool
