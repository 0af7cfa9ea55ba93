"""Hostile or broken YAML files: each is a config error with file and line, never a traceback.

The same cases go through the settings loader, the menu check, ``POST /api/ivr/reload`` (422)
and the CLI (exit 2).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.ext.asyncio import async_sessionmaker
from typer.testing import CliRunner

from centralino.app.config_cli import app as config_app
from centralino.core.health import ComponentHealth, HealthReport
from centralino.core.web import create_web_app
from config.loader import ConfigError, load_settings
from config.safe_yaml import MAX_DEPTH, MAX_INT_DIGITS, MAX_NODES
from config.settings import WebSettings
from ivr.check import check_menu
from ivr.http import reload_router
from ivr.plan import load_plan
from ivr.prompts import PromptStore

CONTROL_TOKEN = "control-token-for-the-tests"
MENU = Path(__file__).parents[3] / "config/menus/tollfree.yaml"


def billion_laughs() -> bytes:
    levels = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, 9):
        name, previous = chr(ord("a") + n), chr(ord("a") + n - 1)
        levels.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    return ("\n".join(levels) + "\n").encode()


# (case, file content after a valid first line, what the problem says, its line)
HOSTILE: list[tuple[str, bytes, str, int]] = [
    ("latin-1 bytes", b"note: caf\xe9\n", "not UTF-8: byte 0xe9 at column 10", 2),
    ("deep nesting", b"a: " + b"[" * 200 + b"]" * 200 + b"\n", f"deeper than {MAX_DEPTH}", 2),
    ("billion laughs", billion_laughs(), f"more than {MAX_NODES} values", 7),
    ("recursive alias", b"a: &a [1, *a]\n", "recursive", 2),
    ("huge integer", b"n: " + b"9" * 5000 + b"\n", f"at most {MAX_INT_DIGITS}", 2),
    ("huge hex integer", b"n: 0x" + b"f" * 5000 + b"\n", f"at most {MAX_INT_DIGITS}", 2),
    ("date out of range", b"d: 2024-13-45\n", "month must be in 1..12", 2),
    ("NUL byte", b"a: x\x00y\n", "character 0x0000 is not allowed", 2),
    ("NUL escape", b'a: "x\\0y"\n', "NUL character", 2),
]


@pytest.mark.parametrize(("case", "content", "says", "line"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_a_hostile_settings_file_is_a_config_error_with_its_line(
        tmp_path: Path, case: str, content: bytes, says: str, line: int) -> None:
    path = tmp_path / "settings.yaml"
    path.write_bytes(b"version: 1\n" + content)

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    [problem] = caught.value.problems
    assert (problem.file, problem.line) == (str(path), line)
    assert says in problem.message


@pytest.mark.parametrize(("case", "content", "says", "line"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_a_hostile_menu_file_is_refused_by_the_check(
        tmp_path: Path, case: str, content: bytes, says: str, line: int) -> None:
    path = tmp_path / "menu.yaml"
    path.write_bytes(b"version: 1\n" + content)

    report = check_menu(path, None)

    [problem] = report.errors
    assert (problem.file, problem.line) == (str(path), line)
    assert says in problem.message


def test_a_billion_laughs_file_is_refused_before_it_is_expanded(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_bytes(b"version: 1\n" + billion_laughs())

    tracemalloc.start()
    try:
        with pytest.raises(ConfigError, match="aliases are expanded"):
            load_settings(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024  # expanded, it would take about 1.5 GB


def test_aliases_and_merge_keys_within_the_limits_still_work(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("version: 1\nasterisk: {host: &host 127.0.0.2}\n"
                    "web: {host: *host, port: 8081}\n", encoding="utf-8")
    settings = load_settings(path)
    assert (settings.web.host, settings.web.port) == ("127.0.0.2", 8081)


def test_a_merge_key_may_override_what_it_merges(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("version: 1\nasterisk:\n  ami: &ami {port: 5038, username: a}\n"
                    "  ari: {<<: *ami, username: b}\n", encoding="utf-8")
    ari = load_settings(path).asterisk.ari
    assert (ari.port, ari.username) == (5038, "b")


MENU_VALUES: list[tuple[str, str, str, str]] = [
    ("timezone zoneinfo cannot look up", "timezone: Europe/Rome",
     "timezone: " + "a/" * 3000 + "b", "hours.timezone"),
    ("time out of range", '"09:00-16:00"', '"25:99-26:00"', "hours.weekly.mon.0"),
    ("closure date out of range", "closures: []",
     "closures: [{from: 2025-02-30, reason: x}]", ""),
]


@pytest.mark.parametrize(("case", "old", "new", "key_path"), MENU_VALUES,
                         ids=[c[0] for c in MENU_VALUES])
def test_values_a_library_chokes_on_are_menu_errors(
        tmp_path: Path, case: str, old: str, new: str, key_path: str) -> None:
    text = MENU.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "menu.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")

    report = check_menu(path, None)

    assert report.errors, case
    assert all(problem.line is not None for problem in report.errors)
    assert report.errors[0].key_path == key_path


def test_a_long_value_is_shortened_in_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("version: 1\nweb:\n  port: '" + "x" * 5000 + "'\n", encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    [problem] = caught.value.problems
    assert (problem.key_path, problem.line) == ("web.port", 3)
    assert len(str(problem)) < 300 and "(5002 characters)" in problem.message


def reload_client(path: Path, tmp_path: Path) -> TestClient:
    store = PromptStore(tmp_path / "media", "/media")

    async def reload():  # type: ignore[no-untyped-def]
        return await asyncio.to_thread(load_plan, path, store, (None, None))

    async def healthy() -> HealthReport:
        up = ComponentHealth(True)
        return HealthReport(ami=up, ari=up, database=up, active_calls=0)

    web = create_web_app(healthy, [reload_router(reload)], session_key="k" * 32,
                         sessions=async_sessionmaker(),  # unused: the CLI's token signs in
                         web=WebSettings(allowed_hosts=["testserver"]),
                         control_token=CONTROL_TOKEN)
    return TestClient(web, raise_server_exceptions=False,
                      headers={"Authorization": f"Bearer {CONTROL_TOKEN}"})


@pytest.mark.parametrize(("case", "content", "says", "line"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_reload_answers_422_with_the_problem_for_a_hostile_menu(
        tmp_path: Path, case: str, content: bytes, says: str, line: int) -> None:
    path = tmp_path / "menu.yaml"
    path.write_bytes(b"version: 1\n" + content)

    response = reload_client(path, tmp_path).post("/api/ivr/reload")

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error.startswith(f"{path}:{line}: ") and says in error


@pytest.mark.parametrize(("case", "old", "new", "key_path"), MENU_VALUES,
                         ids=[c[0] for c in MENU_VALUES])
def test_reload_answers_422_for_values_a_library_chokes_on(
        tmp_path: Path, case: str, old: str, new: str, key_path: str) -> None:
    path = tmp_path / "menu.yaml"
    path.write_text(MENU.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")

    response = reload_client(path, tmp_path).post("/api/ivr/reload")

    assert response.status_code == 422
    assert response.json()["reloaded"] is False


def test_config_check_exits_2_on_a_hostile_menu(tmp_path: Path) -> None:
    path = tmp_path / "menu.yaml"
    path.write_bytes(b"version: 1\nnodes:\n" + billion_laughs())

    result = CliRunner().invoke(config_app, ["check", str(path)], env={"COLUMNS": "500"})

    assert result.exit_code == 2
    assert f"{path}:" in result.stderr and "aliases are expanded" in result.stderr


def test_the_engine_refuses_a_hostile_settings_file_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_bytes(b"version: 1\nweb:\n  port: " + b"9" * 5000 + b"\n")

    result = subprocess.run([sys.executable, "-m", "centralino", "run", "--config", str(path)],
                            capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode == 2, result.stderr
    assert f"{path}:3:" in result.stderr and "Traceback" not in result.stderr


# -- misspelt keys and missing files ---------------------------------------------------------


def test_a_misspelt_key_gets_a_did_you_mean(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("version: 1\nweb:\n  prot: 8081\nasterisk:\n  ami: {usrname: x}\n",
                    encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    assert str(caught.value).splitlines() == [
        f"{path}:3: web.prot: unknown key (did you mean 'port'?)",
        f"{path}:5: asterisk.ami.usrname: unknown key (did you mean 'username'?)",
    ]


def test_a_misspelt_menu_key_gets_a_did_you_mean(tmp_path: Path) -> None:
    path = tmp_path / "menu.yaml"
    path.write_text(MENU.read_text(encoding="utf-8").replace("timezone:", "timezon:", 1),
                    encoding="utf-8")

    report = check_menu(path, None)

    assert any(problem.key_path == "hours.timezon"
               and problem.message == "unknown key (did you mean 'timezone'?)"
               for problem in report.errors)


def test_a_missing_menu_file_names_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("version: 1\nivr:\n  menu_file: menus/nowhere.yaml\n", encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    assert str(caught.value).startswith(
        f"{path}:3: ivr.menu_file: file not found: {tmp_path / 'menus/nowhere.yaml'}")
