"""The voicemail benchmark's results: one JSON file and one Markdown file per run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import result_files


@dataclass
class LoopLag:
    """The engine's event-loop lag from its /metrics, in ms."""

    max_ms: float | None  # the largest since the engine started, read after the run
    before_calls_ms: float | None  # the same, read just before the first call (start-up)
    run_bound_ms: float | None  # the run's samples all fell at or under this histogram bucket
    samples_over_100ms: int | None  # the run's samples above 100 ms

    @property
    def run_max_ms(self) -> float | None:
        """The run's own largest lag, when it beat start-up's (else only the bound is known)."""
        if self.max_ms is None or self.before_calls_ms is None:
            return None
        return self.max_ms if self.max_ms > self.before_calls_ms else None


@dataclass
class VoicemailRun:
    callers: int
    message_seconds: float
    calls_completed: int  # sipp ended the call as scripted (INVITE, speech, BYE, 200)
    hang_ups_seen: int  # callers whose channel's end Asterisk reported over ARI
    stored: int  # callers with a voicemail row
    playable: int  # callers whose message the console could play
    without_web_copy: int  # a row whose web_path is NULL (the conversion failed)
    extra_rows: int  # rows beyond one per caller (a message stored twice)
    refused: dict[str, int]  # GET /recordings/{id}/audio: status → how often, besides 200
    hang_up_to_stored_s: dict[str, Any]  # Asterisk's hang-up → the row's ingested_at
    hang_up_to_playable_s: dict[str, Any]  # Asterisk's hang-up → the console's 200
    loop_lag: LoopLag
    cpu_seconds: dict[str, float]  # process → CPU seconds from the first call to the end
    others_busy_percent: float  # of all cores: processes other than these (other users' work)
    wall_seconds: float
    engine: dict[str, Any] = field(default_factory=dict)  # its /metrics counters after the run
    sipp_failures: list[str] = field(default_factory=list)  # the first few sipp errors

    @property
    def missing(self) -> int:
        """Callers whose message never became playable before the benchmark gave up."""
        return self.callers - self.playable

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["loop_lag"]["run_max_ms"] = self.loop_lag.run_max_ms
        return {**data, "missing": self.missing}


def write(directory: Path, stem: str, machine: dict[str, Any], parameters: dict[str, Any],
          run: VoicemailRun | None) -> tuple[Path, Path]:
    data = {"benchmark": "voicemail_load", "machine": machine, "parameters": parameters,
            "run": run.to_dict() if run else None}
    return result_files.write(directory, stem, data, markdown(data, run))


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _spread(d: dict[str, Any]) -> str:
    return " / ".join(_s(d[p]) for p in ("p50", "p95", "p99", "max"))


def _lag(lag: LoopLag) -> str:
    if lag.run_max_ms is not None:
        return f"{_ms(lag.run_max_ms)} ms"
    return (f"≤ {_ms(lag.run_bound_ms)} ms (start-up's {_ms(lag.before_calls_ms)} ms was "
            "larger)")


def markdown(data: dict[str, Any], run: VoicemailRun | None) -> str:
    p = data["parameters"]
    lines = [
        f"# Voicemail load benchmark — {data['machine']['date']}",
        "",
        result_files.machine_line(data["machine"]),
        "",
        f"{p['callers']} sipp callers at once, each saying {p['message_seconds']:g} s of "
        "espeak-ng speech after the greeting and the beep, then hanging up; the engine "
        f"(database: {p['database']}, web copy: {p['web_format']}) stores and converts the "
        "messages. Times in seconds (p50 / p95 / p99 / max) from the caller's hang-up "
        "(Asterisk's ARI event) to the row in the database, and to the console's player "
        f"getting the audio (polled every {p['poll_seconds']:g} s). Load average at the start: "
        f"{' '.join(data['machine']['load_average'])}.",
        "",
    ]
    if run is not None:
        lines += [
            "| callers | calls completed | stored | playable | missing | no web copy | "
            "hang-up → stored | hang-up → playable | loop lag max | CPU s Asterisk | "
            "CPU s engine | others busy |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| {run.callers} | {run.calls_completed} | {run.stored} | {run.playable} | "
            f"{run.missing} | {run.without_web_copy} | {_spread(run.hang_up_to_stored_s)} | "
            f"{_spread(run.hang_up_to_playable_s)} | {_lag(run.loop_lag)} | "
            f"{run.cpu_seconds.get('asterisk', 0):.1f} | {run.cpu_seconds.get('engine', 0):.1f} | "
            f"{run.others_busy_percent:.0f}% |",
            "",
            f"Hang-ups Asterisk reported: {run.hang_ups_seen}; rows beyond one per caller: "
            f"{run.extra_rows}; audio requests refused: {run.refused or 'none'}; event-loop "
            f"samples over 100 ms during the run: {run.loop_lag.samples_over_100ms}; "
            f"wall time {run.wall_seconds:.0f} s.",
        ]
        for failure in run.sipp_failures:
            lines += ["", f"sipp: `{failure}`"]
    for problem in p.get("problems", []):
        lines += ["", f"**Not measured:** {problem}"]
    if p.get("also_running"):
        lines += ["", "Also busy on the machine as the run started (ps: CPU share over each "
                  f"process's life): {p['also_running']}"]
    lines += ["", "How to read this: see `benchmarks/voicemail_load/README.md`.", ""]
    return "\n".join(lines)
