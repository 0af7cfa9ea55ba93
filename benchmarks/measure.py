"""What the benchmark reads from the machine: CPU time of processes, the machine's details,
percentiles, and the engine's Prometheus metrics."""

from __future__ import annotations

import math
import os
import platform
import re
import resource
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import httpx

from centralino.core.sandbox import process as sandbox
from config.settings import Settings

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` (all its threads) so far, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14 and 15)


def own_cpu_seconds() -> float:
    """CPU time of this process (the benchmark itself, with its ARI observer)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def reap(process: subprocess.Popen[bytes]) -> float | None:
    """If ``process`` has exited, reap it and return its CPU seconds; None while it runs."""
    pid, status, usage = os.wait4(process.pid, os.WNOHANG)
    if pid == 0:
        return None
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


class MachineCpu(NamedTuple):
    """CPU seconds of the whole machine so far (all cores), from one read of /proc/stat."""

    busy: float  # not idle, not waiting on I/O; steal included
    total: float
    steal: float  # wanted by this machine, given by the hypervisor to other machines


def machine_busy() -> MachineCpu:
    """The machine's CPU seconds so far, busy, in all and stolen."""
    ticks = [int(v) for v in Path("/proc/stat").read_text(encoding="ascii").split("\n", 1)[0]
             .split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    steal = ticks[7] if len(ticks) > 7 else 0
    return MachineCpu((sum(ticks) - idle) / _TICK, sum(ticks) / _TICK, steal / _TICK)


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (``p`` in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def distribution(values: list[float]) -> dict[str, float | int | None]:
    return {"count": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
            "p99": percentile(values, 99), "max": max(values) if values else None}


def asterisk_cli(settings: Settings, command: str) -> str:
    """Run one Asterisk CLI command in the sandbox instance and return its output."""
    where = sandbox.paths(settings)
    result = subprocess.run(
        ["chroot", str(where.root), sandbox.ASTERISK, "-C", where.asterisk_conf, "-rx", command],
        capture_output=True, text=True, timeout=15, check=False)
    return result.stdout


def active_channels(settings: Settings) -> int:
    match = re.search(r"(\d+) active channels?", asterisk_cli(settings, "core show channels count"))
    return int(match[1]) if match else -1


def machine_details(settings: Settings) -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    memory = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
    version = asterisk_cli(settings, "core show version").strip()
    sipp = subprocess.run(["sipp", "-v"], capture_output=True, text=True, check=False)
    sipp_version = re.search(r"SIPp v[\w.+-]*\w", sipp.stdout + sipp.stderr)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_model": model[1].strip() if model else platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory[1]) / 1024 / 1024, 1) if memory else None,
        "kernel": f"{platform.system()} {platform.release()}",
        "asterisk": version.split(" built ")[0] or "unknown",
        "python": platform.python_version(),
        "sipp": sipp_version[0] if sipp_version else "unknown",
        "hostname": platform.node(),
        "load_average": Path("/proc/loadavg").read_text().split()[:3],
    }


def engine_metrics(settings: Settings) -> dict[str, float]:
    """The engine's samples from /metrics: ``name`` or ``name{labels}`` -> value."""
    url = f"http://{settings.web.host}:{settings.web.port}/metrics"
    samples = {}
    for line in httpx.get(url, timeout=5).text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def labelled(samples: dict[str, float], name: str) -> dict[str, float]:
    """``name``'s series by their one label's value, largest first."""
    series = {key.split('"')[1]: value for key, value in samples.items()
              if key.startswith(name + "{") and '"' in key}
    return dict(sorted(series.items(), key=lambda item: -item[1]))


def histogram_quantiles(samples: dict[str, float], name: str,
                        quantiles: tuple[float, ...] = (0.5, 0.99)) -> dict[str, dict[str, Any]]:
    """Each series of histogram ``name``: its count and, per quantile, the upper bound (``le``)
    of the bucket it falls in. Keyed by the series' labels other than ``le``, joined by spaces."""
    buckets: dict[str, list[tuple[float, float]]] = {}
    for key, value in samples.items():
        if not key.startswith(name + "_bucket{"):
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', key))
        bound = float(labels.pop("le"))
        buckets.setdefault(" ".join(labels.values()), []).append((bound, value))
    summary = {}
    for series, points in sorted(buckets.items()):
        points.sort()
        count = points[-1][1]
        if not count:
            continue
        summary[series] = {"count": int(count)} | {
            f"p{round(q * 100)}_le": next(bound for bound, seen in points if seen >= q * count)
            for q in quantiles}
    return summary
