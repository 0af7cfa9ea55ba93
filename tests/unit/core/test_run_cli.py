"""``centralino run`` refuses to start, clearly, when it cannot work."""

from __future__ import annotations

import os
import socket
import subprocess
import sys


def run_engine(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **env_overrides}
    return subprocess.run([sys.executable, "-m", "centralino", "run", *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def test_unreachable_database_at_start_is_a_clear_error_and_a_nonzero_exit() -> None:
    result = run_engine({"CENTRALINO_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/x"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "127.0.0.1:1" in result.stderr and "database" in result.stderr.lower()


def test_taken_web_port_is_a_clear_error(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "c.yaml"
        config.write_text(f"version: 1\nweb: {{port: {port}}}\n", encoding="utf-8")
        result = run_engine({"CENTRALINO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"},
                            "--config", str(config))
    assert result.returncode == 1
    assert f"127.0.0.1:{port}" in result.stderr and "web.port" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_menu_file_with_errors_stops_the_engine_with_the_problems_and_exit_code_2(
        tmp_path) -> None:
    menu = tmp_path / "menu.yaml"
    menu.write_text("version: 1\nentry: {open: main, closed: main}\nnodes:\n"
                    "  main: {prompt: [{tts: Ciao}],\n"
                    "         options: {'1': {action: menu, target: mian}}}\n",
                    encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text(f"version: 1\nivr: {{menu_file: {menu.name}}}\n", encoding="utf-8")
    result = run_engine({"CENTRALINO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"},
                        "--config", str(config))
    assert result.returncode == 2, result.stderr
    assert f"{menu}:5: nodes.main.options.1.target" in result.stderr
    assert "mian" in result.stderr and "Traceback" not in result.stderr
