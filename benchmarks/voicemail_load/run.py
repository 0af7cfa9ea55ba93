"""Voicemail load benchmark: many callers leave messages at once; how soon the console can play
each one, and how late the engine's event loop runs meanwhile.

    .venv/bin/python benchmarks/voicemail_load/run.py --callers 50 --seconds 20

Starts its own sandbox Asterisk (instance ``vmbench``, ports of its own) and the engine
(``centralino run``, a separate process) with a menu that takes every caller straight to
voicemail; sipp callers each say ``--seconds`` of espeak-ng speech and hang up, all at once.
Writes ``benchmarks/results/voicemail_load-<date>.{md,json}``. See README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(1, str(REPO))  # run as a script: benchmarks.*, the tests' callers

import httpx
import playable
import report
from callers import caller_number, hang_up_times, message_audio, place_callers
from rich.console import Console

from benchmarks import measure
from benchmarks.engine_process import CENTRALINO, Engine
from benchmarks.entry import prepare_work_dir, run_benchmark
from centralino.core.sandbox import process as sandbox
from config.loader import load_settings
from config.secrets import load_secrets
from config.settings import Settings
from tests.integration.ari_observer import observe_asterisk

HERE = Path(__file__).resolve().parent
MENU_FILE = HERE / "menu.yaml"
RESULTS_DIR = REPO / "benchmarks" / "results"
SUPERVISOR = "vmbench.supervisor"
MAX_SECONDS = 540  # of a message: under the menu's max_seconds, so the hang-up ends it
LAG_BUCKETS = "centralino_event_loop_lag_seconds_bucket{"  # then le="0.1"} and so on
WEB_FORMAT = "mp3"

SETTINGS = """\
version: 1
database_url: {database_url}
web: {{port: 23190}}
asterisk:
  ami: {{port: 23138}}
  ari: {{port: 23188}}
  sip: {{port: 23160}}
sandbox: {{instance: vmbench}}
ivr: {{menu_file: {menu_file}}}
recordings: {{dir: {recordings}, web_format: {web_format}}}
logging: {{level: {log_level}, format: json}}
"""

console = Console()


@dataclass(frozen=True)
class Options:
    callers: int
    seconds: float
    wait: float
    database_url: str | None
    log_level: str
    work_dir: Path
    results_dir: Path

    @property
    def call_timeout(self) -> float:
        """How long sipp lets one call last before it gives up on it."""
        return self.seconds + 60


async def supervisor_password(config: Path) -> str:
    """The benchmark's supervisor, made with ``centralino users add`` (or given a new password
    with ``users passwd`` when an earlier run on the same database made them); their
    password."""
    output = ""
    for command in ("add", "passwd"):
        extra = ["--role", "supervisor"] if command == "add" else []
        process = await asyncio.create_subprocess_exec(
            str(CENTRALINO), "users", command, SUPERVISOR, *extra, "--config", str(config),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        output = (await process.communicate())[0].decode(errors="replace")
        found = re.search(r"password: (\S+) — shown once", output)
        if process.returncode == 0 and found:
            return found[1]
    raise RuntimeError(f"centralino users could not make {SUPERVISOR}: {output.strip()}")


def also_running(own: set[int]) -> str:
    """The machine's busiest processes but ours (other engineers' test runs, sandboxes)."""
    listing = subprocess.run(["ps", "-eo", "pid=,pcpu=,args=", "--sort=-pcpu"],
                             capture_output=True, text=True, check=False).stdout
    busy = []
    for line in listing.splitlines():
        pid, cpu, command = line.split(None, 2)
        if int(pid) not in own and float(cpu) >= 5:
            busy.append(f"{command[:90]} ({cpu}% CPU)")
    return "; ".join(busy[:8]) or "nothing else busy"


def sipp_cpu_seconds() -> float:
    """CPU time of this process's children that have exited: the sipp callers, once done."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _lag_buckets(samples: dict[str, float]) -> dict[str, float]:
    return {key.split('"')[1]: value for key, value in samples.items()
            if key.startswith(LAG_BUCKETS)}


def loop_lag(before: dict[str, float], after: dict[str, float]) -> report.LoopLag:
    """The engine's event-loop lag: its running maximum before and after the run, and what
    the histogram's buckets say of the run's own samples."""
    start, end = _lag_buckets(before), _lag_buckets(after)
    counts = {le: end[le] - start.get(le, 0.0) for le in end}
    total = counts.get("+Inf", 0.0)
    bounds = sorted((float(le), count) for le, count in counts.items() if le != "+Inf")
    bound = next((le for le, count in bounds if count == total), None)

    def ms(samples: dict[str, float]) -> float | None:
        lag = samples.get("centralino_event_loop_lag_max_seconds")
        return None if lag is None else round(lag * 1000, 1)

    return report.LoopLag(
        max_ms=ms(after), before_calls_ms=ms(before),
        run_bound_ms=None if bound is None else bound * 1000,
        samples_over_100ms=int(total - counts["0.1"]) if "0.1" in counts else None)


def engine_counters(samples: dict[str, float]) -> dict[str, Any]:
    return {"recordings_ingested": measure.labelled(samples,
                                                    "centralino_recordings_ingested_total"),
            "calls_by_disposition": measure.labelled(samples, "centralino_calls_total"),
            "ari_events": sum(measure.labelled(samples, "centralino_ari_events_total").values())}


async def metrics_now(settings: Settings) -> dict[str, float]:
    return await asyncio.to_thread(measure.engine_metrics, settings)


def latencies(starts: dict[str, float], ends: dict[str, float]) -> dict[str, Any]:
    """Per caller with both times: end - start, in seconds, as a distribution."""
    return measure.distribution([round(ends[c] - starts[c], 3) for c in ends if c in starts])


async def run_callers(options: Options, settings: Settings, pids: dict[str, int], base: str,
                      password: str) -> report.VoicemailRun:
    audio = await asyncio.to_thread(message_audio, options.seconds)
    callers = {caller_number(index) for index in range(options.callers)}
    messages = playable.Messages()
    before = await metrics_now(settings)
    cpu_before = {name: measure.cpu_seconds(pid) for name, pid in pids.items()}
    own_before, sipp_before = measure.own_cpu_seconds(), sipp_cpu_seconds()
    busy_before, all_before, _ = measure.machine_busy()
    started = time.monotonic()
    async with observe_asterisk(settings) as observer:
        watcher = asyncio.create_task(playable.watch(settings.database_url, base, SUPERVISOR,
                                                     password, callers, messages))
        try:
            console.print(f"{options.callers} callers are leaving {options.seconds:g} s "
                          "messages...")
            results = await place_callers(settings, options.callers, audio,
                                          options.call_timeout)
            console.print(f"All hung up; {len(messages.playable_at)} playable so far. Waiting "
                          f"up to {options.wait:g} s for the rest...")
            done, _ = await asyncio.wait({watcher}, timeout=options.wait)
            if watcher in done:
                watcher.result()  # its error, if it failed (a sign-in the web app refused)
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        hung_up = hang_up_times(observer.events)
    wall = time.monotonic() - started
    cpu = {name: round(measure.cpu_seconds(pid) - cpu_before[name], 2)
           for name, pid in pids.items()}
    cpu["benchmark"] = round(measure.own_cpu_seconds() - own_before, 2)
    cpu["sipp"] = round(sipp_cpu_seconds() - sipp_before, 2)
    busy_after, all_after, _ = measure.machine_busy()
    others = max(0.0, busy_after - busy_before - sum(cpu.values()))
    after = await metrics_now(settings)
    failures = [r.output.strip().splitlines()[-1] for r in results
                if not r.succeeded and r.output.strip()]
    return report.VoicemailRun(
        callers=options.callers, message_seconds=options.seconds,
        calls_completed=sum(r.succeeded for r in results),
        hang_ups_seen=len(hung_up.keys() & callers),
        stored=len(messages.stored_at), playable=len(messages.playable_at),
        without_web_copy=len(messages.without_web_copy),
        extra_rows=messages.rows - len(messages.stored_at),
        refused={str(status): count for status, count in messages.refused.items()},
        hang_up_to_stored_s=latencies(hung_up, messages.stored_at),
        hang_up_to_playable_s=latencies(hung_up, messages.playable_at),
        loop_lag=loop_lag(before, after), cpu_seconds=cpu,
        others_busy_percent=round(100 * others / max(all_after - all_before, 1e-9), 1),
        wall_seconds=round(wall, 1), engine=engine_counters(after), sipp_failures=failures[:5])


async def benchmark(options: Options) -> tuple[Path, Path]:
    database_url = prepare_work_dir(options.work_dir, options.database_url)
    config = options.work_dir / "engine.yaml"
    config.write_text(SETTINGS.format(
        database_url=database_url, menu_file=MENU_FILE, web_format=WEB_FORMAT,
        recordings=options.work_dir / "recordings", log_level=options.log_level),
        encoding="utf-8")
    settings = load_settings(config)
    load_secrets(settings.seats.names)  # the secrets file, before Asterisk and the engine
    password = await supervisor_password(config)
    await asyncio.to_thread(sandbox.down, settings)  # a sandbox left over by an aborted run
    console.print(f"Starting the sandbox Asterisk (instance vmbench); work files in "
                  f"{options.work_dir}")
    status = await asyncio.to_thread(sandbox.up, settings)
    assert status.pid is not None
    engine = Engine(config, options.work_dir / "engine.log")
    run: report.VoicemailRun | None = None
    problems: list[str] = []
    try:
        pids = {"asterisk": status.pid, "engine": engine.start()}
        others = await asyncio.to_thread(also_running, {os.getpid(), *pids.values()})
        await engine.wait_healthy(settings)  # so Asterisk is fully booted too (ARI is up)
        machine = await asyncio.to_thread(measure.machine_details, settings)
        base = f"http://{settings.web.host}:{settings.web.port}"
        try:
            run = await run_callers(options, settings, pids, base, password)
        except (RuntimeError, OSError, httpx.HTTPError) as exc:
            problems.append(f"the run did not finish: {exc!r}")
            console.print(f"[red]{problems[-1]}[/]")
    finally:
        engine.stop()
        await asyncio.to_thread(sandbox.down, settings)
    parameters = {"callers": options.callers, "message_seconds": options.seconds,
                  "wait_seconds": options.wait, "poll_seconds": playable.POLL_SECONDS,
                  "web_format": WEB_FORMAT, "menu_file": str(MENU_FILE.relative_to(REPO)),
                  "database": database_url.split(":", 1)[0],
                  "engine_log_level": options.log_level, "also_running": others,
                  "problems": problems}
    stem = "voicemail_load-" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return report.write(options.results_dir, stem, machine, parameters, run)


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callers", type=int, default=50,
                        help="callers leaving a message at once (default: 50)")
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="how long each caller speaks (default: 20)")
    parser.add_argument("--wait", type=float, default=120.0,
                        help="seconds to wait, after the last hang-up, for the messages to "
                             "become playable (default: 120)")
    parser.add_argument("--database-url", help="the engine's database "
                        "(default: a new SQLite file in the work directory)")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING"),
                        help="the engine's log level (default: INFO, as in production)")
    parser.add_argument("--work-dir", type=Path,
                        help="the engine's config, log, database, recordings and secrets "
                             "(default: a new temporary directory, kept)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if not 1 <= args.callers <= 200:
        parser.error("--callers: from 1 to 200")
    if not 3 <= args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds: from 3 to {MAX_SECONDS} (a message under the menu's "
                     "minimum of 2 s is not kept)")
    if args.wait <= 0:
        parser.error("--wait: a positive number")
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="centralino-voicemail-load-"))
    return Options(callers=args.callers, seconds=args.seconds, wait=args.wait,
                   database_url=args.database_url, log_level=args.log_level,
                   work_dir=work_dir.resolve(), results_dir=args.results_dir)


def main() -> int:
    return run_benchmark(benchmark(parse_args()), console, "sipp, the engine and the sandbox")

if __name__ == "__main__":
    sys.exit(main())
