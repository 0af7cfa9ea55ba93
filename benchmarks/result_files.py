"""A benchmark run's two result files (JSON with every number, Markdown with the tables) and
the line that says which machine they come from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write(directory: Path, stem: str, data: dict[str, Any], markdown: str) -> tuple[Path, Path]:
    """Write ``directory/stem.json`` and ``directory/stem.md``; return both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / f"{stem}.json"
    json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    md_path = directory / f"{stem}.md"
    md_path.write_text(markdown, encoding="utf-8")
    return json_path, md_path


def machine_line(machine: dict[str, Any]) -> str:
    """The machine of :func:`benchmarks.measure.machine_details`, in one sentence."""
    m = machine
    return (f"{m['cpu_model']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['kernel']}; "
            f"{m['asterisk']}; Python {m['python']}; {m['sipp']}.")
