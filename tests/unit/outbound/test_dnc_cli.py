"""``centralino dnc``: numbers added and removed in E.164, a file (CSV or XLSX, the opt-out
register's extract) loaded all or nothing, the list as JSON."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner, Result

from outbound.dnc import is_listed
from outbound.dnc_cli import app
from tests.conftest import sqlite_url

Sessions = async_sessionmaker[AsyncSession]


async def dnc(tmp_path: Path, *args: str) -> Result:
    return await asyncio.to_thread(
        CliRunner().invoke, app, list(args),
        env={"CENTRALINO_DATABASE_URL": sqlite_url(tmp_path), "COLUMNS": "200"})


async def listed(tmp_path: Path) -> list[dict[str, str]]:
    result = await dnc(tmp_path, "list", "--json")
    assert result.exit_code == 0, result.output
    rows: list[dict[str, str]] = json.loads(result.stdout)
    return rows


async def test_a_number_is_added_once_in_e164_and_removed(tmp_path: Path,
                                                          sqlite_sessions: Sessions) -> None:
    first = await dnc(tmp_path, "add", "333 123 4567", "--by", "maria")
    again = await dnc(tmp_path, "add", "+39 333 1234567")
    assert (first.exit_code, first.stdout) == (0, "+393331234567: added\n")
    assert again.stdout == "+393331234567: already on the list\n"
    [row] = await listed(tmp_path)
    assert (row["phone"], row["source"], row["added_by"]) == ("+393331234567", "cli", "maria")
    removed = await dnc(tmp_path, "remove", "3331234567")
    assert (removed.exit_code, removed.stdout) == (0, "+393331234567: removed\n")
    async with sqlite_sessions() as session:
        assert not await is_listed(session, "+393331234567")
    gone = await dnc(tmp_path, "remove", "3331234567")
    assert gone.exit_code == 1 and "not on the list" in gone.stderr


async def test_a_bad_number_is_exit_2(tmp_path: Path) -> None:
    result = await dnc(tmp_path, "add", "12")
    assert result.exit_code == 2 and "not a phone number: '12'" in result.stderr


async def test_a_file_with_a_bad_number_adds_nothing(tmp_path: Path,
                                                     sqlite_sessions: Sessions) -> None:
    bad = tmp_path / "register.csv"
    bad.write_text("id;phone\n1;3331234567\n2;not-a-number\n3;\n", encoding="utf-8")
    result = await dnc(tmp_path, "import", str(bad))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "line 3, column phone: not a phone number: 'not-a-number'",
        "line 4, column phone: not a phone number: ''"]
    assert await listed(tmp_path) == []


async def test_an_xlsx_extract_is_loaded_with_repeats_merged(tmp_path: Path,
                                                             sqlite_sessions: Sessions) -> None:
    await dnc(tmp_path, "add", "3330000001")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Phone", "since"])
    for number in (3330000001, 3330000002, "+39 333 000 0003", 3330000002):
        sheet.append([number, "2026-01-01"])
    book.save(tmp_path / "register.xlsx")
    result = await dnc(tmp_path, "import", str(tmp_path / "register.xlsx"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"read": 4, "added": 2, "already": 1, "merged": 1,
                                         "errors": []}
    assert sorted((r["phone"], r["source"]) for r in await listed(tmp_path)) == [
        ("+393330000001", "cli"), ("+393330000002", "import"), ("+393330000003", "import")]
