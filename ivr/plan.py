"""A menu file made ready to run calls: every prompt rendered to ARI media URIs, per language.

Loading renders TTS and stages recorded files (slow, blocking): it runs in a thread, once per
load or reload, never while a call waits. A call keeps the plan it started with, so a reload
never changes a menu under a caller's feet.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from pydantic import BaseModel

from centralino.core.hours.rules import CenterState, OfficeHours
from config.loader import ConfigError, load_yaml_model
from config.menu import (
    FilePrompt,
    MenuFile,
    Node,
    Prompt,
    SayPrompt,
    SoundPrompt,
    TtsPrompt,
)
from ivr.check import check_menu
from ivr.prompts import PromptStore

log = structlog.get_logger(__name__)

SAY_TRACKING_CODE = "say:tracking_code"
"""Stands in a plan's media list for the call's tracking code, read out at run time."""

Media = tuple[str, ...]
LANGUAGE = re.compile(r"^[a-z]{2}$")


@dataclass(frozen=True)
class MenuPlan:
    menu: MenuFile
    source: Path
    office_hours: OfficeHours
    loaded_at: datetime
    _media: dict[tuple[int, str], Media] = field(repr=False)

    @property
    def default_language(self) -> str:
        return self.menu.languages[0]

    def node(self, name: str) -> Node:
        return self.menu.nodes[name]

    def entry_for(self, state: CenterState) -> str:
        entry = self.menu.entry
        if state is CenterState.OPEN:
            return entry.open
        if state is CenterState.HOLIDAY and entry.holiday:
            return entry.holiday
        return entry.closed

    def media(self, prompt: Prompt | None, language: str) -> Media:
        """The media URIs of ``prompt`` in ``language`` (its first language as a fallback)."""
        if not prompt:
            return ()
        found = self._media.get((id(prompt), language))
        return found if found is not None else self._media[(id(prompt), self.default_language)]


def load_plan(path: Path, store: PromptStore,
              sounds: tuple[Path | None, Path | None] = (None, None)) -> MenuPlan:
    """Load, check and render the menu file ``path``; :class:`ConfigError` if it has errors.

    ``sounds`` is Asterisk's sounds directory and chroot (see :func:`ivr.locations`).
    """
    report = check_menu(path, sounds[0], sounds_root=sounds[1])
    if report.errors:
        raise ConfigError(report.errors)
    menu = load_yaml_model(path, MenuFile)
    media: dict[tuple[int, str], Media] = {}
    for prompt in _prompts(menu):
        for language in menu.languages:
            items = prompt if isinstance(prompt, list) else (
                prompt.get(language) or prompt.get(menu.languages[0]))
            if items is None:
                continue
            media[(id(prompt), language)] = tuple(
                SAY_TRACKING_CODE if isinstance(item, SayPrompt)
                else store.media_uri(item, language, path.parent) for item in items)
    log.info("ivr.menu_loaded", file=str(path), nodes=len(menu.nodes), prompts=len(media))
    return MenuPlan(menu, path, OfficeHours(menu.hours), datetime.now(UTC), media)


def _prompts(menu: MenuFile) -> Iterator[Prompt]:
    """Every non-empty prompt of the defaults and the nodes."""
    yield from _prompts_in(menu.defaults)
    for node in menu.nodes.values():
        yield from _prompts_in(node)


def _prompts_in(value: Any) -> Iterator[Prompt]:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _prompts_in(getattr(value, name))
    elif isinstance(value, list) and value and all(_is_item(v) for v in value):
        yield value
    elif isinstance(value, dict) and value and all(
            LANGUAGE.match(k) and isinstance(v, list) and all(_is_item(i) for i in v)
            for k, v in value.items()):  # per language (ticket statuses are longer keys)
        yield value
    elif isinstance(value, dict | list):
        for item in value.values() if isinstance(value, dict) else value:
            yield from _prompts_in(item)


def _is_item(value: Any) -> bool:
    return isinstance(value, SoundPrompt | FilePrompt | TtsPrompt | SayPrompt)


class MenuPlans:
    """The current plan; :meth:`reload` swaps it only for a new one without errors."""

    def __init__(self, path: Path, store: PromptStore,
                 sounds: tuple[Path | None, Path | None]) -> None:
        self._path = path
        self._store = store
        self._sounds = sounds
        self._current: MenuPlan | None = None
        self._lock = asyncio.Lock()

    @property
    def current(self) -> MenuPlan:
        if self._current is None:
            raise RuntimeError("no menu loaded yet")
        return self._current

    async def reload(self, path: Path | None = None) -> MenuPlan:
        """Load ``path`` (default: the same file again); on error keep the old plan and raise."""
        async with self._lock:
            target = path or self._path
            plan = await asyncio.to_thread(load_plan, target, self._store, self._sounds)
            self._path, self._current = target, plan
            return plan
