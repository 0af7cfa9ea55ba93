"""The engine under test: ``centralino run`` as a child process, and stopping child processes."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from config.settings import Settings

CENTRALINO = Path(sys.executable).with_name("centralino")


class Engine:
    """``centralino run`` as a child process (its CPU time is read from /proc); with
    ``profile``, run under cProfile, its statistics written there when it stops."""

    def __init__(self, config: Path, log_file: Path, profile: Path | None = None) -> None:
        self._config = config
        self._log_file = log_file
        self._profile = profile
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> int:
        command = [str(CENTRALINO)]
        if self._profile is not None:
            command = [sys.executable, "-m", "cProfile", "-o", str(self._profile),
                       "-m", "centralino"]
        with open(self._log_file, "ab") as log:
            self.process = subprocess.Popen(
                [*command, "run", "--config", str(self._config)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        return self.process.pid

    async def wait_healthy(self, settings: Settings, timeout: float = 60.0) -> None:
        url = f"http://{settings.web.host}:{settings.web.port}/health"
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process is None or self.process.poll() is not None:
                    raise RuntimeError(f"the engine exited; see {self._log_file}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(url)).status_code == 200:
                        return
                await asyncio.sleep(0.3)
        raise RuntimeError(f"the engine was not healthy within {timeout:g} s; see {self._log_file}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """Terminate ``process`` if it still runs (killed after 10 s)."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
