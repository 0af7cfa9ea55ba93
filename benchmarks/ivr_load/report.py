"""The benchmark's results: one JSON file and one Markdown file per run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import result_files

GOAL_P99_MS = {40: 25.0, 80: 100.0}
"""DTMF -> next-prompt p99 the engine should stay within, by rate (calls/s)."""


@dataclass
class PathRun:
    """One path (``engine`` or ``dialplan``) at one rate."""

    path: str
    rate: int
    calls: int
    sipp_successful: int
    sipp_failed: int
    menu_completed: int  # channels on which every key was answered by its prompt
    answer_ms: dict[str, Any]
    dtmf_to_prompt_ms: dict[str, Any]
    cpu_seconds: dict[str, float]  # process -> CPU seconds while the calls ran
    machine_busy_percent: float  # of all cores, while the calls ran
    others_busy_percent: float  # of that, processes other than these (other users' work)
    steal_percent: float  # of all cores: time the hypervisor gave to other machines
    wall_seconds: float
    event_loop_lag_max_ms: float | None = None
    observer: dict[str, Any] = field(default_factory=dict)
    engine: dict[str, Any] = field(default_factory=dict)  # its /metrics counters after the run

    @property
    def completed(self) -> int:
        """Calls sipp saw through to the IVR's BYE *and* that heard every prompt."""
        return min(self.sipp_successful, self.menu_completed)

    @property
    def failed(self) -> int:
        return self.calls - self.completed

    def cpu_ms_per_call(self, process: str) -> float | None:
        if process not in self.cpu_seconds or not self.completed:
            return None
        return self.cpu_seconds[process] / self.completed * 1000

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "completed": self.completed, "failed": self.failed,
                "cpu_seconds_per_call": {p: s / self.completed if self.completed else None
                                         for p, s in self.cpu_seconds.items()}}


def _ratio(a: float | None, b: float | None, floor: float = 0.0) -> float | None:
    """a / b; with ``floor``, both count as at least that (a latency below the clock's step)."""
    if a is None or b is None:
        return None
    a, b = max(a, floor), max(b, floor)
    return round(a / b, 2) if b else None


def _latency_ratio(a: float | None, b: float | None) -> float | None:
    return _ratio(a, b, floor=1.0)  # Asterisk's and sipp's clocks step by 1 ms


def comparisons(runs: list[PathRun]) -> list[dict[str, Any]]:
    """Engine / dialplan at each rate both paths ran."""
    rows = []
    for rate in sorted({r.rate for r in runs}):
        by_path = {r.path: r for r in runs if r.rate == rate}
        if {"engine", "dialplan"} <= by_path.keys():
            e, d = by_path["engine"], by_path["dialplan"]
            e_cpu = sum(v for v in (e.cpu_ms_per_call("engine"), e.cpu_ms_per_call("asterisk"))
                        if v is not None)
            rows.append({
                "rate": rate,
                "completed": _ratio(e.completed, d.completed),
                "answer_p50": _latency_ratio(e.answer_ms["p50"], d.answer_ms["p50"]),
                "answer_p99": _latency_ratio(e.answer_ms["p99"], d.answer_ms["p99"]),
                "dtmf_p50": _latency_ratio(e.dtmf_to_prompt_ms["p50"], d.dtmf_to_prompt_ms["p50"]),
                "dtmf_p99": _latency_ratio(e.dtmf_to_prompt_ms["p99"], d.dtmf_to_prompt_ms["p99"]),
                "asterisk_cpu_per_call": _ratio(e.cpu_ms_per_call("asterisk"),
                                                d.cpu_ms_per_call("asterisk")),
                "total_cpu_per_call": _ratio(e_cpu or None, d.cpu_ms_per_call("asterisk")),
            })
    return rows


def goals(runs: list[PathRun]) -> list[dict[str, Any]]:
    rows = []
    for rate in sorted({r.rate for r in runs}):
        by_path = {r.path: r for r in runs if r.rate == rate}
        engine = by_path.get("engine")
        if engine is None:
            continue
        if "dialplan" in by_path:
            baseline = by_path["dialplan"].completed
            rows.append({"rate": rate, "goal": "engine completes every call the dialplan "
                         "path completes", "target": f">= {baseline}",
                         "value": engine.completed, "pass": engine.completed >= baseline})
        if rate in GOAL_P99_MS:
            p99 = engine.dtmf_to_prompt_ms["p99"]
            rows.append({"rate": rate, "goal": "engine DTMF -> next prompt p99",
                         "target": f"<= {GOAL_P99_MS[rate]:g} ms", "value": p99,
                         "pass": p99 is not None and p99 <= GOAL_P99_MS[rate]})
    return rows


def write(directory: Path, stem: str, machine: dict[str, Any], parameters: dict[str, Any],
          runs: list[PathRun]) -> tuple[Path, Path]:
    data = {"benchmark": "ivr_load", "machine": machine, "parameters": parameters,
            "runs": [r.to_dict() for r in runs], "engine_vs_dialplan": comparisons(runs),
            "goals": goals(runs)}
    return result_files.write(directory, stem, data, markdown(data, runs))


def _ms(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def markdown(data: dict[str, Any], runs: list[PathRun]) -> str:
    m, p = data["machine"], data["parameters"]
    lines = [
        f"# IVR load benchmark — {m['date']}",
        "",
        result_files.machine_line(m),
        "",
        f"Calls of ~{p['call_seconds']:g} s (keys {', '.join(p['keys'])}, three menu levels), "
        f"{p['duration_seconds']:g} s of calls per rate and path; engine database "
        f"`{p['database']}`, engine log level {p['engine_log_level']}. Times in ms; CPU per "
        "completed call, while the calls ran.",
        "",
        "| rate/s | path | calls | completed | failed | answer p50 / p99 | "
        "DTMF→prompt p50 / p95 / p99 / max | CPU/call engine | CPU/call Asterisk | "
        "machine busy (others, steal) | loop lag max |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in sorted(runs, key=lambda r: (r.rate, r.path != "dialplan")):
        a, d = r.answer_ms, r.dtmf_to_prompt_ms
        lines.append(
            f"| {r.rate} | {r.path} | {r.calls} | {r.completed} | {r.failed} | "
            f"{_ms(a['p50'])} / {_ms(a['p99'])} | "
            f"{_ms(d['p50'])} / {_ms(d['p95'])} / {_ms(d['p99'])} / {_ms(d['max'])} | "
            f"{_ms(r.cpu_ms_per_call('engine'), 1)} | {_ms(r.cpu_ms_per_call('asterisk'), 1)} | "
            f"{r.machine_busy_percent:.0f}% ({r.others_busy_percent:.0f}%, "
            f"{r.steal_percent:.0f}%) | "
            f"{_ms(r.event_loop_lag_max_ms)} |")
    if data["engine_vs_dialplan"]:
        lines += ["", "## Engine / dialplan", "",
                  "| rate/s | completed | answer p50 | answer p99 | DTMF→prompt p50 | "
                  "DTMF→prompt p99 | Asterisk CPU/call | engine+Asterisk CPU/call |",
                  "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for c in data["engine_vs_dialplan"]:
            cells = [c[k] for k in ("completed", "answer_p50", "answer_p99", "dtmf_p50",
                                    "dtmf_p99", "asterisk_cpu_per_call", "total_cpu_per_call")]
            lines.append(f"| {c['rate']} | " + " | ".join(
                "-" if v is None else f"{v:g}x" for v in cells) + " |")
    if data["goals"]:
        lines += ["", "## Goals", "", "| rate/s | goal | target | engine | pass |",
                  "| ---: | --- | --- | ---: | --- |"]
        for g in data["goals"]:
            value = "-" if g["value"] is None else f"{g['value']:g}"
            lines.append(f"| {g['rate']} | {g['goal']} | {g['target']} | {value} | "
                         f"{'PASS' if g['pass'] else 'FAIL'} |")
    for problem in p.get("problems", []):
        lines += ["", f"**Not measured:** {problem}"]
    lines += ["", "How to read this: see `benchmarks/ivr_load/README.md`.", ""]
    return "\n".join(lines)
