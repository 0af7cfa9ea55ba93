"""``centralino config check``: every mistake in a menu file, with its line, key path and fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from centralino.app.config_cli import app
from config.loader import ConfigProblem
from config.settings import SandboxSettings
from ivr.check import CheckReport, check_menu

SANDBOX_ROOT = SandboxSettings().root.expanduser()
SANDBOX_SOUNDS = SANDBOX_ROOT / "usr/share/asterisk/sounds"
SHIPPED_MENU = Path(__file__).parents[3] / "config/menus/tollfree.yaml"

CLEAN = """\
version: 1
languages: [it, en]
classifications:
  - code: water
    label: Water
    children:
      - {code: water.leak, label: Leak}
entry:
  open: main
  closed: closed
nodes:
  main:
    prompt: [{sound: hello}]
    options:
      "1": {action: menu, target: sub}
      "2": {action: queue, classification: water.leak}
  sub:
    prompt: [{sound: hello}]
    options:
      "1": {action: hangup}
      "*": {action: back}
  closed:
    action: voicemail
"""


@pytest.fixture
def sounds(tmp_path: Path) -> Path:
    """A sounds directory with the sounds CLEAN and the schema's defaults play, in English."""
    sounds_dir = tmp_path / "sounds"
    for name in ("hello", "goodbye", "pm-invalid-option"):
        touch(sounds_dir / "en" / f"{name}.wav")
    return sounds_dir


def touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"audio")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "menu.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def line_with(text: str, fragment: str) -> int:
    """The 1-based line of the only line of ``text`` holding ``fragment``."""
    lines = [n for n, line in enumerate(text.splitlines(), 1) if fragment in line]
    assert len(lines) == 1, f"{fragment!r} is on lines {lines}"
    return lines[0]


def check(tmp_path: Path, text: str, sounds_dir: Path | None) -> CheckReport:
    return check_menu(write(tmp_path, text), sounds_dir)


def only(problems: list[ConfigProblem], key_path: str) -> ConfigProblem:
    found = [p for p in problems if p.key_path == key_path]
    assert len(found) == 1, [str(p) for p in problems]
    return found[0]


def test_a_clean_menu_has_no_errors_and_no_warnings(tmp_path: Path, sounds: Path) -> None:
    report = check(tmp_path, CLEAN, sounds)

    assert report.errors == [] and report.warnings == []
    assert report.nodes == 3


def test_an_option_to_a_missing_node_names_the_closest_node(tmp_path: Path, sounds: Path) -> None:
    text = CLEAN.replace("target: sub", "target: sbu")

    problem = only(check(tmp_path, text, sounds).errors, "nodes.main.options.1.target")

    assert problem.line == line_with(text, "target: sbu")
    assert problem.message == "no node named 'sbu'"
    assert problem.hint == "did you mean 'sub'? nodes: closed, main, sub"


def test_an_entry_to_a_missing_node_is_an_error(tmp_path: Path, sounds: Path) -> None:
    text = CLEAN.replace("closed: closed", "closed: shut")

    problem = only(check(tmp_path, text, sounds).errors, "entry.closed")

    assert problem.line == line_with(text, "closed: shut")
    assert problem.hint == "use one of the nodes: closed, main, sub"


def test_a_next_to_a_missing_node_is_reported_once(tmp_path: Path, sounds: Path) -> None:
    text = CLEAN.replace("    action: voicemail", "    action: classify\n"
                         "    classification: water\n    next: mian")

    errors = check(tmp_path, text, sounds).errors

    assert [p.key_path for p in errors] == ["nodes.closed.next"]  # not also "no way out"
    assert errors[0].line == line_with(text, "next: mian")
    assert errors[0].hint is not None and errors[0].hint.startswith("did you mean 'main'?")


def test_a_node_nothing_leads_to_is_a_warning_and_traps_no_caller(tmp_path: Path,
                                                                 sounds: Path) -> None:
    text = CLEAN + "  orphan:\n    {action: classify, classification: water, next: orphan}\n"

    report = check(tmp_path, text, sounds)

    problem = only(report.warnings, "nodes.orphan")
    assert report.errors == []  # it loops, but no caller gets there
    assert problem.line == line_with(text, "orphan:")
    assert problem.hint == ("lead here from a menu option ({action: menu, target: orphan}) "
                            "or remove the node")


def test_menus_that_only_lead_to_each_other_have_no_way_out(tmp_path: Path,
                                                             sounds: Path) -> None:
    text = CLEAN.replace('"2": {action: queue, classification: water.leak}', '"*": {action: repeat}'
                         ).replace('"1": {action: hangup}', '"1": {action: menu, target: main}')
    text += "defaults:\n  after_retries: {action: menu, target: main}\n"

    errors = check(tmp_path, text, sounds).errors

    assert {p.key_path for p in errors} == {"nodes.main", "nodes.sub"}
    problem = only(errors, "nodes.sub")
    assert problem.line == line_with(text, "  sub:")
    assert problem.message.startswith("no way out")
    assert problem.hint is not None and "{action: hangup}" in problem.hint


def test_after_retries_that_ends_the_call_is_a_way_out(tmp_path: Path, sounds: Path) -> None:
    text = CLEAN.replace('"1": {action: hangup}', '"1": {action: repeat}').replace(
        '"*": {action: back}', '"*": {action: menu, target: sub}')

    assert check(tmp_path, text, sounds).errors == []


def test_back_is_a_way_out_through_the_menu_the_caller_came_from(tmp_path: Path,
                                                                 sounds: Path) -> None:
    text = CLEAN.replace('"1": {action: menu, target: sub}', '"1": {action: menu, target: tag}'
                         ).replace('"1": {action: hangup}', '"1": {action: repeat}')
    text += "  tag:\n    {action: classify, classification: water, next: sub}\n"
    text += "defaults:\n  after_retries: {action: repeat}\n"

    assert check(tmp_path, text, sounds).errors == []
    without_queue = text.replace('"2": {action: queue, classification: water.leak}',
                                 '"2": {action: repeat}')
    errors = check(tmp_path, without_queue, sounds).errors
    assert {p.key_path for p in errors} == {"nodes.main", "nodes.sub", "nodes.tag"}


def test_an_unknown_classification_code_names_the_closest_code(tmp_path: Path,
                                                               sounds: Path) -> None:
    text = CLEAN.replace("classification: water.leak", "classification: water.leek")

    problem = only(check(tmp_path, text, sounds).errors, "nodes.main.options.2.classification")

    assert problem.line == line_with(text, "water.leek")
    assert problem.message == "unknown classification code 'water.leek'"
    assert problem.hint == "did you mean 'water.leak'? classification codes: water, water.leak"


def test_a_code_used_without_a_tree_asks_to_define_it(tmp_path: Path, sounds: Path) -> None:
    tree = ("classifications:\n  - code: water\n    label: Water\n    children:\n"
            "      - {code: water.leak, label: Leak}\n")
    text = CLEAN.replace(tree, "")

    problem = only(check(tmp_path, text, sounds).errors, "nodes.main.options.2.classification")

    assert problem.hint == "there are no classification codes yet: define 'water.leak' first"


def test_a_classify_node_with_an_unknown_code_is_an_error(tmp_path: Path, sounds: Path) -> None:
    text = CLEAN.replace("    action: voicemail", "    action: classify\n"
                         "    classification: fire\n    next: main")

    problem = only(check(tmp_path, text, sounds).errors, "nodes.closed.classification")

    assert problem.line == line_with(text, "classification: fire")


def test_a_code_twice_in_the_tree_is_an_error_even_among_children(tmp_path: Path,
                                                                  sounds: Path) -> None:
    text = CLEAN.replace("classifications:\n", "classifications:\n"
                         "  - {code: water.leak, label: Leaks}\n")

    problem = only(check(tmp_path, text, sounds).errors, "classifications.1.children.0.code")

    assert problem.line == line_with(text, "{code: water.leak, label: Leak}")
    assert problem.message == ("duplicate classification code 'water.leak' (also on line "
                               f"{line_with(text, 'label: Leaks')})")
    assert problem.hint == "give each classification its own code"


def test_back_on_an_entry_menu_nothing_else_leads_to_is_a_warning(tmp_path: Path,
                                                                 sounds: Path) -> None:
    text = CLEAN.replace('"2": {action: queue', '"0": {action: back}\n'
                         '      "3": {action: menu, target: main}\n      "2": {action: queue')

    report = check(tmp_path, text, sounds)  # main leading to itself is no other menu

    problem = only(report.warnings, "nodes.main.options.0")
    assert problem.line == line_with(text, '"0": {action: back}')
    assert problem.hint == "use {action: repeat}, or remove it"
    assert [p.key_path for p in report.warnings] == ["nodes.main.options.0"]  # not sub's back


def test_back_on_an_entry_menu_that_a_menu_leads_back_to_is_fine(tmp_path: Path,
                                                                sounds: Path) -> None:
    text = CLEAN.replace('"2": {action: queue', '"0": {action: back}\n      "2": {action: queue'
                         ).replace('"1": {action: hangup}', '"1": {action: menu, target: main}')

    assert check(tmp_path, text, sounds).warnings == []


def test_a_missing_sound_is_an_error_naming_its_languages(tmp_path: Path, sounds: Path) -> None:
    text = CLEAN.replace("prompt: [{sound: hello}]\n    options:\n      \"1\": {action: hangup}",
                         "prompt: [{sound: hello}, {sound: vm-nobodyavail}]\n    options:\n"
                         "      \"1\": {action: hangup}")

    problem = only(check(tmp_path, text, sounds).errors, "nodes.sub.prompt.1.sound")

    assert problem.line == line_with(text, "vm-nobodyavail")
    assert problem.message == f"no sound 'vm-nobodyavail' for it, en in {sounds}"
    assert problem.hint is not None and "SOUNDS_DIR/LANGUAGE/" in problem.hint


def test_a_per_language_prompt_sound_is_looked_up_in_its_language_only(tmp_path: Path,
                                                                       sounds: Path) -> None:
    touch(sounds / "it" / "ciao.wav")
    text = CLEAN.replace("  closed:\n    action: voicemail\n",
                         "  closed:\n    action: voicemail\n    prompt:\n"
                         "      it: [{sound: ciao}]\n      en: [{sound: addio}]\n")

    problem = only(check(tmp_path, text, sounds).errors, "nodes.closed.prompt.en.0.sound")

    assert problem.line == line_with(text, "addio")
    assert problem.message == f"no sound 'addio' for en in {sounds}"


def test_sounds_unchecked_without_a_sounds_dir_is_one_warning_saying_how(tmp_path: Path) -> None:
    report = check(tmp_path, CLEAN.replace("{sound: hello}", "{sound: nowhere}"), None)

    assert report.errors == []
    [problem] = report.warnings
    assert problem.message == "sound files were not checked: no sounds directory"
    assert problem.hint is not None
    assert "ivr.sounds_dir" in problem.hint and "centralino sandbox up" in problem.hint


def test_a_file_prompt_is_found_relative_to_the_menu_file(tmp_path: Path, sounds: Path) -> None:
    touch(tmp_path / "audio" / "closed.wav")
    text = CLEAN.replace("    action: voicemail\n", "    action: voicemail\n"
                         "    prompt: [{file: audio/closed.wav}, {file: audio/gone.wav}]\n")

    report = check(tmp_path, text, sounds)

    assert [p.key_path for p in report.errors] == ["nodes.closed.prompt.1.file"]
    assert report.errors[0].line == line_with(text, "audio/gone.wav")
    assert report.errors[0].hint == f"paths are relative to the menu file's folder ({tmp_path})"


def test_a_per_language_prompt_without_a_language_is_a_warning(tmp_path: Path,
                                                               sounds: Path) -> None:
    text = CLEAN.replace("  main:\n    prompt: [{sound: hello}]",
                         "  main:\n    prompt:\n      it: [{sound: hello}]")

    report = check(tmp_path, text, sounds)

    problem = only(report.warnings, "nodes.main.prompt")
    assert report.errors == []
    assert problem.line == line_with(text, "  main:") + 1
    assert problem.message == "no prompt in en: those callers hear the 'it' one"
    assert problem.hint == "add en: [...] to this prompt"


def test_a_per_language_prompt_without_the_first_language_is_an_error(tmp_path: Path,
                                                                     sounds: Path) -> None:
    text = CLEAN.replace("  main:\n    prompt: [{sound: hello}]",
                         "  main:\n    prompt:\n      en: [{sound: hello}]")

    problem = only(check(tmp_path, text, sounds).errors, "nodes.main.prompt")

    assert problem.hint == "add it: [...] to this prompt"


def test_a_prompt_in_a_language_the_menu_lacks_is_a_warning_and_not_looked_up(
        tmp_path: Path, sounds: Path) -> None:
    text = CLEAN.replace("  main:\n    prompt: [{sound: hello}]",
                         "  main:\n    prompt:\n      it: [{sound: hello}]\n"
                         "      en: [{sound: hello}]\n      fr: [{sound: bonjour}]")

    report = check(tmp_path, text, sounds)

    problem = only(report.warnings, "nodes.main.prompt.fr")
    assert report.errors == []
    assert problem.line == line_with(text, "bonjour")
    assert problem.hint == "add fr to languages, or remove this prompt"


def test_ticket_status_without_a_known_status_is_a_warning(tmp_path: Path, sounds: Path) -> None:
    text = CLEAN.replace('"2": {action: queue, classification: water.leak}',
                         '"2": {action: menu, target: status}')
    text += ("  status:\n    action: ticket_status\n    prompt: [{tts: Key your code}]\n"
             "    not_found: [{tts: Not found}]\n    statuses:\n"
             "      resolved: [{tts: Resolved}]\n")

    report = check(tmp_path, text, sounds)

    problem = only(report.warnings, "nodes.status.statuses")
    assert report.errors == []
    assert problem.line == line_with(text, "statuses:")
    assert "new" in problem.message
    assert problem.hint == "add new: [...] to statuses"


def test_a_language_action_to_a_language_the_menu_lacks_is_an_error(tmp_path: Path,
                                                                    sounds: Path) -> None:
    text = CLEAN.replace('"2": {action: queue', '"9": {action: language, language: fr}\n'
                         '      "2": {action: queue')

    problem = only(check(tmp_path, text, sounds).errors, "nodes.main.options.9.language")

    assert problem.line == line_with(text, "language: fr")
    assert problem.hint == "add fr to languages, or choose one of them"


def test_a_file_the_schema_refuses_is_reported_as_errors_with_lines(tmp_path: Path,
                                                                   sounds: Path) -> None:
    text = CLEAN.replace("action: hangup", "action: hang_up")

    report = check(tmp_path, text, sounds)

    assert [p.key_path for p in report.errors] == ["nodes.sub.options.1"]
    assert report.errors[0].line == line_with(text, "hang_up")
    assert report.nodes == 0


# -- the command -----------------------------------------------------------------------------


def run(tmp_path: Path, *args: str, settings_text: str = "ivr:\n  menu_file: menu.yaml\n"
        "  sounds_dir: sounds\n") -> Result:
    """``config check`` with the settings (by default, sounds in ``tmp_path/sounds``)."""
    settings = tmp_path / "settings.yaml"
    settings.write_text(f"version: 1\n{settings_text}", encoding="utf-8")
    return CliRunner().invoke(app, ["check", *args],
                              env={"CENTRALINO_CONFIG": str(settings), "COLUMNS": "500"})


def test_cli_says_ok_and_exits_0_for_a_clean_menu(tmp_path: Path, sounds: Path) -> None:
    result = run(tmp_path, str(write(tmp_path, CLEAN)))

    assert result.exit_code == 0, result.output
    assert result.stdout == "menu OK: 3 nodes, 0 warnings\n"


def test_cli_prints_one_line_per_problem_and_exits_2(tmp_path: Path, sounds: Path) -> None:
    text = CLEAN.replace("target: sub", "target: sbu")
    path = write(tmp_path, text)

    result = run(tmp_path, str(path))

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error {path}:{line_with(text, 'sbu')}: nodes.main.options.1.target: no node named "
        "'sbu' (fix: did you mean 'sub'? nodes: closed, main, sub)",
        f"warning {path}:{line_with(text, '  sub:')}: nodes.sub: unreachable: no entry, option, "
        "after_retries or next leads here (fix: lead here from a menu option ({action: menu, "
        "target: sub}) or remove the node)",
        "1 error, 1 warning",
    ]


def test_cli_checks_the_menu_file_of_a_settings_file(tmp_path: Path, sounds: Path) -> None:
    write(tmp_path, CLEAN.replace("{sound: hello}", "{sound: nowhere}"))

    result = run(tmp_path, str(tmp_path / "settings.yaml"))

    assert result.exit_code == 2
    assert "nodes.main.prompt.0.sound: no sound 'nowhere'" in result.stderr


def test_cli_without_a_file_checks_the_effective_configuration(tmp_path: Path,
                                                               sounds: Path) -> None:
    write(tmp_path, CLEAN)

    result = run(tmp_path)

    assert result.exit_code == 0, result.output
    assert result.stdout == "menu OK: 3 nodes, 0 warnings\n"


@pytest.mark.parametrize("sounds_dir", ["", "usr/share/asterisk/sounds"])
def test_cli_looks_sounds_up_inside_the_sandbox_root(tmp_path: Path, sounds_dir: str) -> None:
    root = tmp_path / "rootfs"
    for name in ("hello", "goodbye", "pm-invalid-option"):
        touch(root / "voice" / f"{name}.wav")
    (root / "usr/share/asterisk/sounds").mkdir(parents=True)
    (root / "usr/share/asterisk/sounds/en").symlink_to("/voice")  # absolute, as in Debian
    path = write(tmp_path, CLEAN)

    settings = f"sandbox:\n  root: {root}\n"  # ivr.sounds_dir unset, or set inside the root
    if sounds_dir:
        settings += f"ivr:\n  sounds_dir: {root / sounds_dir}\n"

    result = run(tmp_path, str(path), settings_text=settings)

    assert result.exit_code == 0, result.output
    assert result.stdout == "menu OK: 3 nodes, 0 warnings\n"


def test_cli_without_any_sounds_directory_warns_and_exits_0(tmp_path: Path) -> None:
    path = write(tmp_path, CLEAN)

    result = run(tmp_path, str(path), settings_text=f"sandbox:\n  root: {tmp_path / 'none'}\n")

    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"warning {path}: (top level): sound files were not checked")
    assert result.stdout == "menu OK: 3 nodes, 1 warning\n"


def test_cli_reports_the_settings_file_own_errors(tmp_path: Path) -> None:
    settings = tmp_path / "other.yaml"
    settings.write_text("version: 1\nivr:\n  menu_fil: menu.yaml\n", encoding="utf-8")

    result = run(tmp_path, str(settings))

    assert result.exit_code == 2
    assert result.stderr.startswith(f"error {settings}:3: ivr.menu_fil: unknown key")


def test_cli_json_lists_every_problem_with_its_fields(tmp_path: Path, sounds: Path) -> None:
    text = CLEAN.replace("classification: water.leak", "classification: water.leek")
    path = write(tmp_path, text)

    result = run(tmp_path, "--json", str(path))

    assert result.exit_code == 2
    assert json.loads(result.stdout) == {"ok": False, "warnings": [], "errors": [{
        "file": str(path), "line": line_with(text, "water.leek"),
        "key_path": "nodes.main.options.2.classification",
        "message": "unknown classification code 'water.leek'",
        "hint": "did you mean 'water.leak'? classification codes: water, water.leak",
    }]}


def test_cli_json_of_a_clean_menu_is_ok(tmp_path: Path, sounds: Path) -> None:
    result = run(tmp_path, "--json", str(write(tmp_path, CLEAN)))

    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"ok": True, "errors": [], "warnings": []}


# -- the shipped menu ------------------------------------------------------------------------


@pytest.mark.skipif(not SHIPPED_MENU.is_file(), reason=f"no shipped menu at {SHIPPED_MENU}")
@pytest.mark.skipif(not SANDBOX_SOUNDS.is_dir(), reason=f"no sandbox sounds at {SANDBOX_SOUNDS}")
def test_the_shipped_menu_has_no_errors_against_the_sandbox_sounds() -> None:
    report = check_menu(SHIPPED_MENU, SANDBOX_SOUNDS, sounds_root=SANDBOX_ROOT)

    assert report.errors == [], "\n".join(str(p) for p in report.errors)
