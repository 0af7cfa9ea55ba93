"""The "this call may be recorded" notice (``acd.record_calls``): rendered per language into the
media directory as ``recording-notice-<language>.wav``, the name the dialplan plays before
Queue() (config/asterisk/extensions.conf.j2); :mod:`recordings.conversation` stores the result.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import structlog

from config.loader import ConfigError, ConfigProblem
from config.menu import TtsPrompt
from ivr.prompts import PromptError, PromptStore

log = structlog.get_logger(__name__)

NOTICE_STEM = "recording-notice"


def write_notices(store: PromptStore, media_dir: Path, notices: Mapping[str, str]) -> list[Path]:
    """Render each language's notice (espeak-ng) as ``recording-notice-<language>.wav`` in the
    media directory, the name the dialplan plays. Blocking: call it from a thread."""
    written = []
    for language, text in notices.items():
        uri = store.media_uri(TtsPrompt(tts=text), language, media_dir)
        rendered = media_dir / f"{uri.rsplit('/', 1)[-1]}.wav"
        target = media_dir / f"{NOTICE_STEM}-{language}.wav"
        fd, temporary = tempfile.mkstemp(dir=media_dir, prefix=f".{target.stem}.", suffix=".tmp")
        os.close(fd)
        try:
            shutil.copyfile(rendered, temporary)
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(target)
    return written


async def prepare_notices(store: PromptStore, media_dir: Path,
                          notices: Mapping[str, str]) -> None:
    """:func:`write_notices` off the event loop.

    Raises ConfigError when a notice cannot be rendered: a conversation is never recorded
    without the caller having been told.
    """
    try:
        written = await asyncio.to_thread(write_notices, store, media_dir, notices)
    except (PromptError, OSError) as exc:
        raise ConfigError([ConfigProblem(
            file="settings", key_path="acd.recording_notice", line=None,
            message=f"the 'this call may be recorded' notice cannot be rendered: {exc}",
            hint="install espeak-ng, or set acd.record_calls: false")]) from exc
    log.info("recordings.notice_ready", files=[str(path) for path in written])
