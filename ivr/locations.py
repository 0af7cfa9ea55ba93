"""Where the IVR's audio lives: the media directory prompts are rendered into, Asterisk's sounds.

Unset in the settings, both are the sandbox's (inside its root filesystem).
"""

from __future__ import annotations

from pathlib import Path

from centralino.core.sandbox.process import paths
from centralino.core.sandbox.render import instance_dir
from config.settings import Settings

SANDBOX_SOUNDS = "usr/share/asterisk/sounds"


def media_dirs(settings: Settings) -> tuple[Path, str]:
    """The media directory as the engine writes it, and as Asterisk reads it."""
    ivr = settings.ivr
    if ivr.media_dir is not None and ivr.asterisk_media_dir is not None:
        return ivr.media_dir.expanduser(), ivr.asterisk_media_dir
    return (paths(settings).instance_dir / "media",
            f"{instance_dir(settings.sandbox.instance)}/media")


def sounds_location(settings: Settings) -> tuple[Path | None, Path | None]:
    """Asterisk's sounds directory if known here (for checking sound names), and the root
    filesystem Asterisk runs chrooted in when the directory is inside it (the sandbox's)."""
    root = settings.sandbox.root.expanduser()
    sounds = settings.ivr.sounds_dir
    if sounds is None:
        sounds = root / SANDBOX_SOUNDS
        return (sounds, root) if sounds.is_dir() else (None, None)
    return sounds, root if sounds.is_relative_to(root) else None
