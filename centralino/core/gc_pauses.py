"""Python's garbage collector, kept from stalling calls: startup objects frozen, pauses measured.

A full (generation 2) collection walks every tracked object and stops the event loop while it
does; with the engine's menus, models and libraries loaded, that measured 170-260 ms, a
prompt late for every call at that moment. What exists once the engine is up lives until it
stops, so it is frozen out of collections (``gc.freeze``); what calls create stays collected.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from centralino.core import metrics

_started: list[float] = []


def freeze_startup_objects() -> None:
    """Collect once, then keep every object alive now out of all later collections."""
    gc.collect()
    gc.freeze()


def watch_gc_pauses() -> None:
    """Record each collection's pause in ``centralino_gc_pause_seconds`` (by generation)."""
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started[:] = [time.perf_counter()]
    elif _started:
        pause = time.perf_counter() - _started[0]
        metrics.child(metrics.GC_PAUSE_SECONDS, str(info["generation"])).observe(pause)
