"""Where Asterisk finds a sound by name, so a menu file can be checked before a call plays it."""

from __future__ import annotations

import os
from pathlib import Path

AUDIO_EXTENSIONS = (
    "wav", "wav16", "WAV", "gsm", "ulaw", "ul", "mu", "ulw", "pcm", "alaw", "al", "alw", "au",
    "g722", "sln", "slin", "raw", "sln12", "sln16", "sln24", "sln32", "sln44", "sln48", "sln96",
    "sln192", "g719", "g723", "g723sf", "g726-40", "g726-32", "g726-24", "g726-16", "g729", "ilbc",
    "ogg", "spx", "spx16", "spx32", "opus", "siren7", "siren14", "vox",
)
"""File extensions of the audio format modules of Debian's Asterisk 22 (``format_*.so``)."""

DEFAULT_LANGUAGE = "en"
_MAX_SYMLINKS = 40  # as Linux before ELOOP


def find_sound(
    sounds_dir: Path, language: str, name: str, *, root: Path | None = None
) -> Path | None:
    """The file Asterisk plays for sound NAME on a channel in LANGUAGE, or None if there is none.

    Asterisk 22 (``fileexists_core`` in ``main/file.c``, with ``languageprefix = yes``, the
    default) looks in ``SOUNDS_DIR/<language>`` for LANGUAGE, then for LANGUAGE cut at each
    ``_`` from the right (``it_IT_m_Carlo``, ``it_IT_m``, ``it_IT``, ``it``), then at the top of
    SOUNDS_DIR (no language), and last in ``en``, the default language, unless it was tried
    already. Asterisk's page "Sound Prompt Searching based on Channel Language" gives the same
    order. In each folder any audio format counts (Asterisk then picks the cheapest to
    translate; here the first of ``AUDIO_EXTENSIONS``). NAME may hold folders (``digits/1``);
    an absolute NAME is a path and takes no language.

    ROOT is the root filesystem Asterisk runs chrooted in (the sandbox): absolute symlinks, such
    as Debian's ``sounds/en -> /etc/alternatives/asterisk-prompt-en``, point inside it, and the
    path returned is the file's real path under ROOT.
    """
    if name.startswith("/"):
        stems = [root / name.lstrip("/") if root else Path(name)]
    else:
        stems = [sounds_dir / folder / name for folder in _language_folders(language)]
    for stem in stems:
        for extension in AUDIO_EXTENSIONS:
            candidate = stem.parent / f"{stem.name}.{extension}"
            if root is not None:
                candidate = _chrooted(candidate, root)
            if candidate.is_file():
                return candidate
    return None


def _language_folders(language: str) -> list[str]:
    folders = []
    while language:
        folders.append(language)
        language = language.rpartition("_")[0]
    no_language = ""
    if DEFAULT_LANGUAGE in folders:
        return [*folders, no_language]
    return [*folders, no_language, DEFAULT_LANGUAGE]


def _chrooted(path: Path, root: Path) -> Path:
    """PATH (under ROOT) with its symlinks followed as a process chrooted in ROOT follows them."""
    pending = list(reversed(path.relative_to(root).parts))
    current = root
    links = 0
    while pending:
        part = pending.pop()
        if part == "..":
            current = current.parent if current != root else root
            continue
        step = current / part
        if not step.is_symlink():
            current = step
            continue
        links += 1
        if links > _MAX_SYMLINKS:
            return step  # a loop: is_file() is False for it, as stat() fails for Asterisk
        target = Path(os.readlink(step))
        if target.is_absolute():
            current = root
            pending.extend(reversed(target.parts[1:]))
        else:
            pending.extend(reversed(target.parts))
    return current
