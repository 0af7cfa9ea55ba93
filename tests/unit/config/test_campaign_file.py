"""The campaign file: three required keys, prudent defaults, every problem with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.campaign import CampaignFile
from config.loader import ConfigError, load_yaml_model


def campaign(tmp_path: Path, text: str) -> CampaignFile:
    path = tmp_path / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    return load_yaml_model(path, CampaignFile)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as refused:
        campaign(tmp_path, text)
    return [str(problem) for problem in refused.value.problems]


def test_a_campaign_needs_only_a_name_and_a_script(tmp_path: Path) -> None:
    file = campaign(tmp_path, "version: 1\nname: Guasti risolti\nscript: fault_check\n")

    assert (file.ring_seconds, file.machine, file.max_attempts) == (25, "leave_message", 5)
    assert file.window.weekly == {**{day: ["09:00-20:00"] for day in
                                     ("mon", "tue", "wed", "thu", "fri")},
                                  "sat": ["10:00-19:00"]}  # never on Sundays
    assert file.window.holidays_country == "IT"
    assert (file.retries.busy.after_minutes, file.retries.busy.max) == (30, 3)


def test_a_ladder_and_every_setting_are_read(tmp_path: Path) -> None:
    file = campaign(tmp_path, """\
version: 1
name: Solleciti
script: payment_reminder
pacing: {max_channels: 8, calls_per_second: 2}
retries: {no_answer: {after_minutes: 60, max: 2}}
stages:
  - {script: payment_reminder, after_days: 0}
  - {script: payment_reminder_final, after_days: 7}
machine: hang_up
caller_id: "+39800100100"
start_at: 2027-01-10T09:00:00+01:00
end_at: 2027-02-10T09:00:00+01:00
""")

    assert [(stage.script, stage.after_days) for stage in file.stages] == [
        ("payment_reminder", 0), ("payment_reminder_final", 7)]
    assert (file.pacing.max_channels, file.retries.no_answer.max) == (8, 2)


def test_a_phone_rung_less_than_15_seconds_is_refused_with_its_line(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "version: 1\nname: x\nscript: s\nring_seconds: 10\n")

    assert problem.startswith(f"{tmp_path / 'campaign.yaml'}:4: ring_seconds: ")
    assert "greater than or equal to 15" in problem


def test_missing_keys_and_a_misspelt_one_are_all_named(tmp_path: Path) -> None:
    found = problems(tmp_path, "version: 1\nname: x\nmax_atempts: 3\n")

    assert any(problem.endswith("script: required value is missing") for problem in found)
    assert any("max_atempts: unknown key (did you mean 'max_attempts'?)" in problem
               for problem in found)


def test_a_campaign_that_ends_before_it_starts_is_refused(tmp_path: Path) -> None:
    found = problems(tmp_path, "version: 1\nname: x\nscript: s\n"
                               "start_at: 2027-02-01T09:00:00+01:00\n"
                               "end_at: 2027-01-01T09:00:00+01:00\n")

    assert any("end_at is not after start_at" in problem for problem in found)


def test_times_without_a_zone_are_refused(tmp_path: Path) -> None:
    found = problems(tmp_path, "version: 1\nname: x\nscript: s\nstart_at: 2027-02-01T09:00:00\n")

    assert any("start_at" in problem and "timezone" in problem for problem in found)
