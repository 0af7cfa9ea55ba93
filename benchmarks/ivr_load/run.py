"""IVR load benchmark: the engine's menu against the same menu in pure dialplan, one Asterisk.

    .venv/bin/python benchmarks/ivr_load/run.py --rates 10,40,80 --duration 20

Starts its own sandbox Asterisk (instance ``bench``, ports of its own), and for each rate runs
the dialplan path, then the engine path (``centralino run`` as a separate process), with sipp
as the callers. Writes ``benchmarks/results/ivr_load-<date>.{md,json}``. See README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(1, str(Path(__file__).resolve().parents[2]))  # the repository: benchmarks.*

import dialplan
import httpx
import report
import sipp
from observer import LatencyObserver, observe
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from benchmarks import measure
from benchmarks.engine_process import Engine, stop_process
from benchmarks.entry import prepare_work_dir, run_benchmark
from centralino.core.sandbox import process as sandbox
from config.loader import load_settings
from config.menu import GoToMenu, Menu, PlayAndHangup
from config.secrets import load_secrets
from config.settings import Settings

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
MENU_FILE = HERE / "menu.yaml"
RESULTS_DIR = REPO / "benchmarks" / "results"
PY_SPY = Path(sys.executable).with_name("py-spy")
ENGINE_NUMBER = "800100100"  # the toll-free number: Stasis, the engine
DIALPLAN_NUMBER = "800100199"  # the same menu in dialplan (dialplan.py)
PATHS = ("dialplan", "engine")

SETTINGS = """\
version: 1
database_url: {database_url}
web: {{port: 28080}}
asterisk:
  ami: {{port: 25038}}
  ari: {{port: 28088}}
  sip: {{port: 25060}}
toll_free: {{number: "{number}"}}
prompts: {{language: en}}
sandbox: {{instance: bench}}
ivr: {{menu_file: {menu_file}}}
logging: {{level: {log_level}, format: json}}
"""

console = Console()


@dataclass(frozen=True)
class Options:
    rates: list[int]
    duration: float
    paths: list[str]
    database_url: str | None
    log_level: str
    py_spy: bool
    work_dir: Path
    results_dir: Path


def start_profiler(pid: int, output: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling ``pid`` into collapsed stacks (``--py-spy``; it costs the engine CPU).

    Only the thread holding the GIL is sampled: Python's CPU time, without idle waits.
    """
    return subprocess.Popen(
        [str(PY_SPY), "record", "--pid", str(pid), "--format", "raw", "--rate", "200", "--gil",
         "--nonblocking", "--output", str(output)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)


def stop_profiler(profiler: subprocess.Popen[bytes] | None) -> None:
    if profiler is not None and profiler.poll() is None:
        profiler.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        try:
            profiler.wait(30)
        except subprocess.TimeoutExpired:
            profiler.kill()


def next_prompts(menu_path: Path) -> dict[str, str]:
    """Key -> first sound of the prompt that key leads to, for the caller's keys."""
    menu = dialplan.load_menu(menu_path)
    node = menu.nodes[menu.entry.open]
    answers = {}
    for key in sipp.KEYS:
        option = node.options.get(key) if isinstance(node, Menu) else None
        if not isinstance(option, GoToMenu):
            raise ValueError(f"{menu_path}: the caller's key {key} must lead to another node")
        node = menu.nodes[option.target]
        if not isinstance(node, Menu | PlayAndHangup):
            raise ValueError(f"{menu_path}: node {option.target} must be a menu or a message")
        answers[key] = dialplan.sounds(node.prompt, menu.languages[0])[0]
    return answers


async def wait_idle(settings: Settings, timeout: float = 60.0) -> None:
    """Wait until the previous run's calls are gone from Asterisk."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(measure.active_channels, settings) == 0:
            return
        await asyncio.sleep(1)
    console.print("[yellow]Asterisk still has channels up; going on anyway[/]")


def engine_counters(settings: Settings, engine: Engine) -> tuple[float | None, dict[str, Any]]:
    """The engine's largest event-loop lag (ms) and what it counted, from its /metrics."""
    if engine.process is None or engine.process.poll() is not None:
        code = None if engine.process is None else engine.process.returncode
        return None, {"exited_during_run": code}
    try:
        samples = measure.engine_metrics(settings)
    except httpx.HTTPError as exc:
        return None, {"metrics_error": str(exc)}
    lag = samples.get("centralino_event_loop_lag_max_seconds")
    ami = measure.labelled(samples, "centralino_ami_events_total")
    ari = measure.labelled(samples, "centralino_ari_events_total")
    return None if lag is None else round(lag * 1000, 1), {
        "ami_events": sum(ami.values()), "ari_events": sum(ari.values()),
        "ami_events_top": dict(list(ami.items())[:8]),
        "ari_events_top": dict(list(ari.items())[:8]),
        "ari_reconnects": samples.get("centralino_ari_reconnects_total"),
        "ari_requests_seconds": measure.histogram_quantiles(samples,
                                                            "centralino_ari_request_seconds"),
        "key_to_prompt_seconds": measure.histogram_quantiles(
            samples, "centralino_key_to_prompt_seconds", (0.5, 0.95, 0.99, 1.0)),
        "db_batch_units": measure.histogram_quantiles(samples, "centralino_db_batch_units"),
        "db_units": samples.get("centralino_db_batch_units_sum"),
        "gc_pauses_seconds": measure.histogram_quantiles(
            samples, "centralino_gc_pause_seconds", (0.5, 0.99, 1.0)),
        "loop_lag_seconds": measure.histogram_quantiles(
            samples, "centralino_event_loop_lag_seconds", (0.5, 0.99, 1.0)),
        "ami_reconnects": samples.get("centralino_ami_reconnects_total"),
        "calls_by_disposition": measure.labelled(samples, "centralino_calls_total"),
    }


async def run_path(path: str, rate: int, options: Options, settings: Settings, password: str,
                   asterisk_pid: int, progress: Progress) -> report.PathRun:
    total = int(rate * options.duration)
    work = options.work_dir / f"{path}-{rate}"
    work.mkdir(parents=True, exist_ok=True)
    engine = Engine(options.work_dir / "engine.yaml", work / "engine.log")
    process = profiler = None
    task = progress.add_task(f"{path:8} {rate:3}/s", total=total)
    try:
        await wait_idle(settings)
        engine_pid = None
        if path == "engine":
            engine_pid = engine.start()
            await engine.wait_healthy(settings)
        observer = LatencyObserver(next_prompts(MENU_FILE))
        async with observe(settings, password, observer) as connection:
            pids = {"asterisk": asterisk_pid} | ({"engine": engine_pid} if engine_pid else {})
            cpu_before = {name: measure.cpu_seconds(pid) for name, pid in pids.items()}
            busy_before, all_before, steal_before = measure.machine_busy()
            started = time.monotonic()
            number = DIALPLAN_NUMBER if path == "dialplan" else ENGINE_NUMBER
            own_before = measure.own_cpu_seconds()
            if engine_pid and options.py_spy:
                profiler = start_profiler(engine_pid, work / "engine-profile.txt")
            process = sipp.start(settings, number, rate, total, work)
            give_up = time.monotonic() + sipp.time_limit(rate, total) + 30
            while (sipp_cpu := measure.reap(process)) is None:
                progress.update(task, completed=observer.destroyed)
                if time.monotonic() > give_up:  # seen: sipp's -timeout not ending a stuck call
                    process.terminate()
                await asyncio.sleep(0.5)
            wall = time.monotonic() - started
            cpu = {name: measure.cpu_seconds(pid) - cpu_before[name]
                   for name, pid in pids.items()}
            cpu |= {"sipp": sipp_cpu, "benchmark": measure.own_cpu_seconds() - own_before}
            busy_after, all_after, steal_after = measure.machine_busy()
            steal = steal_after - steal_before
            stop_profiler(profiler)
            cpu["other"] = max(0.0, busy_after - busy_before - steal - sum(cpu.values()))
            await asyncio.sleep(1)  # the last events
        progress.update(task, completed=total)
        lag_max, engine_counts = (await asyncio.to_thread(engine_counters, settings, engine)
                                  if engine_pid else (None, {}))
        stats = sipp.read_stats(work)
        machine_seconds = max(all_after - all_before, 1e-9)  # all cores
        return report.PathRun(
            path=path, rate=rate, calls=total, sipp_successful=stats.successful,
            sipp_failed=stats.failed,
            menu_completed=observer.calls_through_menu(len(sipp.KEYS)),
            answer_ms=measure.distribution(stats.answer_ms),
            dtmf_to_prompt_ms=measure.distribution(observer.latencies_ms),
            cpu_seconds={name: round(seconds, 2) for name, seconds in cpu.items()},
            machine_busy_percent=round(100 * (busy_after - busy_before) / machine_seconds, 1),
            others_busy_percent=round(100 * cpu["other"] / machine_seconds, 1),
            steal_percent=round(100 * steal / machine_seconds, 1),
            wall_seconds=round(wall, 1), event_loop_lag_max_ms=lag_max, engine=engine_counts,
            observer={"events": observer.events, "dropped": connection.dropped,
                      "unexpected_keys": observer.unexpected_keys})
    finally:
        stop_process(process)
        stop_profiler(profiler)
        engine.stop()


async def benchmark(options: Options) -> tuple[Path, Path]:
    database_url = prepare_work_dir(options.work_dir, options.database_url)
    config = options.work_dir / "engine.yaml"
    config.write_text(SETTINGS.format(database_url=database_url, number=ENGINE_NUMBER,
                                      menu_file=MENU_FILE, log_level=options.log_level),
                      encoding="utf-8")
    settings = load_settings(config)
    password = load_secrets(settings.seats.names).ari_password
    where = sandbox.paths(settings)
    where.config_dir.mkdir(parents=True, exist_ok=True)
    # up() writes only the files it renders: this one survives, and extensions.conf includes it.
    (where.config_dir / "extensions_local.conf").write_text(
        dialplan.render_dialplan(dialplan.load_menu(MENU_FILE), DIALPLAN_NUMBER),
        encoding="utf-8")
    await asyncio.to_thread(sandbox.down, settings)  # a sandbox left over by an aborted run
    console.print(f"Starting the sandbox Asterisk (instance bench); work files in "
                  f"{options.work_dir}")
    status = await asyncio.to_thread(sandbox.up, settings)
    assert status.pid is not None
    runs: list[report.PathRun] = []
    problems: list[str] = []
    try:
        machine = await asyncio.to_thread(measure.machine_details, settings)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as progress:
            for rate in options.rates:
                for path in options.paths:
                    try:
                        run = await run_path(path, rate, options, settings, password,
                                             status.pid, progress)
                    except (RuntimeError, OSError) as exc:  # the other runs still count
                        problems.append(f"{path} at {rate}/s did not run: {exc}")
                        progress.console.print(f"[red]{problems[-1]}[/]")
                        continue
                    runs.append(run)
                    progress.console.print(
                        f"{path:8} {rate:3}/s: {run.completed}/{run.calls} completed, "
                        f"DTMF→prompt p99 {run.dtmf_to_prompt_ms['p99']} ms, "
                        f"answer p99 {run.answer_ms['p99']} ms")
    finally:
        await asyncio.to_thread(sandbox.down, settings)
    parameters = {"rates": options.rates, "duration_seconds": options.duration,
                  "call_seconds": sipp.CALL_SECONDS, "keys": list(sipp.KEYS),
                  "paths": options.paths, "menu_file": str(MENU_FILE.relative_to(REPO)),
                  "database": database_url.split(":", 1)[0],
                  "engine_log_level": options.log_level, "problems": problems}
    stem = "ivr_load-" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return report.write(options.results_dir, stem, machine, parameters, runs)


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="10,40,80",
                        help="calls per second, comma-separated (default: 10,40,80)")
    parser.add_argument("--duration", type=float, default=20.0,
                        help="seconds of new calls per rate and path (default: 20)")
    parser.add_argument("--paths", default=",".join(PATHS),
                        help="dialplan, engine or both (default: dialplan,engine)")
    parser.add_argument("--database-url", help="the engine's database "
                        "(default: a new SQLite file in the work directory)")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING"),
                        help="the engine's log level (default: INFO, as in production)")
    parser.add_argument("--py-spy", action="store_true",
                        help="profile the engine with py-spy (pip install py-spy into .venv); "
                             "collapsed stacks in the work directory; skews the engine's CPU")
    parser.add_argument("--work-dir", type=Path,
                        help="where sipp's files, the engine's log and database go "
                             "(default: a new temporary directory, kept)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if args.py_spy and not PY_SPY.exists():
        parser.error(f"--py-spy: {PY_SPY} is missing; .venv/bin/pip install py-spy")
    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    if not paths or set(paths) - set(PATHS):
        parser.error(f"--paths: choose from {', '.join(PATHS)}")
    rates = [int(r) for r in args.rates.split(",") if r.strip()]
    if not rates or min(rates) < 1:
        parser.error("--rates: positive integers, e.g. 10,40,80")
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="centralino-ivr-load-"))
    return Options(rates=rates, duration=args.duration, paths=paths,
                   database_url=args.database_url, log_level=args.log_level,
                   py_spy=args.py_spy,
                   work_dir=work_dir.resolve(), results_dir=args.results_dir)


def main() -> int:
    return run_benchmark(benchmark(parse_args()), console, "sipp, the engine and the sandbox")

if __name__ == "__main__":
    sys.exit(main())
