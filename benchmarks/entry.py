"""What every benchmark's ``run.py`` does around its measurement: refuse to run without root
(the sandbox Asterisk runs in a chroot), stop cleanly on Ctrl-C, print the results."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from rich.console import Console

from config.secrets import SECRETS_FILE_ENV


def prepare_work_dir(work_dir: Path, database_url: str | None) -> str:
    """Create the run's work directory, keep the run's secrets there, and return the database
    URL (``database_url``, or a SQLite file in the work directory)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    os.environ[SECRETS_FILE_ENV] = str(work_dir / "secrets.yaml")
    return database_url or f"sqlite+aiosqlite:///{work_dir / 'centralino.db'}"


async def _stopped_by_sigterm(measurement: Coroutine[Any, Any, tuple[Path, Path]]
                              ) -> tuple[Path, Path]:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)  # as Ctrl-C
    return await measurement


def run_benchmark(measurement: Coroutine[Any, Any, tuple[Path, Path]], console: Console,
                  stopped: str) -> int:
    """Run ``measurement`` (it returns the JSON and Markdown result paths) and print the
    Markdown; ``stopped`` says what an interruption stopped. Returns the exit code."""
    if os.geteuid() != 0:
        measurement.close()
        console.print("[red]The sandbox Asterisk runs in a chroot: run this as root.[/]")
        return 1
    try:
        json_path, md_path = asyncio.run(_stopped_by_sigterm(measurement))
    except (KeyboardInterrupt, asyncio.CancelledError):
        console.print(f"[yellow]Interrupted; {stopped} are stopped.[/]")
        return 130
    console.print(md_path.read_text(encoding="utf-8"), markup=False, highlight=False,
                  soft_wrap=True)
    console.print(f"Results: {md_path}, {json_path}")
    return 0
