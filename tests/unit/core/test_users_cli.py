"""``centralino users add | list | passwd | disable``."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from centralino.app.cli import app
from centralino.core.auth.service import authenticate
from centralino.core.db import create_engine, session_factory

ADDED = re.compile(r"user (\S+) \((\w+)\) created; password: (\S+) — shown once")
UNREACHABLE = "postgresql+asyncpg://nobody:s3cret@127.0.0.1:1/x"


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'centralino.db'}"


def users(*args: str, url: str) -> Result:
    return CliRunner().invoke(app, ["users", *args],
                              env={"CENTRALINO_DATABASE_URL": url, "CENTRALINO_CONFIG": "",
                                   "COLUMNS": "200"})


def add(name: str, role: str, url: str) -> str:
    """Add a user through the CLI; the password it printed."""
    result = users("add", name, "--role", role, url=url)
    match = ADDED.fullmatch(result.stdout.strip())
    assert result.exit_code == 0 and match is not None, result.output
    return match.group(3)


def can_sign_in(url: str, name: str, password: str) -> bool:
    async def check() -> bool:
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                return await authenticate(session, name, password) is not None
        finally:
            await engine.dispose()

    return asyncio.run(check())


def test_add_prints_the_password_once_and_it_signs_in(url: str) -> None:
    result = users("add", "anna.rossi", "--role", "supervisor", url=url)
    assert result.exit_code == 0, result.output
    match = ADDED.fullmatch(result.stdout.strip())
    assert match is not None, result.stdout
    name, role, password = match.groups()
    assert (name, role) == ("anna.rossi", "supervisor")
    assert result.stdout.count(password) == 1
    assert can_sign_in(url, "anna.rossi", password)
    assert not can_sign_in(url, "anna.rossi", password[:-1])


@pytest.mark.parametrize("args", [("anna", "--role", "root"), ("anna",),
                                  ("Anna!", "--role", "operator")])
def test_a_bad_role_or_name_is_usage_error_2_and_creates_nobody(
    url: str, args: tuple[str, ...],
) -> None:
    result = users("add", *args, url=url)
    assert result.exit_code == 2, result.output
    assert "password" not in result.stdout
    assert json.loads(users("list", "--json", url=url).stdout) == []


def test_adding_a_taken_name_fails_with_1_and_says_so(url: str) -> None:
    add("anna", "operator", url)
    result = users("add", "anna", "--role", "admin", url=url)
    assert result.exit_code == 1
    assert "'anna' exists already" in result.stderr and "password" not in result.stdout


def test_list_json_shows_users_without_their_hashes(url: str) -> None:
    add("marco", "admin", url)
    assert can_sign_in(url, "anna", add("anna", "operator", url))
    users("disable", "marco", url=url)
    result = users("list", "--json", url=url)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["name"], r["role"], r["active"]) for r in rows] == [("anna", "operator", True),
                                                                   ("marco", "admin", False)]
    assert all(set(r) == {"name", "role", "active", "created_at", "last_login_at"} for r in rows)
    assert rows[0]["last_login_at"] is not None and rows[1]["last_login_at"] is None
    assert "argon2" not in result.stdout
    table = users("list", url=url)
    assert table.exit_code == 0 and "marco" in table.stdout and "argon2" not in table.stdout


def test_passwd_prints_a_new_password_and_the_old_one_stops_working(url: str) -> None:
    old = add("anna", "operator", url)
    result = users("passwd", "anna", url=url)
    assert result.exit_code == 0, result.output
    new = re.fullmatch(r"user anna: new password: (\S+) — shown once", result.stdout.strip())
    assert new is not None, result.stdout
    assert can_sign_in(url, "anna", new.group(1)) and not can_sign_in(url, "anna", old)


def test_disable_stops_the_user_signing_in(url: str) -> None:
    password = add("anna", "operator", url)
    result = users("disable", "anna", url=url)
    assert result.exit_code == 0 and result.stdout.strip() == "user anna disabled"
    assert not can_sign_in(url, "anna", password)


def test_passwd_and_disable_of_an_unknown_user_fail_with_1(url: str) -> None:
    for command in ("passwd", "disable"):
        result = users(command, "nobody", url=url)
        assert result.exit_code == 1
        assert "no user named 'nobody'" in result.stderr


def test_an_unreachable_database_is_one_line_and_exit_1() -> None:
    result = users("add", "anna", "--role", "operator", url=UNREACHABLE)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "database unavailable" in lines[0]
    assert "s3cret" not in result.stderr


def test_a_campaign_manager_can_be_added(url: str) -> None:
    password = add("carla", "campaign_manager", url)
    assert can_sign_in(url, "carla", password)
    listed = json.loads(users("list", "--json", url=url).stdout)
    assert [(u["name"], u["role"]) for u in listed] == [("carla", "campaign_manager")]
