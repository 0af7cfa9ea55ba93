"""Campaigns made from their files and lists: the file checked with its lines, each stage's
script resolved (a shipped name or a path next to the file), a list taken all or nothing, and
a campaign whose script went bad since refused at start, naming it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import outbound
from config.loader import ConfigError, ConfigProblem
from outbound.campaigns import (
    ScriptsRefused,
    change_campaign,
    create_campaign,
    import_list,
    read_campaign_file,
    resolve_script,
    script_resolver,
)
from outbound.lists import ListRefused
from outbound.progress import campaign_status
from outbound.store import get_campaign

from .campaigns import NOW

Sessions = async_sessionmaker[AsyncSession]


SHIPPED = Path(outbound.__file__).with_name("scripts")


def own_script(folder: Path, name: str = "mine.yaml") -> Path:
    """A script of the campaign's own, beside its file: a copy of the shipped fault check."""
    path = folder / name
    shutil.copy(SHIPPED / "fault_check.yaml", path)
    return path


def campaign_file(folder: Path, text: str, name: str = "campaign.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_shipped_name_and_a_path_next_to_the_file_are_resolved(tmp_path: Path) -> None:
    own_script(tmp_path)
    path = campaign_file(tmp_path, "version: 1\nname: ladder\nscript: payment_reminder\n"
                                   "stages:\n  - script: mine.yaml\n    after_days: 7\n")
    draft = read_campaign_file(path)
    assert draft.scripts == ["payment_reminder", str(tmp_path / "mine.yaml")]
    assert draft.file.name == "ladder" and draft.text == path.read_text(encoding="utf-8")


def test_an_unknown_script_is_named_with_its_key_and_line(tmp_path: Path) -> None:
    path = campaign_file(tmp_path, "version: 1\nname: ladder\nscript: payment_reminder\n"
                                   "stages:\n  - script: reminder2\n    after_days: 7\n")
    with pytest.raises(ConfigError) as refused:
        read_campaign_file(path)
    [problem] = refused.value.problems
    assert (problem.file, problem.key_path, problem.line) == (str(path), "stages.0.script", 5)
    assert "no script 'reminder2'" in problem.message
    assert "fault_check, payment_reminder, provisioning_notice, survey" in problem.message


def test_the_files_own_problems_come_with_their_lines(tmp_path: Path) -> None:
    path = campaign_file(tmp_path, "version: 1\nname: x\nscript: survey\nring_seconds: 5\n"
                                   "machine: shout\n")
    with pytest.raises(ConfigError) as refused:
        read_campaign_file(path)
    assert [(p.key_path, p.line) for p in refused.value.problems] == [
        ("ring_seconds", 4), ("machine", 5)]


def test_a_resolvers_own_problems_are_kept_as_it_gave_them(tmp_path: Path) -> None:
    def strict(script: str, base: Path) -> str:
        raise ConfigError([ConfigProblem("scripts/x.yaml", "nodes.main", 3, "bad prompt")])

    path = campaign_file(tmp_path, "version: 1\nname: x\nscript: x\n")
    with pytest.raises(ConfigError) as refused:
        read_campaign_file(path, strict)
    assert [str(p) for p in refused.value.problems] == [
        "scripts/x.yaml:3: nodes.main: bad prompt"]


def test_a_script_with_errors_is_refused_with_its_own_lines(tmp_path: Path) -> None:
    script = own_script(tmp_path)
    script.write_text(script.read_text(encoding="utf-8").replace("target: opt_out",
                                                                 "target: opt_uot"))
    path = campaign_file(tmp_path, "version: 1\nname: x\nscript: mine.yaml\n")
    with pytest.raises(ConfigError) as refused:
        read_campaign_file(path)
    [problem] = refused.value.problems
    assert (problem.file, problem.key_path) == (str(script), "nodes.ask.options.9.target")
    assert problem.line is not None and "opt_uot" in problem.message


def test_where_asterisks_sounds_are_known_a_script_needing_a_missing_one_is_refused(
        tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    (sounds / "it").mkdir(parents=True)  # Asterisk's sounds, but none of the digits
    assert resolve_script("payment_reminder", tmp_path) == "payment_reminder"
    with pytest.raises(ConfigError) as refused:
        script_resolver((sounds, None))("payment_reminder", tmp_path)
    assert any("digits/" in str(problem) for problem in refused.value.problems)


def test_a_directory_or_a_missing_file_is_no_script(tmp_path: Path) -> None:
    (tmp_path / "folder.yaml").mkdir()
    for script in ("folder.yaml", "missing.yaml", "nowhere"):
        with pytest.raises(ConfigError):
            resolve_script(script, tmp_path)


async def test_a_script_broken_since_keeps_the_campaign_from_starting(
    tmp_path: Path, sqlite_sessions: Sessions,
) -> None:
    script = own_script(tmp_path, "fault.yaml")
    draft = read_campaign_file(campaign_file(tmp_path, f"version: 1\nname: f\nscript: "
                                                       f"{script}\n"))
    text = script.read_text(encoding="utf-8")
    script.unlink()
    async with sqlite_sessions() as session:
        campaign = await create_campaign(session, draft, now=NOW, created_by="maria")
        with pytest.raises(ScriptsRefused) as refused:
            await change_campaign(session, campaign.id, "start", now=NOW)
        assert (await get_campaign(session, campaign.id)).state == "draft"
        assert refused.value.problems[0].file == str(script)
        assert str(script) in str(refused.value)
        script.write_text(text, encoding="utf-8")
        started = (await change_campaign(session, campaign.id, "start", now=NOW)).state
        script.unlink()
        paused = (await change_campaign(session, campaign.id, "pause", now=NOW)).state
        with pytest.raises(ScriptsRefused):
            await change_campaign(session, campaign.id, "resume", now=NOW)
    assert (started, paused, campaign.created_by) == ("running", "paused", "maria")  # pause:
    # unchecked


async def test_an_unknown_action_is_refused(tmp_path: Path, sqlite_sessions: Sessions
                                           ) -> None:
    draft = read_campaign_file(campaign_file(tmp_path, "version: 1\nname: f\nscript: survey\n"))
    async with sqlite_sessions() as session:
        campaign = await create_campaign(session, draft, now=NOW)
        with pytest.raises(ValueError, match="start, pause, resume, stop"):
            await change_campaign(session, campaign.id, "explode", now=NOW)


async def test_a_list_is_checked_against_the_script_and_imported_all_or_nothing(
    tmp_path: Path, sqlite_sessions: Sessions,
) -> None:
    draft = read_campaign_file(campaign_file(tmp_path, "version: 1\nname: f\n"
                                                       "script: payment_reminder\n"))
    bad = tmp_path / "bad.csv"
    bad.write_text("phone;language;amount_due;due_date\n3331234567;en;10;31/12/2026\n"
                   "12;it;3;31/12/2026\n3337654321;de;4;31/12/2026\n", encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text("phone;language;amount_due;due_date\n3331234567;en;10;31/12/2026\n"
                    "+39 333 123 4567;it;3;2026-12-31\n", encoding="utf-8")
    no_dates = tmp_path / "no_dates.csv"
    no_dates.write_text("phone;amount_due\n3331234567;10\n", encoding="utf-8")
    async with sqlite_sessions() as session:
        campaign = await create_campaign(session, draft, now=NOW)
        with pytest.raises(ListRefused) as refused:
            await import_list(session, campaign.id, bad, now=NOW)
        with pytest.raises(ListRefused) as missing:
            await import_list(session, campaign.id, no_dates, now=NOW)
        untouched = await campaign_status(session, campaign.id, NOW)
        counts = await import_list(session, campaign.id, good, now=NOW)
        imported = await campaign_status(session, campaign.id, NOW)
    assert [str(p) for p in refused.value.problems] == [
        "line 3, column phone: not a phone number: '12'",
        "line 4, column language: 'de' is not one of the script's (it, en)"]
    assert [str(p) for p in missing.value.problems] == [
        "line 1, column due_date: no 'due_date' column: the script says it (a date)"]
    assert untouched["contacts"] == 0
    assert (counts.imported, counts.merged, imported["contacts"]) == (1, 1, 1)


async def test_a_date_the_script_cannot_say_refuses_the_list(
    tmp_path: Path, sqlite_sessions: Sessions,
) -> None:
    draft = read_campaign_file(campaign_file(tmp_path, "version: 1\nname: f\n"
                                                       "script: payment_reminder\n"))
    bad = tmp_path / "bad.csv"
    bad.write_text("phone;amount_due;due_date\n3331234567;10;31/12/2026\n"
                   "3331111111;4;31/13/2026\n", encoding="utf-8")
    async with sqlite_sessions() as session:
        campaign = await create_campaign(session, draft, now=NOW)
        with pytest.raises(ListRefused) as refused:
            await import_list(session, campaign.id, bad, now=NOW)
        assert (await campaign_status(session, campaign.id, NOW))["contacts"] == 0
    [problem] = refused.value.problems
    assert (problem.line, problem.column) == (3, "due_date")


async def test_a_campaign_whose_script_broke_takes_no_list(
    tmp_path: Path, sqlite_sessions: Sessions,
) -> None:
    script = own_script(tmp_path)
    draft = read_campaign_file(campaign_file(tmp_path, "version: 1\nname: f\n"
                                                       "script: mine.yaml\n"))
    script.unlink()
    good = tmp_path / "good.csv"
    good.write_text("phone\n3331234567\n", encoding="utf-8")
    async with sqlite_sessions() as session:
        campaign = await create_campaign(session, draft, now=NOW)
        with pytest.raises(ScriptsRefused):
            await import_list(session, campaign.id, good, now=NOW)
