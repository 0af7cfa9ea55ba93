"""Summarise py-spy's collapsed stacks (``run.py --py-spy``): where the engine spends its CPU.

    .venv/bin/python benchmarks/ivr_load/profile_summary.py WORK_DIR/engine-80/engine-profile.txt
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<function>.+?) \((?P<file>[^)]+?)(?::\d+)?\)$")


def _short(frame: str) -> str:
    match = _FRAME.match(frame)
    if match is None:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "/lib/python3", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match['function']} ({path})"


def _package(frame: str) -> str:
    """``sqlalchemy``, ``asyncio``, ``centralino``...: the first folder of the frame's file."""
    match = re.search(r"\((?P<file>[^)]+)\)$", frame)
    return match["file"].split("/", 1)[0].removesuffix(".py") if match else frame


def summarise(path: Path, top: int) -> str:
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = [_short(f) for f in stack.split(";") if f and not f.startswith("process ")
                  and not f.startswith("thread ")]
        total += samples
        if frames:
            own[frames[-1]] += samples
            packages[_package(frames[-1])] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    lines = [f"{total} samples", "", "self time by package:"]
    lines += [f"{100 * n / total:5.1f}%  {p}" for p, n in packages.most_common(top)]
    lines += ["", "self time:"]
    lines += [f"{100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    lines += ["", "inclusive time:"]
    lines += [f"{100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    print(summarise(args.profile, args.top))


if __name__ == "__main__":
    main()
