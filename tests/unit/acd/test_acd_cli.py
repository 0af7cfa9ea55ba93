"""``centralino seats`` and ``centralino operator`` with no Asterisk: clear errors, exit codes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "centralino.yaml"
    path.write_text(f"version: 1\ndatabase_url: sqlite+aiosqlite:///{tmp_path / 'c.db'}\n"
                    f"asterisk: {{ami: {{port: {closed_port()}}}}}\n", encoding="utf-8")
    return path


def centralino(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CENTRALINO_SECRETS_FILE": str(config.with_name("secrets.yaml"))}
    return subprocess.run([sys.executable, "-m", "centralino", *args, "--config", str(config)],
                          env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("command", [["seats", "status", "--json"],
                                     ["operator", "login", "alice", "--seat", "seat1"],
                                     ["operator", "logout", "alice"]])
def test_an_unreachable_asterisk_is_one_line_and_exit_1(config: Path, command: list[str]) -> None:
    assert centralino(config, "users", "add", "alice", "--role", "operator").returncode == 0
    result = centralino(config, *command)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "cannot reach Asterisk AMI at 127.0.0.1:" in (
        result.stderr)


@pytest.mark.parametrize(("command", "message"), [
    (["operator", "login", "alice", "--seat", "seat9"], "unknown seat 'seat9'"),
    (["operator", "pause", "alice", "--reason", "nap"], "unknown pause reason 'nap'"),
    (["operator", "ready", "alice smith"], "operator name 'alice smith'"),
    (["operator", "login", "alice"], "Missing option '--seat'"),
])
def test_bad_usage_is_exit_2_before_asterisk_is_asked(config: Path, command: list[str],
                                                      message: str) -> None:
    result = centralino(config, *command)
    assert result.returncode == 2
    assert message in result.stderr


def test_login_of_a_name_that_is_no_user_is_exit_2_before_asterisk_is_asked(
        config: Path) -> None:
    result = centralino(config, "operator", "login", "ghost", "--seat", "seat1")
    assert result.returncode == 2  # not 1: the unreachable Asterisk was never asked
    assert result.stdout == ""
    assert "no user named 'ghost'" in result.stderr
    assert "centralino users add ghost --role operator" in result.stderr


def test_login_of_a_disabled_user_is_exit_2(config: Path) -> None:
    assert centralino(config, "users", "add", "bruno", "--role", "operator").returncode == 0
    assert centralino(config, "users", "disable", "bruno").returncode == 0
    result = centralino(config, "operator", "login", "bruno", "--seat", "seat1")
    assert result.returncode == 2 and "user 'bruno' is disabled" in result.stderr
