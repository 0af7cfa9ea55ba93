"""Configuration files: defaults load, and every mistake is reported with file, line and key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config.loader import ConfigError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "centralino.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_embedded_defaults_describe_the_documented_service() -> None:
    settings = load_settings()
    assert settings.toll_free.number == "800100100"
    assert settings.asterisk.sip.port == 5060
    assert settings.web.host == "127.0.0.1" and settings.web.port == 8080
    assert settings.seats.names == ["seat1", "seat2", "seat3", "seat4"]


def test_database_url_from_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CENTRALINO_DATABASE_URL", "sqlite+aiosqlite:////tmp/x.db")
    assert load_settings().database_url == "sqlite+aiosqlite:////tmp/x.db"


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nweb:\n  port: eighty\n  colour: blue\nseats:\n  count: 0\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    lines = str(caught.value).splitlines()
    assert len(lines) == 3
    assert any(line.startswith(f"{path}:3: web.port:") and "integer" in line for line in lines)
    assert any(line.startswith(f"{path}:4: web.colour: unknown key") for line in lines)
    assert any(line.startswith(f"{path}:6: seats.count:") for line in lines)


def test_a_missing_required_value_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "web:\n  port: 8081\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == f"{path}: version: required value is missing"


def test_a_file_that_is_not_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nweb: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value).startswith(f"{path}:")
    assert "not valid YAML" in str(caught.value)


def test_a_non_async_database_url_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\ndatabase_url: sqlite:///x.db\n")
    with pytest.raises(ConfigError, match=r"database_url: .*async SQLAlchemy URL"):
        load_settings(path)


def test_cli_exits_2_with_one_line_per_problem_and_no_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nweb:\n  port: 99999\nasterisk:\n  amii: {}\n")
    result = subprocess.run(
        [sys.executable, "-m", "centralino", "sandbox", "status", "--config", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 2, result.stderr
    assert "web.port" in result.stderr and "asterisk.amii" in result.stderr
    assert "Traceback" not in result.stderr
