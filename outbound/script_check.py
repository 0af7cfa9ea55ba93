"""What the script schema alone cannot see, and what a contact list must hold for a script.

A script is checked like the menu file (:class:`ivr.check.NodeGraphCheck`: targets exist,
nodes are reachable and can be left, sounds exist), and more: the variables it says are
declared with the type said, the languages it says them in can be said. A list is checked
against the script: every variable the script uses is a column, and every row's value reads
as its type, so an import with one bad date is refused whole (:class:`ListProblem`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from config.loader import ConfigError, YamlFile, load_yaml_model, read_yaml
from config.menu import Hangup, Queue, SayPrompt
from config.script import OPERATOR, OPTED_OUT, CheckPin, OptOut, Result, ScriptFile, Survey
from ivr.check import CheckReport, KeyPath, NodeGraphCheck
from ivr.plan import prompts_in
from ivr.sounds import find_sound
from outbound.lists import ContactList, ListProblem
from outbound.say import SAY_LANGUAGES, check_value, sounds_used

_ENDINGS = "hangup, queue, opt_out, result or survey without next, identify without failed"


def check_script(path: Path, sounds_dir: Path | None, *,
                 sounds_root: Path | None = None) -> CheckReport:
    """Load the script file ``path`` and check it; sounds as :func:`ivr.check.check_menu`."""
    try:
        yaml_file = read_yaml(path)
        script = load_yaml_model(path, ScriptFile)
    except ConfigError as exc:
        return CheckReport(errors=list(exc.problems))
    check = _ScriptCheck(yaml_file, script, sounds_dir, sounds_root)
    check.references()
    check.paths()
    check.languages_chosen()
    check.actions()
    check.prompts(sounds_dir, sounds_root)
    check.variables()
    return check.report()


def used_variables(script: ScriptFile) -> dict[str, str]:
    """The variables the script says or checks a PIN against, with their declared types."""
    used = {item.var for item in _say_items(script) if item.var is not None}
    used |= {node.variable for node in _actions(script)
             if isinstance(node, CheckPin) and node.variable is not None}
    return {name: script.variables[name] for name in sorted(used) if name in script.variables}


def check_list_variables(script: ScriptFile, columns: Collection[str]) -> list[ListProblem]:
    """A problem for each variable the script uses that is not a column of the list."""
    return [ListProblem(1, name, f"no {name!r} column: the script says it ({_a(kind)})")
            for name, kind in used_variables(script).items() if name not in columns]


def check_contacts(script: ScriptFile, contacts: ContactList) -> list[ListProblem]:
    """Every problem of the contacts' values for ``script``: a missing column, an empty value
    or one that does not read as its type (``line N, column C: ...``)."""
    used = used_variables(script)
    columns = set().union(*(contact.variables for contact in contacts.contacts))
    problems = check_list_variables(script, columns) if contacts.contacts else []
    for contact in contacts.contacts:
        for name, kind in used.items():
            value = contact.variables.get(name)
            if value is None:
                continue  # the missing column is reported once
            if not value:
                problems.append(ListProblem(contact.line, name, f"empty: the script says it "
                                                                f"({_a(kind)}) to the contact"))
                continue
            try:
                check_value(kind, value)  # type: ignore[arg-type]
            except ValueError as exc:
                problems.append(ListProblem(contact.line, name, str(exc)))
    return problems


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _actions(script: ScriptFile) -> Iterator[Any]:
    for node in script.nodes.values():
        options = getattr(node, "options", None)
        if options is None:
            yield node
            continue
        yield from options.values()
        if node.after_retries is not None:  # type: ignore[union-attr]
            yield node.after_retries  # type: ignore[union-attr]
    yield script.defaults.after_retries


def _say_items(script: ScriptFile) -> Iterator[SayPrompt]:
    for prompt in prompts_in(script):
        items = prompt if isinstance(prompt, list) else [i for each in prompt.values()
                                                          for i in each]
        yield from (item for item in items if isinstance(item, SayPrompt))


class _ScriptCheck(NodeGraphCheck):
    """The checks of one loaded script."""

    endings = _ENDINGS

    def __init__(self, yaml_file: YamlFile, script: ScriptFile, sounds_dir: Path | None,
                 sounds_root: Path | None) -> None:
        super().__init__(yaml_file, script)
        self._script = script
        self._sounds = (sounds_dir, sounds_root)
        self._said: set[str] = set()

    def entry_points(self) -> list[tuple[KeyPath, str]]:
        entry = self._script.entry
        return [(("entry", "human"), entry.human), (("entry", "machine"), entry.machine)]

    def ends_the_call(self, action: Any) -> bool:
        if isinstance(action, Result | Survey):
            return action.next is None
        if isinstance(action, CheckPin):
            return action.failed is None
        return isinstance(action, Hangup | Queue | OptOut)

    def actions(self) -> None:
        """Outcomes the runner sets are not the script's; queues take no classification;
        a PIN is checked against a digits variable."""
        items: dict[str, KeyPath] = {}
        for key_path, _, action in self._all_actions():
            if isinstance(action, Result) and action.outcome in (OPTED_OUT, OPERATOR):
                self.error((*key_path, "outcome"), f"{action.outcome!r} is the outcome of "
                           f"{'opt_out' if action.outcome == OPTED_OUT else 'queue'}",
                           "use that action, or name the outcome otherwise")
            if isinstance(action, Queue) and action.classification is not None:
                self.error((*key_path, "classification"), "a script has no classification "
                           "tree", "remove classification")
            if isinstance(action, CheckPin) and action.variable is not None:
                self._variable((*key_path, "variable"), action.variable, "digits")
            if isinstance(action, Survey):
                if action.item in items and items[action.item] != key_path:
                    self.warning((*key_path, "item"), f"survey item {action.item!r} is asked "
                                 "in two places: the later answer counts", "name it otherwise")
                items.setdefault(action.item, key_path)

    def check_say(self, key_path: KeyPath, item: SayPrompt, language: str | None) -> None:
        if item.var is None:
            return  # the contact's ticket's tracking code
        self._said.add(item.var)
        self._variable((*key_path, "var"), item.var, item.say)
        languages = [language] if language is not None else self._script.languages
        for each in languages:
            if each not in SAY_LANGUAGES:
                self.error((*key_path, "say"), f"{_a(item.say)} cannot be said in {each!r} "
                           f"(only in {', '.join(SAY_LANGUAGES)})",
                           "say it with {tts: TEXT} in that language's prompt")
            elif self._sounds[0] is not None:
                self._check_say_sounds(key_path, item, each)

    def variables(self) -> None:
        """Declared variables the script never uses are worth a look."""
        used = set(used_variables(self._script)) | self._said
        for name in self._script.variables.keys() - used:
            if self._script.variables[name] != "text":  # text is carried along, never said
                self.warning(("variables", name), f"variable {name!r} is never said",
                             "say it ({say: ..., var: NAME}) or remove it")

    def _variable(self, key_path: KeyPath, name: str, kind: str) -> None:
        declared = self._script.variables.get(name)
        if declared is None:
            self.error(key_path, f"no variable named {name!r}",
                       f"declare it under variables ({name}: {kind})")
        elif declared != kind:
            self.error(key_path, f"{name!r} is {_a(declared)}, not {_a(kind)}",
                       f"declare it as {kind}, or say it as a {declared}")

    def _check_say_sounds(self, key_path: KeyPath, item: SayPrompt, language: str) -> None:
        sounds_dir, root = self._sounds
        assert sounds_dir is not None
        missing = sorted(name for name in sounds_used(item.say, language)  # type: ignore[arg-type]
                         if find_sound(sounds_dir, language, name, root=root) is None)
        if missing:
            self.error((*key_path, "say"), f"saying {_a(item.say)} in {language} needs sounds "
                       f"missing from {sounds_dir}: {', '.join(missing[:5])}"
                       f"{' ...' if len(missing) > 5 else ''}",
                       f"install Asterisk's core sounds for {language}")
