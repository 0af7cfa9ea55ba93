"""Free space where the recordings go: a metric, and a warning line when it runs low."""

from __future__ import annotations

import shutil
from pathlib import Path

import structlog

from centralino.core import metrics

log = structlog.get_logger(__name__)


def check_free_space(folder: Path, min_free_mb: int) -> int:
    """Measure the free bytes of ``folder``'s file system (created if missing), set the gauge,
    warn below ``min_free_mb``. Blocking (a statvfs): run it in a thread."""
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    metrics.RECORDINGS_DISK_FREE.set(free)
    if free < min_free_mb * 1024 * 1024:
        log.warning("recordings.disk_low", folder=str(folder), free_mb=free // (1024 * 1024),
                    min_free_mb=min_free_mb)
    return free
