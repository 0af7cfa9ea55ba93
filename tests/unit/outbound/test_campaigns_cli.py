"""``centralino campaigns``: the issue's interface for scripts. ``create`` and ``import`` with
their JSON and exit codes (a bad row: exit 2, one ``line N, column C:`` line per problem,
nothing imported), the state moves, ``status``, ``results`` (JSON, CSV, XLSX), ``mark`` and
``watch``; and ``centralino config check`` taking a campaign file."""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner, Result

import outbound
from centralino.app.config_cli import app as config_app
from outbound.cli import app
from outbound.models import CampaignContact
from outbound.rules import Budget
from outbound.script_files import script_path
from outbound.store import AttemptReport, change_state, claim_attempts, finish_attempt, get_campaign
from outbound.terms import Disposition
from tests.conftest import sqlite_url

Sessions = async_sessionmaker[AsyncSession]
A, B = "+393331234567", "+393337654321"


async def campaigns(tmp_path: Path, *args: str) -> Result:
    """``centralino campaigns ARGS`` on the test's SQLite database, in a thread (it runs its
    own loop, as from a shell)."""
    return await asyncio.to_thread(
        CliRunner().invoke, app, list(args),
        env={"CENTRALINO_DATABASE_URL": sqlite_url(tmp_path), "COLUMNS": "200"})


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A campaign file ``campaign.yaml`` whose script ``fault.yaml`` is beside it, a good list
    and a bad one."""
    shutil.copy(Path(outbound.__file__).with_name("scripts") / "fault_check.yaml",
                tmp_path / "fault.yaml")
    (tmp_path / "campaign.yaml").write_text("version: 1\nname: Guasti\nscript: fault.yaml\n",
                                            encoding="utf-8")
    (tmp_path / "good.csv").write_text(
        "phone,ticket,amount\n333 123 4567,,10\n3337654321,,12\n+393331234567,,10\n",
        encoding="utf-8")
    (tmp_path / "bad.csv").write_text(
        "phone;language\n3331234567;it\n33;it\n\n3337654321;fr\n", encoding="utf-8")
    return tmp_path


async def created(tmp_path: Path) -> int:
    result = await campaigns(tmp_path, "create", str(tmp_path / "campaign.yaml"), "--json")
    assert result.exit_code == 0, result.output
    return int(json.loads(result.stdout)["id"])


async def test_create_prints_the_new_campaigns_id(files: Path, sqlite_sessions: Sessions
                                                  ) -> None:
    result = await campaigns(files, "create", str(files / "campaign.yaml"), "--json",
                             "--by", "maria")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert {k: answer[k] for k in ("name", "state", "scripts", "created_by")} == {
        "name": "Guasti", "state": "draft", "scripts": [str(files / "fault.yaml")],
        "created_by": "maria"}
    async with sqlite_sessions() as session:
        assert (await get_campaign(session, answer["id"])).name == "Guasti"


async def test_a_bad_campaign_file_is_every_problem_with_its_line_and_exit_2(
    files: Path, sqlite_sessions: Sessions,
) -> None:
    bad = files / "bad.yaml"
    bad.write_text("version: 1\nname: x\nscript: nowhere\nring_seconds: 3\n", encoding="utf-8")
    result = await campaigns(files, "create", str(bad))
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"config error {bad}:4: ring_seconds:")
    bad.write_text("version: 1\nname: x\nscript: nowhere\n", encoding="utf-8")
    result = await campaigns(files, "create", str(bad))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"config error {bad}:3: script: no script 'nowhere'")
    assert (await campaigns(files, "list", "--json")).stdout.strip() == "[]"


async def test_import_prints_the_counts(files: Path, sqlite_sessions: Sessions) -> None:
    campaign_id = await created(files)
    result = await campaigns(files, "import", str(campaign_id), str(files / "good.csv"),
                             "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"imported": 2, "merged": 1, "errors": []}
    again = await campaigns(files, "import", str(campaign_id), str(files / "good.csv"))
    assert again.stdout == "0 contacts imported, 3 merged\n"


async def test_contacts_added_later_expire_when_told(files: Path, sqlite_sessions: Sessions
                                                     ) -> None:
    campaign_id = await created(files)
    result = await campaigns(files, "import", str(campaign_id), str(files / "good.csv"),
                             "--expire-days", "5")
    assert result.exit_code == 0, result.output
    async with sqlite_sessions() as session:
        expiries = (await session.scalars(select(CampaignContact.expires_at))).all()
    assert expiries and all(
        timedelta(days=5) - timedelta(minutes=5) < expiry.replace(tzinfo=UTC) - _now()
        <= timedelta(days=5) for expiry in expiries)
    refused = await campaigns(files, "import", str(campaign_id), str(files / "good.csv"),
                              "--expire-days", "0")
    assert refused.exit_code == 2


async def test_a_bad_row_is_one_line_per_problem_exit_2_and_nothing_imported(
    files: Path, sqlite_sessions: Sessions,
) -> None:
    campaign_id = await created(files)
    result = await campaigns(files, "import", str(campaign_id), str(files / "bad.csv"))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "line 3, column phone: not a phone number: '33'",
        "line 5, column language: 'fr' is not one of the script's (it, en)"]
    as_json = await campaigns(files, "import", str(campaign_id), str(files / "bad.csv"),
                              "--json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["errors"] == result.stderr.splitlines()
    status = json.loads((await campaigns(files, "status", str(campaign_id), "--json")).stdout)
    assert status["contacts"] == 0


async def test_the_state_moves_and_a_refused_one(files: Path, sqlite_sessions: Sessions
                                                 ) -> None:
    campaign_id = await created(files)
    resume = await campaigns(files, "resume", str(campaign_id))
    assert resume.exit_code == 1
    assert f"campaign {campaign_id} is draft: cannot resume it" in resume.stderr
    outputs = []
    for action in ("start", "pause", "resume", "stop"):
        result = await campaigns(files, action, str(campaign_id))
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout.strip())
    assert outputs == [f"campaign {campaign_id}: {state}"
                       for state in ("running", "paused", "running", "stopped")]
    missing = await campaigns(files, "start", "999")
    assert (missing.exit_code, "no campaign 999" in missing.stderr) == (1, True)


async def test_a_script_with_errors_keeps_the_campaign_from_starting(
    files: Path, sqlite_sessions: Sessions,
) -> None:
    campaign_id = await created(files)
    (files / "fault.yaml").unlink()
    result = await campaigns(files, "start", str(campaign_id))
    assert result.exit_code == 1
    assert f"config error {files / 'fault.yaml'}" in result.stderr
    assert "its scripts have errors" in result.stderr
    status = json.loads((await campaigns(files, "status", str(campaign_id), "--json")).stdout)
    assert status["state"] == "draft"


async def dialled(sessions: Sessions, campaign_id: int) -> None:
    """Both contacts dialled: A answered and pressed 1, B busy."""
    async with sessions() as session:
        claims = {c.phone: c.attempt_id for c in await claim_attempts(
            session, campaign_id, engine="e1", now=_now(), limit=5, budget=Budget())}
        await finish_attempt(session, claims[A], AttemptReport(
            Disposition.HUMAN, amd_status="HUMAN", keys="1", outcome="works",
            survey={"courtesy": 4}), now=_now())
        await finish_attempt(session, claims[B], AttemptReport(Disposition.BUSY), now=_now())


def _now() -> datetime:
    return datetime.now(UTC)


async def running_with_calls(files: Path, sessions: Sessions) -> int:
    campaign_id = await created(files)
    await campaigns(files, "import", str(campaign_id), str(files / "good.csv"))
    await campaigns(files, "start", str(campaign_id))
    await dialled(sessions, campaign_id)
    return campaign_id


async def test_status_has_the_interfaces_fields(files: Path, sqlite_sessions: Sessions) -> None:
    campaign_id = await running_with_calls(files, sqlite_sessions)
    result = await campaigns(files, "status", str(campaign_id), "--json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    assert {k: status[k] for k in ("id", "name", "state", "contacts", "attempts", "answered",
                                   "completed", "remaining", "outcomes")} == {
        "id": campaign_id, "name": "Guasti", "state": "running", "contacts": 2,
        "attempts": 2, "answered": 1, "completed": 1, "remaining": 1,
        "outcomes": {"works": 1}}
    assert status["estimated_end"] is not None  # running, with recent attempts
    table = await campaigns(files, "status", str(campaign_id))
    assert "Guasti" in table.stdout and "remaining" in table.stdout
    listed = json.loads((await campaigns(files, "list", "--json")).stdout)
    assert [(c["id"], c["dialled"]) for c in listed] == [(campaign_id, 2)]


async def test_results_as_json_csv_and_xlsx(files: Path, sqlite_sessions: Sessions) -> None:
    campaign_id = await running_with_calls(files, sqlite_sessions)
    result = await campaigns(files, "results", str(campaign_id), "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["phone"], r["ticket"], r["status"], r["outcome"]) for r in rows] == [
        (A, None, "done", "works"), (B, None, "pending", None)]
    [attempt] = rows[0]["attempts"]
    assert {k: attempt[k] for k in ("disposition", "amd", "keys", "outcome")} == {
        "disposition": "human", "amd": "HUMAN", "keys": "1", "outcome": "works"}
    assert "started_at" in attempt

    exported = await campaigns(files, "results", str(campaign_id), "--csv",
                               str(files / "r.csv"), "--xlsx", str(files / "r.xlsx"))
    assert exported.exit_code == 0, exported.output
    with (files / "r.csv").open(encoding="utf-8", newline="") as text:
        table = list(csv.DictReader(text))
    assert [(r["phone"], r["status"], r["attempts"], r["last_disposition"], r["survey"])
            for r in table] == [(A, "done", "1", "human", "courtesy=4"),
                                (B, "pending", "1", "busy", "")]
    sheet = load_workbook(files / "r.xlsx", read_only=True).worksheets[0]
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert cells[0][:4] == ["phone", "ticket", "language", "status"]
    assert (cells[1][0], cells[1][3], cells[1][6], cells[2][8]) == (A, "done", 1, "busy")
    assert sheet.title == "Guasti"


async def test_mark_takes_a_contact_out_and_refuses_strangers(
    files: Path, sqlite_sessions: Sessions,
) -> None:
    campaign_id = await created(files)
    await campaigns(files, "import", str(campaign_id), str(files / "good.csv"))
    marked = await campaigns(files, "mark", str(campaign_id), "333 765 4321",
                             "--outcome", "paid")
    assert (marked.exit_code, marked.stdout) == (0, f"{B}: done (paid)\n")
    stranger = await campaigns(files, "mark", str(campaign_id), "3330000000", "--outcome", "x")
    assert stranger.exit_code == 1 and "has no contact +393330000000" in stranger.stderr
    garbage = await campaigns(files, "mark", str(campaign_id), "abc", "--outcome", "x")
    assert garbage.exit_code == 2
    status = json.loads((await campaigns(files, "status", str(campaign_id), "--json")).stdout)
    assert (status["outcomes"], status["remaining"]) == ({"paid": 1}, 1)


async def test_watch_ends_when_the_campaign_is_stopped(files: Path, sqlite_sessions: Sessions
                                                      ) -> None:
    campaign_id = await running_with_calls(files, sqlite_sessions)
    watching = asyncio.create_task(campaigns(files, "watch", str(campaign_id),
                                             "--every", "0.05"))
    async with sqlite_sessions() as session:
        await change_state(session, campaign_id, "stop", now=_now())
    result = await asyncio.wait_for(watching, 60)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"campaign {campaign_id} stopped: dialled 2, answered 1")
    assert "works 1" in result.stdout
    missing = await campaigns(files, "watch", "999")
    assert (missing.exit_code, "no campaign 999" in missing.stderr) == (1, True)


def test_config_check_takes_a_campaign_file(files: Path) -> None:
    good = CliRunner().invoke(config_app, ["check", str(files / "campaign.yaml")])
    assert (good.exit_code, good.stdout.startswith("campaign OK: Guasti")) == (0, True)
    bad = files / "bad.yaml"
    bad.write_text("version: 1\nname: x\nscript: y\nwindo: {}\nring_seconds: 3\n",
                   encoding="utf-8")
    result = CliRunner().invoke(config_app, ["check", str(bad)])
    assert result.exit_code == 2
    assert sorted(result.stderr.splitlines()) == [
        "2 errors, 0 warnings",
        f"error {bad}:4: windo: unknown key (did you mean 'window'?)",
        f"error {bad}:5: ring_seconds: Input should be greater than or equal to 15 (got 3)"]


def test_config_check_takes_a_script_and_a_campaigns_scripts(files: Path) -> None:
    shipped = script_path("fault_check")
    good = CliRunner().invoke(config_app, ["check", str(shipped)])
    assert (good.exit_code, good.stdout.startswith("script OK: ")) == (0, True), good.output
    broken = files / "broken.yaml"
    broken.write_text(shipped.read_text(encoding="utf-8").replace(
        "entry: {human:", "entry: {human: nowhere, was:"), encoding="utf-8")
    result = CliRunner().invoke(config_app, ["check", str(broken)])
    assert result.exit_code == 2 and f"error {broken}:" in result.stderr, result.output
    campaign = files / "uses_broken.yaml"
    campaign.write_text("version: 1\nname: x\nscript: broken.yaml\n", encoding="utf-8")
    named = CliRunner().invoke(config_app, ["check", str(campaign)])
    assert named.exit_code == 2 and str(broken) in named.stderr, named.output
