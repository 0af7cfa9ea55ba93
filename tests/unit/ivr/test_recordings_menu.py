"""The voicemail action's limits and the greetings by situation, in the menu file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from config.menu import Defaults, SoundPrompt, TtsPrompt, Voicemail
from ivr.check import check_menu


def test_a_voicemail_action_has_sensible_limits_by_default() -> None:
    action = Voicemail(action="voicemail")

    assert (action.max_seconds, action.max_silence_seconds, action.min_seconds) == (120, 5, 3.0)


def test_a_minimum_not_below_the_maximum_is_refused_with_both_values() -> None:
    with pytest.raises(ValidationError, match=r"min_seconds \(10\) must be less than "
                                              r"max_seconds \(10\)"):
        Voicemail(action="voicemail", max_seconds=10, min_seconds=10)


@pytest.mark.parametrize("limits", [{"max_silence_seconds": 0}, {"min_seconds": -1},
                                    {"max_seconds": 4}])
def test_limits_out_of_range_are_refused(limits: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Voicemail.model_validate({"action": "voicemail", **limits})


def test_greetings_are_given_per_situation_and_per_language() -> None:
    defaults = Defaults.model_validate({"voicemail_greetings": {
        "busy": {"it": [{"tts": "Operatori occupati."}], "en": [{"tts": "All busy."}]},
        "choice": [{"sound": "vm-intro"}]}})

    greetings = defaults.voicemail_greetings
    assert greetings.busy == {"it": [TtsPrompt(tts="Operatori occupati.")],
                              "en": [TtsPrompt(tts="All busy.")]}
    assert greetings.choice == [SoundPrompt(sound="vm-intro")]
    assert greetings.closed is None and greetings.holiday is None


def test_an_unknown_situation_is_refused() -> None:
    with pytest.raises(ValidationError, match="lunch"):
        Defaults.model_validate({"voicemail_greetings": {"lunch": [{"sound": "vm-intro"}]}})


def test_config_check_reports_a_greeting_whose_file_is_missing_with_its_key_path(
        tmp_path: Path) -> None:
    menu = tmp_path / "menu.yaml"
    menu.write_text("""\
version: 1
languages: [it, en]
defaults:
  voicemail_greetings:
    busy: [{file: greetings/busy.wav}]
entry: {open: message, closed: message}
nodes:
  message: {action: voicemail}
""", encoding="utf-8")

    report = check_menu(menu, None)

    assert [(p.key_path, p.line) for p in report.errors] == [
        ("defaults.voicemail_greetings.busy.0.file", 5)]
