"""Place real SIP calls with sipp (RFC 4733-capable UAC scenarios in ./sipp)."""

from __future__ import annotations

import asyncio
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from config.settings import Settings

SCENARIOS = Path(__file__).with_name("sipp")


@dataclass(frozen=True)
class SippResult:
    returncode: int
    output: str

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def place_call(settings: Settings, scenario: str, caller: str = "3331234567",
                     pause_ms: int | None = None, timeout: float = 90.0) -> SippResult:
    """Dial the toll-free number from ``caller`` with scenario ``scenario`` (file stem)."""
    with tempfile.TemporaryDirectory() as workdir:
        callers = Path(workdir, "callers.csv")
        callers.write_text(f"SEQUENTIAL\n{caller};\n", encoding="ascii")
        sip = settings.asterisk.sip
        command = [
            "sipp", f"{sip.host}:{sip.port}", "-sf", str(SCENARIOS / f"{scenario}.xml"),
            "-s", settings.toll_free.number, "-inf", str(callers), "-m", "1", "-l", "1",
            "-i", "127.0.0.1", "-p", str(free_udp_port()), "-mp", str(free_udp_port()),
            "-timeout", f"{int(timeout)}s", "-timeout_error", "-nostdin", "-trace_err",
            "-error_file", str(Path(workdir, "errors.log")),
        ]
        if pause_ms is not None:
            command += ["-d", str(pause_ms)]
        process = await asyncio.create_subprocess_exec(
            *command, cwd=workdir, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT)
        stdout, _ = await asyncio.wait_for(process.communicate(), timeout + 15)
        errors = Path(workdir, "errors.log")
        details = errors.read_text(errors="replace") if errors.exists() else ""
        return SippResult(process.returncode or 0, stdout.decode(errors="replace")[-2000:]
                          + details[-2000:])
