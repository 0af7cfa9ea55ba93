"""Drive the callers with sipp and read back what it counted and timed."""

from __future__ import annotations

import csv
import subprocess
from dataclasses import dataclass
from pathlib import Path

from config.settings import Settings

SCENARIO = Path(__file__).with_name("caller.xml")
KEYS = ("1", "2")
"""The keys the caller presses (caller.xml), one per menu level after the first."""
CALL_SECONDS = 5.0
"""About how long a call lasts when the IVR keeps up (two 1.5 s waits, then a ~2 s message)."""
SIP_PORT = 25099
MEDIA_PORT = 26000


@dataclass(frozen=True)
class SippStats:
    created: int
    successful: int
    failed: int
    answer_ms: list[float]  # INVITE -> 200, one per answered call (sipp's clock: 1 ms steps)


def time_limit(rate: int, total: int) -> int:
    """Seconds after which sipp gives up (``-timeout``): the calls' placing and length, plus
    room for calls that run long."""
    return int(total / rate + CALL_SECONDS + 90)


def start(settings: Settings, number: str, rate: int, total: int, work_dir: Path
          ) -> subprocess.Popen[bytes]:
    """Start sipp placing ``total`` calls to ``number`` at ``rate`` calls/s; files go to
    ``work_dir``."""
    sip = settings.asterisk.sip
    limit = max(50, int(rate * CALL_SECONDS * 2.5))  # room for calls that run long
    timeout = time_limit(rate, total)
    command = [
        "sipp", f"{sip.host}:{sip.port}", "-sf", str(SCENARIO), "-s", number,
        "-i", "127.0.0.1", "-p", str(SIP_PORT), "-mp", str(MEDIA_PORT),
        "-r", str(rate), "-m", str(total), "-l", str(limit),
        "-timeout", f"{timeout}s", "-nostdin",
        "-trace_stat", "-stf", "stat.csv", "-fd", "1",
        "-trace_rtt", "-rtt_freq", "1",
        "-trace_err", "-error_file", "errors.log",
    ]
    with open(work_dir / "sipp.out", "wb") as output:
        return subprocess.Popen(command, cwd=work_dir, stdin=subprocess.DEVNULL, stdout=output,
                                stderr=subprocess.STDOUT, start_new_session=True)


def read_stats(work_dir: Path) -> SippStats:
    with open(work_dir / "stat.csv", encoding="ascii", errors="replace") as handle:
        rows = [row for row in csv.reader(handle, delimiter=";") if row]
    last = dict(zip(rows[0], rows[-1], strict=False))
    answer_ms = []
    for rtt in work_dir.glob("*_rtt.csv"):
        with open(rtt, encoding="ascii", errors="replace") as handle:
            for row in csv.reader(handle, delimiter=";"):
                if len(row) >= 3 and row[2] == "answer":
                    answer_ms.append(float(row[1]))
    return SippStats(created=int(last.get("TotalCallCreated", 0)),
                     successful=int(last.get("SuccessfulCall(C)", 0)),
                     failed=int(last.get("FailedCall(C)", 0)), answer_ms=answer_ms)
