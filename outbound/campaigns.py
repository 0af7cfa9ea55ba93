"""Campaigns made from their files and lists, as the CLI and the pages do it: the file checked
with its lines, each stage's script resolved and checked, a list read all or nothing and
checked against the scripts, and the scripts checked again when the campaign starts or resumes
(a script with errors keeps it from starting, naming them).

Where scripts are found is one function handed in as a :data:`ScriptResolver` (by default
:func:`resolve_script`, on the script language's own loader).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from config.campaign import CampaignFile
from config.loader import ConfigError, ConfigProblem, load_yaml_model, read_yaml
from config.script import ScriptFile
from outbound import store
from outbound.lists import ContactList, ListRefused, read_contact_list
from outbound.models import Campaign
from outbound.script_check import check_contacts
from outbound.script_files import SHIPPED_DIR, load_script, script_path, shipped_scripts
from outbound.terms import CampaignState

ScriptResolver = Callable[[str, Path], str]
"""A stage's ``script`` (a shipped name, or a path relative to the campaign file's folder
``Path``) → the shipped name or an absolute path; :class:`ConfigError` naming the problems."""

ScriptLoader = Callable[[str], ScriptFile]
"""A resolved script (a shipped name or an absolute path) → the loaded, checked script;
:class:`ConfigError` naming its problems."""

ACTIONS = tuple(store.TRANSITIONS)  # start, pause, resume, stop
CHECKED_ACTIONS = frozenset({"start", "resume"})  # the scripts are checked again first


def script_resolver(sounds: tuple[Path | None, Path | None] = (None, None)) -> ScriptResolver:
    """A resolver of shipped scripts by their name (``fault_check``) and others by their path
    (relative to ``base``); each script is loaded and checked
    (:func:`outbound.script_files.load_script`, its problems with its own file and lines),
    its sounds looked up in ``sounds`` (Asterisk's sounds directory and chroot) when known."""
    def resolve(script: str, base: Path) -> str:
        path = script_path(script, base)
        if not path.is_file():
            raise ConfigError([ConfigProblem("", "", None, (
                f"no script {script!r}: neither a shipped one ({', '.join(shipped_scripts())}) "
                f"nor a file ({path})"))])
        load_script(path, sounds=sounds)
        return script if path.parent == SHIPPED_DIR and "/" not in script else str(path.resolve())

    return resolve


resolve_script = script_resolver()
"""The resolver that does not look for the scripts' sound files."""


@dataclass(frozen=True, slots=True)
class CampaignDraft:
    """A checked campaign file, ready to be stored."""

    file: CampaignFile
    text: str
    scripts: list[str]  # each stage's script, resolved (0: the campaign's own)


class ScriptsRefused(Exception):
    """The campaign's scripts have errors: it does not start, nor take a list.
    :attr:`problems` names them."""

    def __init__(self, campaign_id: int, problems: Sequence[ConfigProblem]) -> None:
        super().__init__(f"campaign {campaign_id} has scripts with errors: "
                         + "; ".join(str(problem) for problem in problems))
        self.problems = list(problems)


def read_campaign_file(path: Path, resolver: ScriptResolver = resolve_script) -> CampaignDraft:
    """The campaign file ``path`` checked, with its scripts resolved; :class:`ConfigError`
    lists every problem, each with the file and line."""
    file = load_yaml_model(path, CampaignFile)
    lines = read_yaml(path)
    problems: list[ConfigProblem] = []
    scripts: list[str] = []
    keys = [("script",), *(("stages", str(n), "script") for n in range(len(file.stages)))]
    for key, script in zip(keys, [file.script, *(s.script for s in file.stages)], strict=True):
        try:
            scripts.append(resolver(script, path.parent))
        except ConfigError as exc:
            problems += [p if p.file else dataclasses.replace(
                p, file=str(path), key_path=".".join(key), line=lines.line_of(*key))
                for p in exc.problems]
    if problems:
        raise ConfigError(problems)
    return CampaignDraft(file, path.read_text(encoding="utf-8"), scripts)


def campaign_json(campaign: Campaign) -> dict[str, Any]:
    """What ``campaigns create --json`` and ``POST /api/campaigns`` answer."""
    return {"id": campaign.id, "name": campaign.name, "state": campaign.state,
            "scripts": list(campaign.scripts), "created_by": campaign.created_by,
            "created_at": campaign.created_at.isoformat()}


async def create_campaign(session: AsyncSession, draft: CampaignDraft, *, now: datetime,
                          created_by: str | None = None) -> Campaign:
    """Store the checked campaign, a ``draft`` until it is started."""
    return await store.create_campaign(session, draft.file, draft.text, draft.scripts, now=now,
                                       created_by=created_by)


async def import_list(session: AsyncSession, campaign_id: int, path: Path, *,
                      now: datetime, load: ScriptLoader = load_script,
                      expire_days: int | None = None) -> store.ImportCounts:
    """Read the CSV or XLSX list ``path``, check it against the campaign's scripts (its
    languages, every variable they say, as its type) and add its contacts; all or nothing.
    Each expires ``expire_days`` after now (default: the campaign file's ``expire_days``).

    Raises :class:`outbound.lists.ListRefused` (every problem, nothing added),
    :class:`ScriptsRefused` (a script that no longer loads), :class:`store.CampaignNotFound`,
    :class:`store.CampaignStateError` (a stopped campaign).
    """
    campaign = await store.get_campaign(session, campaign_id)
    contacts = await asyncio.to_thread(  # a big list takes a while: not on the event loop
        _checked_list, campaign_id, campaign.scripts, path, load)
    expires_at = None if expire_days is None else now + timedelta(days=expire_days)
    return await store.import_contacts(session, campaign_id, contacts, now=now,
                                       expires_at=expires_at)


def _checked_list(campaign_id: int, scripts: Sequence[str], path: Path,
                  load: ScriptLoader) -> ContactList:
    loaded: list[ScriptFile] = []
    for script in dict.fromkeys(scripts):
        try:
            loaded.append(load(script))
        except ConfigError as exc:
            raise ScriptsRefused(campaign_id, exc.problems) from None
    languages = [language for language in loaded[0].languages
                 if all(language in script.languages for script in loaded)]
    contacts = read_contact_list(path, languages=languages)
    problems = {str(p): p for script in loaded for p in check_contacts(script, contacts)}
    if problems:
        raise ListRefused(sorted(problems.values(), key=lambda p: p.line))
    return contacts


async def change_campaign(session: AsyncSession, campaign_id: int, action: str, *,
                          now: datetime, resolver: ScriptResolver = resolve_script) -> Campaign:
    """``start``, ``pause``, ``resume`` or ``stop`` the campaign; before starting or resuming
    its scripts are checked again (:class:`ScriptsRefused`).

    Raises :class:`ValueError` for another action, :class:`store.CampaignNotFound`,
    :class:`store.CampaignStateError`.
    """
    if action not in store.TRANSITIONS:
        raise ValueError(f"no action {action!r}: one of {', '.join(ACTIONS)}")
    campaign = await store.get_campaign(session, campaign_id)
    sources, _ = store.TRANSITIONS[action]
    if action in CHECKED_ACTIONS and CampaignState(campaign.state) in sources:
        problems = script_problems(campaign.scripts, resolver)
        if problems:
            raise ScriptsRefused(campaign_id, problems)
    return await store.change_state(session, campaign_id, action, now=now)


def script_problems(scripts: Sequence[str], resolver: ScriptResolver) -> list[ConfigProblem]:
    """What is wrong with the resolved ``scripts`` now (a file removed or broken since)."""
    problems: list[ConfigProblem] = []
    for script in dict.fromkeys(scripts):
        try:
            resolver(script, Path("/"))
        except ConfigError as exc:
            problems += [p if p.file else dataclasses.replace(p, file=script)
                         for p in exc.problems]
    return problems
