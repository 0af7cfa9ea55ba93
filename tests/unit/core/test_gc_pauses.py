"""The collector's pauses are measured, and what exists at startup is kept out of collections."""

from __future__ import annotations

import gc

from prometheus_client import REGISTRY

from centralino.core.gc_pauses import freeze_startup_objects, watch_gc_pauses


def pauses_of(generation: int) -> float:
    """Seconds of pauses recorded for ``generation`` so far."""
    return REGISTRY.get_sample_value("centralino_gc_pause_seconds_sum",
                                     {"generation": str(generation)}) or 0.0


def test_every_collection_adds_its_pause_to_its_generation() -> None:
    watch_gc_pauses()
    watch_gc_pauses()  # once is enough: a second call adds no second callback
    before = pauses_of(2)
    gc.collect()
    assert pauses_of(2) > before
    assert sum(callback.__name__ == "_on_gc" for callback in gc.callbacks) == 1


def test_objects_alive_at_startup_are_frozen_out_of_collections() -> None:
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
