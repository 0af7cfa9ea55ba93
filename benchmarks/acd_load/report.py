"""The ACD benchmark's results: one JSON file and one Markdown file per run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import result_files

PASSES = ("app_queue", "engine")


@dataclass
class PassRun:
    """One pass: ``app_queue`` alone (no engine) or with the ``engine`` running."""

    name: str
    calls: int
    completed: int  # a seat answered (AgentConnect)
    abandoned: int  # hung up while waiting (QueueCallerAbandon)
    served_per_second: float | None  # answered callers per second, first join to last answer
    join_to_ring_ms: dict[str, Any]  # QueueCallerJoin -> first AgentCalled
    cpu_seconds: dict[str, float]  # process -> CPU seconds while the pass ran
    others_busy_percent: float  # of all cores: processes other than these (other users' work)
    wall_seconds: float
    originate_errors: int = 0
    ring_to_pop_ms: dict[str, Any] | None = None  # AgentCalled -> pop on the console (engine)
    rings_without_pop: int | None = None  # seats rung whose operator's console got no pop
    event_loop_lag_max_ms: float | None = None
    engine: dict[str, Any] = field(default_factory=dict)  # its /metrics counters after the pass

    @property
    def unfinished(self) -> int:
        """Callers seen neither answered nor abandoned (an Originate that failed, ...)."""
        return self.calls - self.completed - self.abandoned

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "unfinished": self.unfinished}


def _ratio(a: float | None, b: float | None) -> float | None:
    """a / b, both counted as at least 1 ms (a latency under the clocks' step)."""
    if a is None or b is None:
        return None
    return round(max(a, 1.0) / max(b, 1.0), 2)


def comparison(runs: list[PassRun]) -> dict[str, Any] | None:
    """Queue join -> seat ringing with the engine, against app_queue alone."""
    by_name = {r.name: r for r in runs}
    if not set(PASSES) <= by_name.keys():
        return None
    engine, alone = by_name["engine"].join_to_ring_ms, by_name["app_queue"].join_to_ring_ms
    return {f"join_to_ring_{p}": _ratio(engine[p], alone[p]) for p in ("p50", "p95", "p99", "max")}


def write(directory: Path, stem: str, machine: dict[str, Any], parameters: dict[str, Any],
          runs: list[PassRun]) -> tuple[Path, Path]:
    data = {"benchmark": "acd_load", "machine": machine, "parameters": parameters,
            "runs": [r.to_dict() for r in runs], "engine_vs_app_queue": comparison(runs)}
    return result_files.write(directory, stem, data, markdown(data, runs))


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _spread(d: dict[str, Any] | None) -> str:
    if d is None:
        return "-"
    return " / ".join(_ms(d[p]) for p in ("p50", "p95", "p99", "max"))


def markdown(data: dict[str, Any], runs: list[PassRun]) -> str:
    p = data["parameters"]
    lines = [
        f"# ACD load benchmark — {data['machine']['date']}",
        "",
        result_files.machine_line(data["machine"]),
        "",
        f"{p['seats']} auto-answering seats (sipp), {p['calls']} callers per pass at "
        f"{p['rate']:g}/s, {p['talk_seconds']:g} s of talk, patience {p['patience_seconds']:g} s, "
        f"wrap-up {p['wrapup_seconds']} s: arrivals {p['rate']:g}/s against at most "
        f"{p['service_rate']:g}/s the seats could serve with no gap between calls. Times in ms "
        "(p50 / p95 / p99 / max); CPU while the pass ran; others: the rest of the machine's busy "
        "time, of all cores (other users' work: if it is large, run again).",
        "",
        "| pass | calls | completed | abandoned | unfinished | served/s | "
        "queue join → seat ringing | AgentCalled → pop on console | rings without pop | "
        "CPU s Asterisk | CPU s engine | others busy | loop lag max |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: |",
    ]
    for r in sorted(runs, key=lambda r: PASSES.index(r.name)):
        engine_cpu = r.cpu_seconds.get("engine")
        served = "-" if r.served_per_second is None else f"{r.served_per_second:g}"
        lines.append(
            f"| {r.name} | {r.calls} | {r.completed} | {r.abandoned} | {r.unfinished} | "
            f"{served} | {_spread(r.join_to_ring_ms)} | {_spread(r.ring_to_pop_ms)} | "
            f"{'-' if r.rings_without_pop is None else r.rings_without_pop} | "
            f"{r.cpu_seconds['asterisk']:.1f} | "
            f"{'-' if engine_cpu is None else f'{engine_cpu:.1f}'} | "
            f"{r.others_busy_percent:.0f}% | {_ms(r.event_loop_lag_max_ms)} |")
    if data["engine_vs_app_queue"]:
        c = data["engine_vs_app_queue"]
        lines += ["", "## Engine / app_queue alone", "",
                  "| queue join → seat ringing | p50 | p95 | p99 | max |",
                  "| --- | ---: | ---: | ---: | ---: |",
                  "| ratio | " + " | ".join(
                      "-" if c[f"join_to_ring_{q}"] is None else f"{c[f'join_to_ring_{q}']:g}x"
                      for q in ("p50", "p95", "p99", "max")) + " |"]
    for problem in p.get("problems", []):
        lines += ["", f"**Not measured:** {problem}"]
    lines += ["", "How to read this: see `benchmarks/acd_load/README.md`.", ""]
    return "\n".join(lines)
