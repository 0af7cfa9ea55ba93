"""The outbound benchmark's results: one JSON file and one Markdown file per run, with the
goals (issue 13) checked for the engine pass."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import result_files

PASSES = ("plain_loop", "engine")
PROMPT_GOAL_MS = 300.0  # handed over (AMD done) -> first prompt, p99
CPU_GOAL_MS = 5.0  # engine CPU per attempt


@dataclass
class PassRun:
    """One pass over the list: the ``plain_loop`` (AMI Originate loop) or the ``engine``."""

    name: str
    contacts: int
    originated: int  # attempts Asterisk took (Local ;1 created)
    ended: int
    dial_statuses: dict[str, int]  # Dial()'s last status -> attempts
    busiest_second: int  # the most attempts originated within any one second (Asterisk's clock)
    closest_ms: float | None  # the shortest gap between two originations (Asterisk's clock)
    sent_busiest_second: int | None  # the same at the sender: Originates sent by the loop
    sent_closest_ms: float | None
    attempts_per_second: float  # attempts / (first to last origination)
    in_flight_max: int  # attempts under way at once (originated, not ended)
    in_flight_avg: float
    originate_to_ringing_ms: dict[str, Any]
    answer_to_prompt_ms: dict[str, Any]  # the customer's 200 -> first prompt (AMD included)
    handover_to_prompt_ms: dict[str, Any]  # the call handed over after AMD -> first prompt
    machine_answer_to_prompt_ms: dict[str, Any]
    finish_seconds: float | None  # first origination -> last attempt's end
    rate_bound_seconds: float  # contacts / calls_per_second
    channel_bound_seconds: float  # the attempts' channel time / max_channels
    cpu_seconds: dict[str, float]  # process -> CPU seconds while the pass ran
    customer_calls: int  # INVITEs with distinct Call-IDs at the customers
    double_dials: dict[str, int]  # number -> calls, for numbers called more than once
    never_called: int  # numbers of the list no INVITE reached
    wall_seconds: float
    errors: list[str] = field(default_factory=list)
    engine: dict[str, Any] = field(default_factory=dict)  # what the engine itself recorded

    @property
    def lower_bound_seconds(self) -> float:
        return max(self.rate_bound_seconds, self.channel_bound_seconds)

    def cpu_ms_per_attempt(self, process: str) -> float | None:
        cpu = self.cpu_seconds.get(process)
        return None if cpu is None or not self.originated else 1000 * cpu / self.originated

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "lower_bound_seconds": self.lower_bound_seconds,
                "cpu_ms_per_attempt": {p: self.cpu_ms_per_attempt(p) for p in self.cpu_seconds}}


def goals(run: PassRun, max_channels: int, calls_per_second: float) -> dict[str, Any]:
    """Issue 13's goals for ``run``: each a measured value and whether it is met."""
    p99 = run.handover_to_prompt_ms.get("p99")
    busiest = run.busiest_second if run.sent_busiest_second is None else run.sent_busiest_second
    cpu = run.cpu_ms_per_attempt("engine")
    return {
        "caps_held": {"busiest_second": busiest, "in_flight_max": run.in_flight_max,
                      "met": busiest <= calls_per_second and run.in_flight_max <= max_channels},
        "zero_double_dials": {"double_dials": len(run.double_dials),
                              "met": not run.double_dials},
        "prompt_p99_ms": {"value": p99, "goal": PROMPT_GOAL_MS,
                          "met": p99 is not None and p99 <= PROMPT_GOAL_MS},
        "engine_cpu_ms_per_attempt": {"value": cpu, "goal": CPU_GOAL_MS,
                                      "met": cpu is not None and cpu <= CPU_GOAL_MS},
    }


def write(directory: Path, stem: str, machine: dict[str, Any], parameters: dict[str, Any],
          runs: list[PassRun]) -> tuple[Path, Path]:
    engine = next((r for r in runs if r.name == "engine"), None)
    data = {"benchmark": "outbound_load", "machine": machine, "parameters": parameters,
            "runs": [r.to_dict() for r in runs],
            "goals": None if engine is None else goals(
                engine, parameters["max_channels"], parameters["calls_per_second"])}
    return result_files.write(directory, stem, data, markdown(data, runs))


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _p50_p99(d: dict[str, Any]) -> str:
    return f"{_ms(d.get('p50'))} / {_ms(d.get('p99'))}"


def _cpu(run: PassRun, process: str) -> str:
    value = run.cpu_ms_per_attempt(process)
    return "-" if value is None else f"{value:.2f}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def markdown(data: dict[str, Any], runs: list[PassRun]) -> str:
    p = data["parameters"]
    ordered = sorted(runs, key=lambda r: PASSES.index(r.name))
    lines = [
        f"# Outbound load benchmark — {data['machine']['date']}",
        "",
        result_files.machine_line(data["machine"]),
        "",
        f"{p['contacts']} contacts (60 % answer and press 1, 15 % busy, 15 % no answer, 10 % "
        f"answering machines; sipp customers behind the trunk), max_channels "
        f"{p['max_channels']}, calls_per_second {p['calls_per_second']:g}, ring "
        f"{p['ring_seconds']} s, dialled through `campaign-dial` (AMD included) by a plain AMI "
        "Originate loop and by the engine's campaign, one after the other on one Asterisk. "
        "Times on Asterisk's clock, in ms (p50 / p99); answer → prompt: humans only, from the "
        "customer's answer (AMD's listening included) and from the hand-over after AMD.",
        "",
        "| pass | attempts | busiest second sent / at Asterisk | closest starts ms sent / at "
        "Asterisk | attempts/s | in flight max / avg | "
        "originate → ringing | answer → prompt | hand-over → prompt | machine answer → prompt "
        "| finish s | lower bound s (rate / channels) | double dials | CPU ms/attempt "
        "Asterisk | CPU ms/attempt engine |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
        "---: | ---: | ---: |",
    ]
    for r in ordered:
        lines.append(
            f"| {r.name} | {r.originated} | {_int(r.sent_busiest_second)} / {r.busiest_second} | "
            f"{_ms(r.sent_closest_ms)} / {_ms(r.closest_ms)} | {r.attempts_per_second:.1f} | "
            f"{r.in_flight_max} / {r.in_flight_avg:.0f} | {_p50_p99(r.originate_to_ringing_ms)} | "
            f"{_p50_p99(r.answer_to_prompt_ms)} | {_p50_p99(r.handover_to_prompt_ms)} | "
            f"{_p50_p99(r.machine_answer_to_prompt_ms)} | {_seconds(r.finish_seconds)} | "
            f"{r.lower_bound_seconds:.0f} ({r.rate_bound_seconds:.0f} / "
            f"{r.channel_bound_seconds:.0f}) | {len(r.double_dials)} | {_cpu(r, 'asterisk')} | "
            f"{_cpu(r, 'engine')} |")
    lines += ["", "| pass | dial statuses | customers' calls | never called | errors |",
              "| --- | --- | ---: | ---: | ---: |"]
    for r in ordered:
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(r.dial_statuses.items()))
        lines.append(f"| {r.name} | {statuses} | {r.customer_calls} | {r.never_called} | "
                     f"{len(r.errors)} |")
    if data["goals"]:
        g = data["goals"]
        lines += ["", "## Goals (engine pass)", "",
                  "| goal | measured | met |", "| --- | --- | --- |",
                  f"| caps held (≤ {p['calls_per_second']:g} Originates sent in any second, ≤ "
                  f"{p['max_channels']} under way) | {g['caps_held']['busiest_second']} in the "
                  f"busiest second, {g['caps_held']['in_flight_max']} under way at most | "
                  f"{_yes(g['caps_held']['met'])} |",
                  f"| zero double dials | {g['zero_double_dials']['double_dials']} | "
                  f"{_yes(g['zero_double_dials']['met'])} |",
                  f"| hand-over → first prompt p99 ≤ {PROMPT_GOAL_MS:.0f} ms | "
                  f"{_ms(g['prompt_p99_ms']['value'])} ms | {_yes(g['prompt_p99_ms']['met'])} |",
                  f"| engine CPU ≤ {CPU_GOAL_MS:g} ms per attempt | "
                  f"{_num(g['engine_cpu_ms_per_attempt']['value'])} ms | "
                  f"{_yes(g['engine_cpu_ms_per_attempt']['met'])} |"]
    engine = next((r for r in runs if r.name == "engine"), None)
    if engine is not None and engine.engine:
        e = engine.engine
        dispositions = ", ".join(f"{k} {v}" for k, v in sorted(e.get("dispositions", {}).items()))
        lines += ["", f"The engine recorded {e.get('attempts')} attempts ({dispositions}), "
                      f"{e.get('numbers_attempted_twice', '-')} numbers with more than one, "
                      f"idle CPU before the campaign started {e.get('idle_cpu_percent')} % of a "
                      "core, "
                      f"event-loop lag at most {_ms(e.get('event_loop_lag_max_ms'))} ms."]
    for problem in p.get("problems", []):
        lines += ["", f"**Not measured:** {problem}"]
    lines += ["", "How to read this: see `benchmarks/outbound_load/README.md`.", ""]
    return "\n".join(lines)


def _int(value: int | None) -> str:
    return "-" if value is None else str(value)


def _yes(met: bool) -> str:
    return "yes" if met else "**no**"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
