"""The outbound script file's schema: the menu language with its outbound actions, every problem
with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.loader import ConfigError, load_yaml_model
from config.menu import MenuFile, SayPrompt
from config.script import CheckPin, OptOut, Result, ScriptFile, ScriptMenu, Survey

SCRIPT = """\
version: 1
languages: [it, en]
variables: {amount_due: amount, pin: digits}
entry: {human: ask, machine: message}
nodes:
  ask:
    prompt:
      it: [{tts: "Il suo debito è di"}, {say: amount, var: amount_due}]
      en: [{tts: "You owe"}, {say: amount, var: amount_due}]
    options:
      "1": {action: result, outcome: fixed, ticket: close, note: "works again"}
      "2": {action: survey, item: courtesy, prompt: [{tts: "Rate us"}], next: pin}
      "9": {action: opt_out, prompt: [{tts: "Addio"}]}
  pin:
    action: identify
    prompt: [{tts: "PIN"}]
    not_recognised: [{tts: "no"}]
    variable: pin
    failed: message
  message: {action: hangup, prompt: [{tts: "Call us"}]}
"""


def _load(tmp_path: Path, text: str) -> ScriptFile:
    path = tmp_path / "script.yaml"
    path.write_text(text)
    return load_yaml_model(path, ScriptFile)


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    return [str(problem) for problem in caught.value.problems]


def test_a_script_loads_with_its_outbound_actions(tmp_path: Path) -> None:
    script = _load(tmp_path, SCRIPT)
    ask = script.nodes["ask"]
    assert isinstance(ask, ScriptMenu)
    assert isinstance(ask.options["1"], Result) and ask.options["1"].ticket == "close"
    assert isinstance(ask.options["2"], Survey) and isinstance(ask.options["9"], OptOut)
    assert isinstance(script.nodes["pin"], CheckPin)
    assert script.nodes["pin"].variable == "pin"
    assert isinstance(ask.prompt, dict)
    assert ask.prompt["it"][1] == SayPrompt(say="amount", var="amount_due")
    assert script.variables == {"amount_due": "amount", "pin": "digits"}


def test_an_unknown_action_is_reported_on_its_line(tmp_path: Path) -> None:
    problems = _problems(tmp_path, SCRIPT.replace("action: opt_out", "action: opt_in"))
    assert len(problems) == 1
    assert ":13: nodes.ask.options.9" in problems[0]


def test_a_variable_type_that_does_not_exist_is_reported(tmp_path: Path) -> None:
    problems = _problems(tmp_path, SCRIPT.replace("pin: digits", "pin: number"))
    assert any(":3: variables.pin" in problem for problem in problems)


def test_saying_a_contact_value_needs_the_variable(tmp_path: Path) -> None:
    problems = _problems(tmp_path, SCRIPT.replace("{say: amount, var: amount_due}]\n      en",
                                                  "{say: amount}]\n      en"))
    assert any(":8: nodes.ask.prompt.it.1" in p and "needs the variable" in p for p in problems)


def test_a_note_without_a_ticket_change_is_refused(tmp_path: Path) -> None:
    problems = _problems(tmp_path, SCRIPT.replace("ticket: close, ", ""))
    assert any(":11: nodes.ask.options.1" in p and "goes on the ticket" in p for p in problems)


def test_list_columns_of_their_own_are_no_variables(tmp_path: Path) -> None:
    problems = _problems(tmp_path, SCRIPT.replace("pin: digits", "phone: digits"))
    assert any("phone is a contact list's own column" in problem for problem in problems)


def test_both_entries_are_required(tmp_path: Path) -> None:
    problems = _problems(tmp_path, SCRIPT.replace(", machine: message", ""))
    assert any(":4: entry.machine: required value is missing" in p for p in problems)


def test_the_tracking_code_takes_no_variable() -> None:
    with pytest.raises(ValueError, match="takes no var"):
        SayPrompt(say="tracking_code", var="x")


def test_the_menu_file_still_reads_its_own_say_item() -> None:
    menu = MenuFile.model_validate({
        "version": 1, "entry": {"open": "a", "closed": "a"},
        "nodes": {"a": {"action": "hangup", "prompt": [{"say": "tracking_code"}]}}})
    assert menu.nodes["a"].prompt == [SayPrompt(say="tracking_code")]  # type: ignore[union-attr]
