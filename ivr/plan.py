"""A menu file made ready to run calls: every prompt rendered to ARI media URIs, per language.

Loading renders TTS and stages recorded files (slow, blocking): it runs in a thread, once per
load or reload, never while a call waits. A call keeps the plan it started with, so a reload
never changes a menu under a caller's feet.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Iterator
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
class PromptMedia:
    """The prompts of one file as media URIs, per language (its first one as a fallback)."""

    default_language: str
    _media: dict[tuple[int, str], Media] = field(repr=False)

    def __call__(self, prompt: Prompt | None, language: str) -> Media:
        if not prompt:
            return ()
        found = self._media.get((id(prompt), language))
        return found if found is not None else self._media[(id(prompt), self.default_language)]

    def __len__(self) -> int:
        return len(self._media)


def say_placeholder(item: SayPrompt) -> str:
    """What stands in a plan's media for ``item``, said at run time: ``say:tracking_code``,
    or ``say:KIND:VARIABLE`` for a contact's variable."""
    return SAY_TRACKING_CODE if item.var is None else f"say:{item.say}:{item.var}"


def render_prompts(prompts: Iterable[Prompt], languages: list[str], store: PromptStore,
                   base_dir: Path) -> PromptMedia:
    """Render ``prompts`` in each of ``languages`` (blocking: TTS and files, cached)."""
    media: dict[tuple[int, str], Media] = {}
    for prompt in prompts:
        for language in languages:
            items = prompt if isinstance(prompt, list) else (
                prompt.get(language) or prompt.get(languages[0]))
            if items is None:
                continue
            media[(id(prompt), language)] = tuple(
                say_placeholder(item) if isinstance(item, SayPrompt)
                else store.media_uri(item, language, base_dir) for item in items)
    return PromptMedia(languages[0], media)


@dataclass(frozen=True)
class MenuPlan:
    menu: MenuFile
    source: Path
    office_hours: OfficeHours
    loaded_at: datetime
    _media: PromptMedia = field(repr=False)

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
        return self._media(prompt, language)


def load_plan(path: Path, store: PromptStore,
              sounds: tuple[Path | None, Path | None] = (None, None)) -> MenuPlan:
    """Load, check and render the menu file ``path``; :class:`ConfigError` if it has errors.

    ``sounds`` is Asterisk's sounds directory and chroot (see :func:`ivr.locations`).
    """
    report = check_menu(path, sounds[0], sounds_root=sounds[1])
    if report.errors:
        raise ConfigError(report.errors)
    menu = load_yaml_model(path, MenuFile)
    media = render_prompts(_prompts(menu), menu.languages, store, path.parent)
    log.info("ivr.menu_loaded", file=str(path), nodes=len(menu.nodes), prompts=len(media))
    return MenuPlan(menu, path, OfficeHours(menu.hours), datetime.now(UTC), media)


def _prompts(menu: MenuFile) -> Iterator[Prompt]:
    """Every non-empty prompt of the defaults and the nodes."""
    yield from prompts_in(menu.defaults)
    for node in menu.nodes.values():
        yield from prompts_in(node)


def prompts_in(value: Any) -> Iterator[Prompt]:
    """Every non-empty prompt found in ``value`` (a model, a list or mapping of them)."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from prompts_in(getattr(value, name))
    elif isinstance(value, list) and value and all(_is_item(v) for v in value):
        yield value
    elif isinstance(value, dict) and value and all(
            LANGUAGE.match(k) and isinstance(v, list) and all(_is_item(i) for i in v)
            for k, v in value.items()):  # per language (ticket statuses are longer keys)
        yield value
    elif isinstance(value, dict | list):
        for item in value.values() if isinstance(value, dict) else value:
            yield from prompts_in(item)


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
