"""Outbound load benchmark: one list dialled by a plain AMI Originate loop and by the engine.

    .venv/bin/python benchmarks/outbound_load/run.py --contacts 2000

Starts its own sandbox Asterisk (instance ``obbench``, 26xxx ports) whose trunk's outbound
contact is the campaign tests' sipp customers, and dials the same list twice under the same
caps (max_channels 100, calls_per_second 20): first by a plain AMI ``Originate`` loop into
``campaign-dial`` (:mod:`plain_loop`), then by the engine (``centralino run``) running the
benchmark's campaign (``campaign.yaml``, made and started in its database). Writes
``benchmarks/results/outbound_load-<date>.{md,json}``. See README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import pstats
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(1, str(REPO))  # run as a script: benchmarks.* and the campaign tests' customers

import campaign
import httpx
import report
from attempts import WANTED, AttemptClock, busiest_second, closest_ms
from invites import calls_per_number, customers_phone
from plain_loop import PlainLoop, dialplan
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from benchmarks import measure
from benchmarks.engine_process import Engine
from benchmarks.entry import prepare_work_dir, run_benchmark
from benchmarks.ivr_load.observer import observe
from centralino.core.ami import AmiClient
from centralino.core.sandbox import process as sandbox
from config.loader import load_settings
from config.secrets import load_secrets
from config.settings import Settings
from tests.integration.outbound.customers import HUMAN, MACHINE

RESULTS_DIR = REPO / "benchmarks" / "results"
CUSTOMERS_PORT = 26170
IDLE_SAMPLE_SECONDS = 5.0
SETTINGS = """\
version: 1
database_url: {database_url}
web: {{port: 26190}}
asterisk:
  ami: {{port: 26138}}
  ari: {{port: 26188}}
  sip: {{port: 26160}}
sandbox: {{instance: obbench}}
toll_free: {{outbound_contact: "sip:127.0.0.1:{customers_port}"}}
outbound: {{max_channels: {max_channels}, calls_per_second: {calls_per_second:g},
           attempts_per_day: 20, attempts_per_week: 100}}
logging: {{level: {log_level}, format: json}}
"""

console = Console()


@dataclass(frozen=True)
class Options:
    contacts: int
    passes: tuple[str, ...]
    profile: bool
    database_url: str | None
    log_level: str
    work_dir: Path
    results_dir: Path


@dataclass
class Pass:
    """What a pass needs besides its dialling: the sandbox, the caps, the processes to time."""

    settings: Settings
    password: str  # ARI's
    numbers: list[str]
    pids: dict[str, int]
    progress: Progress


def time_limit(contacts: int) -> float:
    """Seconds a pass may take: twice the slower cap's bound with calls of ~15 s, and room."""
    file = campaign.campaign_file()
    bound = max(contacts / file.pacing.calls_per_second, contacts * 15 / file.pacing.max_channels)
    return 2 * bound + 120


async def run_pass(name: str, setup: Pass, work_dir: Path,
                   dial: Callable[[Callable[[int], None]], Coroutine[Any, Any, None]],
                   sent: Callable[[], list[float]],
                   settled: Callable[[], Awaitable[bool]] | None = None) -> report.PassRun:
    """Dial the list with ``dial(placed)`` while the customers answer and the observer times
    every attempt; done when every attempt has ended (and ``settled()`` says so). ``sent()``:
    when the dialler sent each Originate, by its own clock."""
    file = campaign.campaign_file()
    clock = AttemptClock()
    total = len(setup.numbers)
    task = setup.progress.add_task(f"{name:10}", total=total)
    messages = work_dir / f"customers-{name}.log"
    errors: list[str] = []
    async with customers_phone(CUSTOMERS_PORT, messages) as phone, \
            observe(setup.settings, setup.password, clock, WANTED) as connection:
        pids = setup.pids | {"customers": phone.pid}
        cpu_before_by = {process: measure.cpu_seconds(pid) for process, pid in pids.items()}
        own_before = measure.own_cpu_seconds()
        started = time.monotonic()
        deadline = started + time_limit(total)

        def placed(count: int) -> None:
            setup.progress.update(task, description=f"{name:10} {count} placed",
                                  completed=clock.ended)

        dialling = asyncio.create_task(dial(placed))
        while time.monotonic() < deadline:
            setup.progress.update(task, completed=clock.ended)
            if clock.ended >= total and dialling.done() and (settled is None or await settled()):
                break
            if dialling.done() and dialling.exception() is not None:
                break
            await asyncio.sleep(0.5)
        else:
            errors.append(f"not finished within {time_limit(total):.0f} s")
        if not dialling.done():
            dialling.cancel()
        with_exception = await asyncio.gather(dialling, return_exceptions=True)
        errors += [f"dialling failed: {e!r}" for e in with_exception if isinstance(e, Exception)]
        wall = time.monotonic() - started
        cpu = {process: round(measure.cpu_seconds(pid) - cpu_before_by[process], 2)
               for process, pid in pids.items()}
        cpu["benchmark"] = round(measure.own_cpu_seconds() - own_before, 2)
        if connection.dropped:
            errors.append("the observer's ARI connection was dropped: times are incomplete")
    calls = calls_per_number(messages)
    most, average = clock.in_flight()
    sends = sorted(sent())
    humans, machines = frozenset(HUMAN), frozenset(MACHINE)
    return report.PassRun(
        name=name, contacts=total, originated=len(clock.attempts), ended=clock.ended,
        dial_statuses=clock.dial_statuses(), busiest_second=busiest_second(clock.originations()),
        closest_ms=closest_ms(clock.originations()),
        sent_busiest_second=busiest_second(sends) if sends else None,
        sent_closest_ms=closest_ms(sends),
        attempts_per_second=round(len(clock.attempts) / max(clock.dialling_seconds(), 1e-9), 2),
        in_flight_max=most, in_flight_avg=round(average, 1),
        originate_to_ringing_ms=measure.distribution(clock.spans_ms("originated", "ringing")),
        answer_to_prompt_ms=measure.distribution(
            clock.spans_ms("answered", "first_prompt", humans)),
        handover_to_prompt_ms=measure.distribution(
            clock.spans_ms("handed_over", "first_prompt", humans)),
        machine_answer_to_prompt_ms=measure.distribution(
            clock.spans_ms("answered", "first_prompt", machines)),
        finish_seconds=clock.span_seconds(),
        rate_bound_seconds=total / file.pacing.calls_per_second,
        channel_bound_seconds=clock.channel_seconds() / file.pacing.max_channels,
        cpu_seconds=cpu, customer_calls=sum(calls.values()),
        double_dials={number: n for number, n in calls.items() if n > 1},
        never_called=len(set(setup.numbers) - calls.keys()), wall_seconds=round(wall, 1),
        errors=errors)


def dialled_at(log_file: Path) -> list[float]:
    """When the engine sent each Originate: its ``outbound.dialling`` log lines' times."""
    times = []
    with open(log_file, encoding="utf-8", errors="replace") as log:
        for line in log:
            if '"outbound.dialling"' in line:
                with contextlib.suppress(ValueError, KeyError):
                    times.append(datetime.fromisoformat(json.loads(line)["timestamp"])
                                 .timestamp())
    return times


def engine_metrics(settings: Settings) -> dict[str, Any]:
    """The engine's largest event-loop lag (ms), from its /metrics."""
    try:
        samples = measure.engine_metrics(settings)
    except httpx.HTTPError as exc:
        return {"metrics_error": str(exc)}
    lag = samples.get("centralino_event_loop_lag_max_seconds")
    return {"event_loop_lag_max_ms": None if lag is None else round(lag * 1000, 1)}


async def plain_pass(setup: Pass, work_dir: Path, loop: PlainLoop) -> report.PassRun:
    run = await run_pass("plain_loop", setup, work_dir,
                         lambda placed: loop.dial(setup.numbers, placed), lambda: loop.sent)
    run.errors += loop.errors
    return run


def profile_summary(profile: Path, top: int = 40) -> Path:
    """cProfile's statistics as text beside them: by own time, then by inclusive time."""
    text = io.StringIO()
    stats = pstats.Stats(str(profile), stream=text)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    summary = profile.with_suffix(".txt")
    summary.write_text(text.getvalue(), encoding="utf-8")
    return summary


async def engine_pass(setup: Pass, work_dir: Path, config: Path, database_url: str,
                      campaign_id: int, profile: Path | None) -> report.PassRun:
    engine = Engine(config, work_dir / "engine.log", profile)
    try:
        pid = setup.pids["engine"] = engine.start()
        await engine.wait_healthy(setup.settings)
        before = measure.cpu_seconds(pid)
        await asyncio.sleep(IDLE_SAMPLE_SECONDS)  # what it spends with nothing to dial
        idle = (measure.cpu_seconds(pid) - before) / IDLE_SAMPLE_SECONDS

        async def start(_placed: Callable[[int], None]) -> None:
            await campaign.start(database_url, campaign_id)

        async def settled() -> bool:
            return (await campaign.recorded(database_url, campaign_id))[2] == 0

        run = await run_pass("engine", setup, work_dir, start,
                             lambda: dialled_at(work_dir / "engine.log"), settled)
        attempts, dispositions, _ = await campaign.recorded(database_url, campaign_id)
        run.engine = {"attempts": sum(attempts.values()), "dispositions": dict(dispositions),
                      "idle_cpu_percent": round(100 * idle, 2),
                      "numbers_attempted_twice": sum(1 for n in attempts.values() if n > 1),
                      **await asyncio.to_thread(engine_metrics, setup.settings)}
        return run
    finally:
        setup.pids.pop("engine", None)
        engine.stop()


async def benchmark(options: Options) -> tuple[Path, Path]:
    database_url = prepare_work_dir(options.work_dir, options.database_url)
    file = campaign.campaign_file()
    config = options.work_dir / "engine.yaml"
    config.write_text(SETTINGS.format(
        database_url=database_url, customers_port=CUSTOMERS_PORT,
        max_channels=file.pacing.max_channels, calls_per_second=file.pacing.calls_per_second,
        log_level=options.log_level), encoding="utf-8")
    settings = load_settings(config)
    secrets = load_secrets(settings.seats.names)
    numbers = campaign.contact_numbers(options.contacts)
    list_file = options.work_dir / "contacts.csv"
    campaign.write_list(list_file, numbers)
    campaign_id = await campaign.prepare(database_url, list_file)
    where = sandbox.paths(settings)
    where.config_dir.mkdir(parents=True, exist_ok=True)
    # up() writes only the files it renders: this one survives, and extensions.conf includes it.
    (where.config_dir / "extensions_local.conf").write_text(dialplan(), encoding="utf-8")
    await asyncio.to_thread(sandbox.down, settings)  # a sandbox left over by an aborted run
    console.print(f"Starting the sandbox Asterisk (instance obbench); work files in "
                  f"{options.work_dir}")
    status = await asyncio.to_thread(sandbox.up, settings)
    assert status.pid is not None
    ami = AmiClient(settings.asterisk, secrets.ami_secret, probe=True)
    loop = PlainLoop(ami, max_channels=file.pacing.max_channels,
                     calls_per_second=file.pacing.calls_per_second,
                     ring_seconds=file.ring_seconds, caller_id=settings.toll_free.number)
    ami.on_event("UserEvent", loop.on_user_event)
    runs: list[report.PassRun] = []
    problems: list[str] = []
    try:
        await ami.start()
        await ami.wait_fully_booted(30)
        machine = await asyncio.to_thread(measure.machine_details, settings)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as progress:
            setup = Pass(settings, secrets.ari_password, numbers, {"asterisk": status.pid},
                         progress)
            if "plain_loop" in options.passes:
                runs.append(await plain_pass(setup, options.work_dir, loop))
                await asyncio.sleep(3)  # the last calls' channels gone
            if "engine" in options.passes:
                try:
                    profile = options.work_dir / "engine.prof" if options.profile else None
                    runs.append(await engine_pass(setup, options.work_dir, config, database_url,
                                                  campaign_id, profile))
                    if profile is not None:
                        console.print(f"The engine's profile: {profile_summary(profile)}")
                except (RuntimeError, OSError) as exc:
                    problems.append(f"the engine pass did not run: {exc}")
                    console.print(f"[red]{problems[-1]}[/]")
    finally:
        await ami.close()
        await asyncio.to_thread(sandbox.down, settings)
    parameters = {"contacts": options.contacts, "max_channels": file.pacing.max_channels,
                  "calls_per_second": file.pacing.calls_per_second,
                  "ring_seconds": file.ring_seconds, "script": file.script,
                  "kinds": dict(Counter(campaign.KINDS[n[-1]] for n in numbers)),
                  "database": database_url.split(":", 1)[0],
                  "engine_log_level": options.log_level, "engine_profiled": options.profile,
                  "problems": problems}
    stem = "outbound_load-" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return report.write(options.results_dir, stem, machine, parameters, runs)


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=2000,
                        help="contacts in the list (default: 2000; 200 for a quick run)")
    parser.add_argument("--passes", default=",".join(report.PASSES),
                        help="which passes, comma-separated (default: plain_loop,engine)")
    parser.add_argument("--profile", action="store_true",
                        help="run the engine under cProfile (it costs the engine CPU: its CPU "
                             "figures are then not the engine's own); the statistics go to the "
                             "work directory (engine.prof, engine.txt)")
    parser.add_argument("--database-url", help="the engine's database "
                        "(default: a new SQLite file in the work directory)")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING"),
                        help="the engine's log level (default: INFO, as in production)")
    parser.add_argument("--work-dir", type=Path,
                        help="the engine's config, log, database and secrets, the customers' "
                             "SIP logs (default: a new temporary directory, kept)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if not 1 <= args.contacts <= 99_999:
        parser.error("--contacts: 1 to 99999")
    passes = tuple(p.strip() for p in args.passes.split(",") if p.strip())
    if not passes or set(passes) - set(report.PASSES):
        parser.error(f"--passes: some of {', '.join(report.PASSES)}")
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="centralino-outbound-load-"))
    return Options(contacts=args.contacts, passes=passes, profile=args.profile,
                   database_url=args.database_url,
                   log_level=args.log_level, work_dir=work_dir.resolve(),
                   results_dir=args.results_dir)


def main() -> int:
    return run_benchmark(benchmark(parse_args()), console,
                         "the customers, the engine and the sandbox")


if __name__ == "__main__":
    sys.exit(main())
