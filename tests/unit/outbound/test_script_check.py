"""Scripts checked beyond their schema (targets, ways out, variables, sayable languages, sounds),
the shipped scripts among them, and contact lists checked against a script."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.loader import ConfigError
from ivr.check import check_menu
from outbound.lists import ContactList, ListContact
from outbound.script_check import check_contacts, check_script, used_variables
from outbound.script_files import load_script, script_path, shipped_scripts
from tests.unit.outbound.test_say import SHIPPED

BASE = """\
version: 1
languages: [it, en]
variables: {due: date, amount_due: amount}
entry: {human: ask, machine: bye}
nodes:
  ask:
    prompt: [{tts: "Hello"}, {say: date, var: due}, {say: amount, var: amount_due}]
    options:
      "1": {action: result, outcome: paid, next: bye}
      "9": {action: opt_out, prompt: [{tts: "Bye"}]}
  bye: {action: hangup}
"""


def _check(tmp_path: Path, text: str, sounds: Path | None = None) -> tuple[list[str], list[str]]:
    path = tmp_path / "script.yaml"
    path.write_text(text)
    report = check_script(path, sounds)
    return [str(p) for p in report.errors], [str(p) for p in report.warnings]


def test_a_sound_script_has_no_errors(tmp_path: Path) -> None:
    errors, _ = _check(tmp_path, BASE)
    assert errors == []


def test_a_next_to_no_node_is_an_error_on_its_line(tmp_path: Path) -> None:
    errors, _ = _check(tmp_path, BASE.replace("next: bye", "next: by"))
    assert len(errors) == 1 and ":9: nodes.ask.options.1.next: no node named 'by'" in errors[0]
    assert "did you mean 'bye'" in errors[0]


def test_a_node_nothing_leads_to_is_a_warning(tmp_path: Path) -> None:
    _, warnings = _check(tmp_path, BASE + "  lost: {action: hangup}\n")
    assert any("nodes.lost: unreachable" in warning for warning in warnings)


def test_a_menu_a_contact_cannot_leave_is_an_error(tmp_path: Path) -> None:
    text = BASE.replace('"9": {action: opt_out, prompt: [{tts: "Bye"}]}',
                        '"9": {action: menu, target: ask}').replace(
        "options:", "after_retries: {action: repeat}\n    options:").replace(
        "outcome: paid, next: bye", "outcome: paid, next: ask")
    errors, _ = _check(tmp_path, text)
    assert any("nodes.ask: no way out" in error and "opt_out" in error for error in errors)


def test_an_undeclared_or_mistyped_variable_is_an_error(tmp_path: Path) -> None:
    errors, _ = _check(tmp_path, BASE.replace("var: due}", "var: dew}"))
    assert any("nodes.ask.prompt.1.var: no variable named 'dew'" in e for e in errors)
    errors, _ = _check(tmp_path, BASE.replace("{say: date, var: due}", "{say: digits, var: due}"))
    assert any("'due' is a date, not a digits" in error for error in errors)


def test_a_language_nothing_can_be_said_in_is_an_error(tmp_path: Path) -> None:
    errors, _ = _check(tmp_path, BASE.replace("languages: [it, en]", "languages: [it, fr]"))
    assert any("cannot be said in 'fr'" in error for error in errors)


def test_outcomes_of_other_actions_and_classifications_are_refused(tmp_path: Path) -> None:
    errors, _ = _check(tmp_path, BASE.replace("outcome: paid", "outcome: opted_out"))
    assert any("'opted_out' is the outcome of opt_out" in error for error in errors)
    errors, _ = _check(tmp_path, BASE.replace("bye: {action: hangup}",
                                              "bye: {action: queue, classification: x}"))
    assert any("no classification tree" in error for error in errors)


def test_a_pin_checked_against_a_variable_needs_digits(tmp_path: Path) -> None:
    text = BASE.replace('"1": {action: result', '"2": {action: identify, variable: due, '
                        'prompt: [{tts: PIN}], not_recognised: [{tts: wrong}]}\n      "1": '
                        '{action: result')
    errors, _ = _check(tmp_path, text)
    assert any("options.2.variable: 'due' is a date, not a digits" in e for e in errors)


def _sounds(tmp_path: Path, languages: dict[str, set[str]]) -> Path:
    sounds = tmp_path / "sounds"
    for language, names in languages.items():
        for name in names | {"goodbye", "pm-invalid-option"}:
            (sounds / language / f"{name}.wav").parent.mkdir(parents=True, exist_ok=True)
            (sounds / language / f"{name}.wav").write_bytes(b"")
    return sounds


def test_the_sounds_a_saying_needs_are_checked(tmp_path: Path) -> None:
    errors, _ = _check(tmp_path, BASE, _sounds(tmp_path, SHIPPED))
    assert errors == []
    without = {language: names - {"digits/mon-4"} for language, names in SHIPPED.items()}
    errors, _ = _check(tmp_path, BASE, _sounds(tmp_path / "less", without))
    assert any("saying a date in it needs sounds missing" in e and "digits/mon-4" in e
               for e in errors)


@pytest.mark.parametrize("name", ["provisioning_notice", "fault_check", "payment_reminder",
                                  "threshold_alert", "survey"])
def test_every_shipped_script_loads_and_checks_clean(tmp_path: Path, name: str) -> None:
    assert name in shipped_scripts()
    report = check_script(script_path(name), _sounds(tmp_path, SHIPPED))
    assert report.errors == [] and report.warnings == []
    script = load_script(name)
    assert set(script.languages) == {"it", "en"}
    assert script.entry.machine in script.nodes
    options = [option for node in script.nodes.values()
               for option in getattr(node, "options", {}).items()]
    assert ("9", "opt_out") in [(key, getattr(option, "target", "")) for key, option in options]


def test_load_script_names_the_shipped_ones_when_there_is_no_such_script() -> None:
    with pytest.raises(ConfigError, match="fault_check"):
        load_script("fault_chek")


def test_a_menu_file_cannot_say_a_contact_variable(tmp_path: Path) -> None:
    path = tmp_path / "menu.yaml"
    path.write_text("version: 1\nentry: {open: a, closed: a}\nnodes:\n"
                    "  a: {action: hangup, prompt: [{say: date, var: due}]}\n")
    errors = check_menu(path, None).errors
    assert [p.key_path for p in errors] == ["nodes.a.prompt.0.say"]


def _contacts(*rows: dict[str, str]) -> ContactList:
    return ContactList([ListContact(f"+3933300000{n}", n + 2, variables=row)
                        for n, row in enumerate(rows)], 0)


def test_a_contact_value_that_does_not_read_as_its_type_refuses_the_list() -> None:
    script = load_script("payment_reminder")
    assert used_variables(script) == {"amount_due": "amount", "due_date": "date"}
    problems = check_contacts(script, _contacts(
        {"amount_due": "12,50", "due_date": "31/03/2025"},
        {"amount_due": "12.5.0", "due_date": "2025-02-30"},
        {"amount_due": "", "due_date": "2025-03-01"}))
    assert [str(p) for p in problems] == [
        "line 3, column amount_due: not an amount in euros: '12.5.0' (write 12.50 or 12,50)",
        "line 3, column due_date: not a date: '2025-02-30' (write 2025-03-31 or 31/03/2025)",
        "line 4, column amount_due: empty: the script says it (an amount) to the contact"]


def test_a_column_the_script_says_must_be_in_the_list() -> None:
    problems = check_contacts(load_script("payment_reminder"), _contacts({"due_date": "1/2/2025"}))
    assert [str(p) for p in problems] == [
        "line 1, column amount_due: no 'amount_due' column: the script says it (an amount)"]
