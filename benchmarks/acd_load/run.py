"""ACD load benchmark: app_queue alone against app_queue with the engine, one Asterisk.

    .venv/bin/python benchmarks/acd_load/run.py --calls 200 --rate 2

Starts its own sandbox Asterisk (instance ``acdbench``, ports of its own), four auto-answering
seats (sipp) with an operator logged in at each, and sends two streams of callers into the
operators' queue: first with the engine not running (app_queue alone), then with it running
(``centralino run``) and every operator's console open. Writes
``benchmarks/results/acd_load-<date>.{md,json}``. See README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(1, str(REPO))  # run as a script: benchmarks.* and the ACD tests' seat phones

import aiohttp
import httpx
import report
from callers import place_callers
from consoles import PopClock, open_consoles
from queue_observer import WANTED, QueueObserver
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from acd.operators import OperatorDesk
from benchmarks import measure
from benchmarks.engine_process import Engine
from benchmarks.entry import prepare_work_dir, run_benchmark
from centralino.core.ami import AmiClient
from centralino.core.auth.models import Role
from centralino.core.auth.passwords import generate_password
from centralino.core.auth.service import UserExists, add_user, set_password
from centralino.core.db import create_engine, session_factory, upgrade_database
from centralino.core.sandbox import process as sandbox
from config.loader import load_settings
from config.secrets import Secrets, load_secrets
from config.settings import Settings
from tests.integration.acd.sipp_seat import seat_phone

RESULTS_DIR = REPO / "benchmarks" / "results"
PREFIXES = {"app_queue": "39100", "engine": "39200"}  # the callers' numbers, by pass
ANSWER_AFTER_SECONDS = 0.3  # a seat rings this long before it answers (sipp_seat's default)

SETTINGS = """\
version: 1
database_url: {database_url}
web: {{port: 21190}}
asterisk:
  ami: {{port: 21138}}
  ari: {{port: 21188}}
  sip: {{port: 21160}}
sandbox: {{instance: acdbench}}
acd: {{wrapup_seconds: {wrapup}, max_wait_seconds: {max_wait}}}
logging: {{level: {log_level}, format: json}}
"""

console = Console()


@dataclass(frozen=True)
class Options:
    calls: int
    rate: float
    talk: float
    patience: float
    wrapup: int
    database_url: str | None
    log_level: str
    work_dir: Path
    results_dir: Path

    @property
    def service_rate(self) -> float:
        """Callers per second four seats could take at most: ring, talk, wrap-up, no gap."""
        return round(4 / (ANSWER_AFTER_SECONDS + self.talk + self.wrapup), 2)


class Dispatch:
    """Hands the AMI events to the observer of the pass that is running."""

    def __init__(self) -> None:
        self.observer: QueueObserver | None = None

    def __call__(self, event: Any) -> None:
        if self.observer is not None:
            self.observer.feed(event)


async def wait_idle(settings: Settings, timeout: float) -> bool:
    """Wait until Asterisk has no channel up (the pass's callers are all gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(measure.active_channels, settings) == 0:
            return True
        await asyncio.sleep(1)
    return False


def engine_counters(settings: Settings) -> tuple[float | None, dict[str, Any]]:
    """The engine's largest event-loop lag (ms) and what it counted, from its /metrics."""
    try:
        samples = measure.engine_metrics(settings)
    except httpx.HTTPError as exc:
        return None, {"metrics_error": str(exc)}
    lag = samples.get("centralino_event_loop_lag_max_seconds")
    ami = measure.labelled(samples, "centralino_ami_events_total")
    return None if lag is None else round(lag * 1000, 1), {
        "ami_events": sum(ami.values()), "ami_events_top": dict(list(ami.items())[:8])}


async def run_pass(name: str, options: Options, ami: AmiClient, dispatch: Dispatch,
                   settings: Settings, pids: dict[str, int], progress: Progress,
                   pops: PopClock | None = None) -> report.PassRun:
    observer = dispatch.observer = QueueObserver(PREFIXES[name])
    task = progress.add_task(f"{name:9}", total=options.calls)
    cpu_before = {process: measure.cpu_seconds(pid) for process, pid in pids.items()}
    own_before = measure.own_cpu_seconds()
    busy_before, all_before, _ = measure.machine_busy()
    started = time.monotonic()

    def placed(count: int) -> None:
        progress.update(task, completed=observer.finished, description=f"{name:9} {count} placed")

    errors = await place_callers(ami, PREFIXES[name], options.calls, options.rate, options.talk,
                                 options.patience, placed)
    drained = time.monotonic() + options.patience + options.talk + 30
    while observer.finished < options.calls - len(errors) and time.monotonic() < drained:
        progress.update(task, completed=observer.finished)
        await asyncio.sleep(0.5)
    await wait_idle(settings, timeout=max(5.0, drained - time.monotonic()))
    wall = time.monotonic() - started
    cpu = {process: round(measure.cpu_seconds(pid) - cpu_before[process], 2)
           for process, pid in pids.items()}
    cpu["benchmark"] = round(measure.own_cpu_seconds() - own_before, 2)
    busy_after, all_after, _ = measure.machine_busy()
    others = max(0.0, busy_after - busy_before - sum(cpu.values()))
    progress.update(task, completed=observer.finished)
    dispatch.observer = None
    run = report.PassRun(
        name=name, calls=options.calls, completed=len(observer.connected),
        abandoned=len(observer.abandoned - observer.connected.keys()),
        served_per_second=observer.served_per_second(),
        join_to_ring_ms=measure.distribution(observer.join_to_ring_ms()),
        cpu_seconds=cpu,
        others_busy_percent=round(100 * others / max(all_after - all_before, 1e-9), 1),
        wall_seconds=round(wall, 1), originate_errors=len(errors))
    if pops is not None:
        run.ring_to_pop_ms = measure.distribution(pops.ring_to_pop_ms(observer.rung_by_operator))
        run.rings_without_pop = len(observer.rung_by_operator.keys() - pops.arrived.keys())
        run.event_loop_lag_max_ms, run.engine = await asyncio.to_thread(engine_counters,
                                                                        settings)
    return run


async def add_operators(database_url: str, names: list[str]) -> dict[str, str]:
    """The engine's database at the current schema, with an operator user per name (one left
    by an earlier run on the same database gets a new password); name → password."""
    await upgrade_database(database_url)
    db = create_engine(database_url)
    passwords = {}
    try:
        async with session_factory(db)() as session:
            for name in names:
                try:
                    passwords[name] = (await add_user(session, name, Role.OPERATOR))[1]
                except UserExists:
                    passwords[name] = generate_password()
                    await set_password(session, name, passwords[name])
    finally:
        await db.dispose()
    return passwords


def operator_names(settings: Settings) -> list[str]:
    """The benchmark's operators, one per seat: ``op1`` at ``seat1``, ..."""
    return [f"op{n}" for n in range(1, len(settings.seats.names) + 1)]


@contextlib.asynccontextmanager
async def staffed_seats(settings: Settings, secrets: Secrets,
                        ami: AmiClient) -> AsyncIterator[dict[str, int]]:
    """Every seat's phone answering, an operator logged in at each; yields the operators, with
    the process id of the phone at their seat."""
    seats = settings.seats.names
    operators = dict(zip(operator_names(settings), seats, strict=True))
    desk = OperatorDesk(ami, settings.acd, seats)
    async with contextlib.AsyncExitStack() as stack:
        phones = {seat: await stack.enter_async_context(
            seat_phone(settings, seat, secrets.seat_passwords[seat])) for seat in seats}
        for operator, seat in operators.items():
            await desk.login(operator, seat)
        try:
            yield {operator: phones[seat].process.pid for operator, seat in operators.items()}
        finally:
            for operator in operators:
                with contextlib.suppress(Exception):  # best effort: the sandbox stops anyway
                    await desk.logout(operator)


async def benchmark(options: Options) -> tuple[Path, Path]:
    database_url = prepare_work_dir(options.work_dir, options.database_url)
    config = options.work_dir / "engine.yaml"
    config.write_text(SETTINGS.format(
        database_url=database_url, wrapup=options.wrapup,
        max_wait=int(options.patience * 2 + 60),  # nobody leaves by the queue's timeout
        log_level=options.log_level), encoding="utf-8")
    settings = load_settings(config)
    secrets = load_secrets(settings.seats.names)
    passwords = await add_operators(database_url, operator_names(settings))
    await asyncio.to_thread(sandbox.down, settings)  # a sandbox left over by an aborted run
    console.print(f"Starting the sandbox Asterisk (instance acdbench); work files in "
                  f"{options.work_dir}")
    status = await asyncio.to_thread(sandbox.up, settings)
    assert status.pid is not None
    ami = AmiClient(settings.asterisk, secrets.ami_secret, probe=True)
    dispatch = Dispatch()
    for event in WANTED:
        ami.on_event(event, dispatch)
    runs: list[report.PassRun] = []
    problems: list[str] = []
    engine = Engine(config, options.work_dir / "engine.log")
    try:
        await ami.start()
        await ami.wait_fully_booted(30)
        machine = await asyncio.to_thread(measure.machine_details, settings)
        async with staffed_seats(settings, secrets, ami) as operators:
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=console) as progress:
                pids = {"asterisk": status.pid} | {f"phone_{operator}": pid
                                                   for operator, pid in operators.items()}
                runs.append(await run_pass("app_queue", options, ami, dispatch, settings, pids,
                                           progress))
                await asyncio.sleep(options.wrapup + 1)  # every seat ready again
                try:
                    pids["engine"] = engine.start()
                    await engine.wait_healthy(settings)
                    base = f"http://{settings.web.host}:{settings.web.port}"
                    async with open_consoles(base, {op: passwords[op] for op in operators}
                                             ) as pops:
                        runs.append(await run_pass("engine", options, ami, dispatch, settings,
                                                   pids, progress, pops))
                except (RuntimeError, OSError, aiohttp.ClientError) as exc:
                    problems.append(f"the engine pass did not run: {exc}")  # the first counts
                    console.print(f"[red]{problems[-1]}[/]")
    finally:
        engine.stop()
        await ami.close()
        await asyncio.to_thread(sandbox.down, settings)
    parameters = {"calls": options.calls, "rate": options.rate, "talk_seconds": options.talk,
                  "patience_seconds": options.patience, "wrapup_seconds": options.wrapup,
                  "seats": len(settings.seats.names), "service_rate": options.service_rate,
                  "database": database_url.split(":", 1)[0],
                  "engine_log_level": options.log_level, "problems": problems}
    stem = "acd_load-" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return report.write(options.results_dir, stem, machine, parameters, runs)


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200, help="callers per pass (default: 200)")
    parser.add_argument("--rate", type=float, default=2.0,
                        help="callers per second (default: 2, above the seats' service rate)")
    parser.add_argument("--talk", type=float, default=2.0,
                        help="seconds a caller talks once a seat answers (default: 2)")
    parser.add_argument("--patience", type=float, default=30.0,
                        help="seconds a caller waits for a seat before hanging up (default: 30)")
    parser.add_argument("--wrapup", type=int, default=1,
                        help="seconds of wrap-up after each call (default: 1)")
    parser.add_argument("--database-url", help="the engine's database "
                        "(default: a new SQLite file in the work directory)")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING"),
                        help="the engine's log level (default: INFO, as in production)")
    parser.add_argument("--work-dir", type=Path,
                        help="the engine's config, log, database and secrets "
                             "(default: a new temporary directory, kept)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if args.calls < 1:
        parser.error("--calls: at least 1")
    for flag in ("rate", "talk", "patience"):
        if getattr(args, flag) <= 0:
            parser.error(f"--{flag}: a positive number")
    if args.wrapup < 0:
        parser.error("--wrapup: 0 or more")
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="centralino-acd-load-"))
    options = Options(calls=args.calls, rate=args.rate, talk=args.talk, patience=args.patience,
                      wrapup=args.wrapup, database_url=args.database_url,
                      log_level=args.log_level, work_dir=work_dir.resolve(),
                      results_dir=args.results_dir)
    if options.rate <= options.service_rate:
        console.print(f"[yellow]--rate {options.rate:g}/s is not above the seats' service rate "
                      f"(~{options.service_rate:g}/s): the queue will not build up[/]")
    return options


def main() -> int:
    return run_benchmark(benchmark(parse_args()), console, "the seats, the engine and the sandbox")

if __name__ == "__main__":
    sys.exit(main())
