"""What the menu schema alone cannot see: targets that lead nowhere, unreachable nodes, menus a
caller cannot leave, unknown classification codes, missing sound files and prompts.

Every problem carries the file, the line and key path of the offending value, and a fix hint.
Errors make a menu unusable (the engine refuses to load it); warnings are worth a look.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from config.loader import ConfigError, ConfigProblem, YamlFile, load_yaml_model, read_yaml
from config.menu import (
    Back,
    ChooseLanguage,
    Classification,
    Classify,
    FilePrompt,
    GoToMenu,
    Hangup,
    MenuBase,
    MenuFile,
    PlayAndHangup,
    Prompt,
    PromptItem,
    Queue,
    SayPrompt,
    SoundPrompt,
    TicketStatus,
    Transfer,
    Voicemail,
)
from config.script import ScriptFile
from cti.tickets.terms import TicketStatus as KnownTicketStatus
from ivr.sounds import find_sound

KeyPath = tuple[str, ...]

_PROMPT_FIELDS = ("prompt", "no_input", "invalid", "goodbye", "not_found", "recognised",
                  "not_recognised")
_ENDINGS = "queue, voicemail, play_and_hangup, hangup, transfer, or ticket_status without next"


@dataclass
class CheckReport:
    """The problems of one menu file; ``nodes`` counts its nodes (0 if it could not be read).
    Of a campaign file, ``campaign`` is its name once it has no errors."""

    errors: list[ConfigProblem] = field(default_factory=list)
    warnings: list[ConfigProblem] = field(default_factory=list)
    nodes: int = 0
    campaign: str | None = None


def check_menu(path: Path, sounds_dir: Path | None, *,
               sounds_root: Path | None = None) -> CheckReport:
    """Load the menu file ``path`` and check its cross-references and sound files.

    Sounds are looked up as Asterisk would in ``sounds_dir`` (``None``: not checked, and a
    warning says so); ``sounds_root`` is the root filesystem Asterisk runs chrooted in, if any.
    """
    try:
        yaml_file = read_yaml(path)
        menu = load_yaml_model(path, MenuFile)
    except ConfigError as exc:
        return CheckReport(errors=list(exc.problems))
    check = _MenuCheck(yaml_file, menu)
    check.references()
    check.paths()
    check.classifications()
    check.actions()
    check.prompts(sounds_dir, sounds_root)
    return check.report()


def _line(problem: ConfigProblem) -> int:
    return problem.line or 0


def leads_to(action: Any) -> list[tuple[str, str]]:
    """The keys naming the nodes ``action`` goes on to, and those nodes."""
    if isinstance(action, GoToMenu):
        return [("target", action.target)]
    # every action that goes on has a next; a script's PIN check has a failed too
    return [(key, node) for key in ("next", "failed") if (node := getattr(action, key, None))]


def _did_you_mean(name: str, known: Iterable[str], what: str) -> str:
    known = sorted(known)
    if not known:
        return f"there are no {what}s yet: define {name!r} first"
    close = difflib.get_close_matches(name, known, n=1)
    listed = f"{what}s: {', '.join(known)}"
    return f"did you mean {close[0]!r}? {listed}" if close else f"use one of the {listed}"


class NodeGraphCheck:
    """The checks a menu file and an outbound script share (their nodes, their prompts),
    collecting problems as they are found. Subclasses say where calls start, which actions
    end them and what they can say."""

    endings = _ENDINGS  # the actions that end a call, for the "no way out" error

    def __init__(self, yaml_file: YamlFile, menu: MenuFile | ScriptFile) -> None:
        self.file = yaml_file
        self.menu = menu
        self.errors: list[ConfigProblem] = []
        self.warnings: list[ConfigProblem] = []
        self._callers: dict[str, set[str]] = {name: set() for name in menu.nodes}
        for name in menu.nodes:
            for successor in self._successors(name):
                self._callers[successor].add(name)

    def _problem(self, key_path: KeyPath, message: str, hint: str) -> ConfigProblem:
        return ConfigProblem(str(self.file.path), ".".join(key_path),
                             self.file.line_of(*key_path), message, hint)

    def error(self, key_path: KeyPath, message: str, hint: str) -> None:
        self.errors.append(self._problem(key_path, message, hint))

    def warning(self, key_path: KeyPath, message: str, hint: str) -> None:
        self.warnings.append(self._problem(key_path, message, hint))

    def report(self) -> CheckReport:
        """The problems found, in the file's order."""
        return CheckReport(sorted(self.errors, key=_line), sorted(self.warnings, key=_line),
                           len(self.menu.nodes))

    # -- what differs between files ----------------------------------------------------------

    def entry_points(self) -> list[tuple[KeyPath, str]]:
        """Where calls start: each entry's key path, and the node it names."""
        raise NotImplementedError

    def ends_the_call(self, action: Any) -> bool:
        """Whether ``action`` ends the call (or hands it over), whatever follows."""
        raise NotImplementedError

    def check_say(self, key_path: KeyPath, item: SayPrompt, language: str | None) -> None:
        """Report a ``say`` item of a prompt played in ``language`` (None: in every one)."""

    # -- the graph of nodes ----------------------------------------------------------------

    def _all_actions(self) -> Iterator[tuple[KeyPath, str | None, Any]]:
        """Every action of the file, its key path and the node it belongs to."""
        for name, node in self.menu.nodes.items():
            if isinstance(node, MenuBase):
                for key, option in getattr(node, "options").items():  # noqa: B009
                    yield ("nodes", name, "options", key), name, option
                if (after := getattr(node, "after_retries")) is not None:  # noqa: B009
                    yield ("nodes", name, "after_retries"), name, after
            else:
                yield ("nodes", name), name, node
        yield ("defaults", "after_retries"), None, self.menu.defaults.after_retries

    def _ways(self, name: str) -> list[Any]:
        """What a caller at node ``name`` can do next: its options and after_retries."""
        node = self.menu.nodes[name]
        if not isinstance(node, MenuBase):
            return [node]
        after = getattr(node, "after_retries") or self.menu.defaults.after_retries  # noqa: B009
        return [*getattr(node, "options").values(), after]  # noqa: B009

    def _successors(self, name: str) -> set[str]:
        return {node for action in self._ways(name) for _, node in leads_to(action)
                if node in self.menu.nodes}

    def _entries(self) -> set[str]:
        return {name for _, name in self.entry_points() if name in self.menu.nodes}

    def _menus_before(self, name: str) -> set[str]:
        """The menus a caller at ``name`` may have come from, through single-action nodes."""
        found: set[str] = set()
        seen, pending = {name}, [name]
        while pending:
            for caller in self._callers[pending.pop()]:
                if isinstance(self.menu.nodes[caller], MenuBase):
                    found.add(caller)
                elif caller not in seen:
                    seen.add(caller)
                    pending.append(caller)
        return found

    def _reachable(self) -> set[str]:
        reached, pending = set(self._entries()), list(self._entries())
        while pending:
            for successor in self._successors(pending.pop()) - reached:
                reached.add(successor)
                pending.append(successor)
        return reached

    def _way_out(self, action: Any, name: str, leaving: set[str]) -> bool:
        """Whether ``action`` at node ``name`` ends the call or leads to a node in ``leaving``."""
        if self.ends_the_call(action):
            return True
        leads = leads_to(action)
        if leads:  # a target that does not exist is reported as such, not here
            return any(node in leaving or node not in self.menu.nodes for _, node in leads)
        if isinstance(action, Back) or not isinstance(self.menu.nodes[name], MenuBase):
            return bool(self._menus_before(name) & leaving)  # back where the caller came from
        return False  # repeat, identify or language without next: this menu again

    # -- checks ----------------------------------------------------------------------------

    def references(self) -> None:
        """Entry points, targets and nexts must name existing nodes."""
        named = self.entry_points()
        for key_path, _, action in self._all_actions():
            named += [((*key_path, key), node) for key, node in leads_to(action)]
        for key_path, name in named:
            if name not in self.menu.nodes:
                self.error(key_path, f"no node named {name!r}",
                           _did_you_mean(name, self.menu.nodes, "node"))

    def paths(self) -> None:
        """Every node reachable from an entry; no reachable node a caller cannot leave."""
        reachable = self._reachable()
        for name in self.menu.nodes.keys() - reachable:
            self.warning(("nodes", name), "unreachable: no entry, option, after_retries or next "
                         "leads here", f"lead here from a menu option ({{action: menu, "
                         f"target: {name}}}) or remove the node")
        leaving: set[str] = set()
        grew = True
        while grew:
            grew = False
            for name in self.menu.nodes.keys() - leaving:
                if any(self._way_out(action, name, leaving) for action in self._ways(name)):
                    leaving.add(name)
                    grew = True
        for name in reachable - leaving:
            self.error(("nodes", name), "no way out: nothing from here ends the call "
                       f"({self.endings})",
                       "add an option or after_retries that ends the call, e.g. "
                       "{action: hangup}, or that leads to a node which does")
        for name in self._entries():
            if self._menus_before(name) - {name}:
                continue
            for key_path, owner, action in self._all_actions():
                if owner == name and isinstance(action, Back):
                    self.warning(key_path, "back on an entry menu no other menu leads to: it "
                                 "plays this menu again", "use {action: repeat}, or remove it")

    def languages_chosen(self) -> None:
        """Languages chosen are the file's."""
        languages = self.menu.languages
        for key_path, _, action in self._all_actions():
            if isinstance(action, ChooseLanguage) and action.language not in languages:
                self.error((*key_path, "language"), f"{action.language!r} is not one of the "
                           f"menu's languages ({', '.join(languages)})",
                           f"add {action.language} to languages, or choose one of them")

    def prompts(self, sounds_dir: Path | None, sounds_root: Path | None) -> None:
        """Every prompt in every language; sound names and files exist."""
        if sounds_dir is None:
            self.warning((), "sound files were not checked: no sounds directory",
                         "set ivr.sounds_dir to Asterisk's sounds directory, or run "
                         "`centralino sandbox up` once so the sandbox's sounds exist")
        for key_path, prompt in self._all_prompts():
            for language, items, items_path in self._by_language(key_path, prompt):
                for index, item in enumerate(items):
                    item_path = (*items_path, str(index))
                    if isinstance(item, FilePrompt):
                        self._check_file(item_path, item)
                    elif isinstance(item, SoundPrompt) and sounds_dir is not None:
                        self._check_sound(item_path, item, language, sounds_dir, sounds_root)
                    elif isinstance(item, SayPrompt):
                        self.check_say(item_path, item, language)

    def _all_prompts(self) -> Iterator[tuple[KeyPath, Prompt]]:
        owners: list[tuple[KeyPath, BaseModel]] = [(("defaults",), self.menu.defaults)]
        owners += [(("nodes", name), node) for name, node in self.menu.nodes.items()
                   if isinstance(node, MenuBase)]
        owners += [(key_path, action) for key_path, _, action in self._all_actions()]
        for key_path, owner in owners:
            for name in _PROMPT_FIELDS:
                if (prompt := getattr(owner, name, None)) is not None:
                    yield (*key_path, name), prompt
            if isinstance(owner, TicketStatus):
                for status, prompt in owner.statuses.items():
                    yield (*key_path, "statuses", status), prompt
        greetings = getattr(self.menu.defaults, "voicemail_greetings", None)
        for situation in type(greetings).model_fields if greetings is not None else ():
            if (prompt := getattr(greetings, situation)) is not None:
                yield ("defaults", "voicemail_greetings", situation), prompt

    def _by_language(self, key_path: KeyPath, prompt: Prompt
                     ) -> Iterator[tuple[str | None, list[PromptItem], KeyPath]]:
        """The prompt's item lists (language None: played in every one), reporting on the way
        the menu's languages a per-language prompt lacks and those it has in excess."""
        if isinstance(prompt, list):
            yield None, prompt, key_path
            return
        languages = self.menu.languages
        if languages[0] not in prompt:
            self.error(key_path, f"no {languages[0]!r} prompt: {languages[0]} is the first "
                       "language, which callers in the missing ones fall back to",
                       f"add {languages[0]}: [...] to this prompt")
        elif missing := [language for language in languages if language not in prompt]:
            self.warning(key_path, f"no prompt in {', '.join(missing)}: those callers hear the "
                         f"{languages[0]!r} one", f"add {missing[0]}: [...] to this prompt")
        for language, items in prompt.items():
            if language not in languages:
                self.warning((*key_path, language), f"{language!r} is not one of the menu's "
                             "languages: no caller hears this",
                             f"add {language} to languages, or remove this prompt")
            yield language, items, (*key_path, language)

    def _check_file(self, key_path: KeyPath, item: FilePrompt) -> None:
        folder = self.file.path.parent
        if not (folder / item.file).is_file():
            self.error((*key_path, "file"), f"no file {item.file!r} in {folder}",
                       f"paths are relative to the menu file's folder ({folder})")

    def _check_sound(self, key_path: KeyPath, item: SoundPrompt, language: str | None,
                     sounds_dir: Path, sounds_root: Path | None) -> None:
        if language is not None and language not in self.menu.languages:
            return  # nobody hears it, as a warning says
        languages = [language] if language is not None else self.menu.languages
        missing = [each for each in languages
                   if find_sound(sounds_dir, each, item.sound, root=sounds_root) is None]
        if missing:
            self.error((*key_path, "sound"), f"no sound {item.sound!r} for {', '.join(missing)} "
                       f"in {sounds_dir}", "check the name (Asterisk looks in "
                       "SOUNDS_DIR/LANGUAGE/, then SOUNDS_DIR/, then SOUNDS_DIR/en/), install "
                       "the sound, or say it with {tts: TEXT} or {file: PATH}")


class _MenuCheck(NodeGraphCheck):
    """The checks of one loaded menu file."""

    def __init__(self, yaml_file: YamlFile, menu: MenuFile) -> None:
        super().__init__(yaml_file, menu)
        self._menu = menu

    def entry_points(self) -> list[tuple[KeyPath, str]]:
        entry = self._menu.entry
        entries = (("open", entry.open), ("closed", entry.closed), ("holiday", entry.holiday))
        return [(("entry", key), name) for key, name in entries if name is not None]

    def ends_the_call(self, action: Any) -> bool:
        if isinstance(action, TicketStatus):
            return action.next is None
        return isinstance(action, Queue | Voicemail | PlayAndHangup | Hangup | Transfer)

    def check_say(self, key_path: KeyPath, item: SayPrompt, language: str | None) -> None:
        if item.var is not None:
            self.error((*key_path, "say"), f"say: {item.say} says a contact's variable, which "
                       "only outbound scripts have", "say the tracking code "
                       "({say: tracking_code}), or use this item in an outbound script")

    def classifications(self) -> None:
        """Codes are unique in the tree, and every code used is in it."""
        codes: dict[str, KeyPath] = {}
        pending: list[tuple[KeyPath, Classification]] = [
            (("classifications", str(index)), item)
            for index, item in enumerate(self._menu.classifications)]
        while pending:
            key_path, item = pending.pop(0)
            if item.code in codes:
                first = self.file.line_of(*codes[item.code], "code")
                self.error((*key_path, "code"), f"duplicate classification code {item.code!r} "
                           f"(also on line {first})", "give each classification its own code")
            codes.setdefault(item.code, key_path)
            pending.extend(((*key_path, "children", str(index)), child)
                           for index, child in enumerate(item.children))
        for key_path, _, action in self._all_actions():
            if isinstance(action, Queue | Voicemail | PlayAndHangup | Classify) and (
                    action.classification is not None and action.classification not in codes):
                self.error((*key_path, "classification"),
                           f"unknown classification code {action.classification!r}",
                           _did_you_mean(action.classification, codes, "classification code"))

    def actions(self) -> None:
        """Languages chosen are the menu's; ticket_status can say every ticket status."""
        self.languages_chosen()
        for key_path, _, action in self._all_actions():
            if isinstance(action, TicketStatus):
                missing = [status.value for status in KnownTicketStatus
                           if status.value not in action.statuses]
                if missing:
                    self.warning((*key_path, "statuses"), "nothing to say for ticket status "
                                 f"{', '.join(missing)}: those callers hear no status",
                                 f"add {missing[0]}: [...] to statuses")
