"""Free space of the recordings' file system: always a metric, a warning line when it runs low."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import NamedTuple

import pytest
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from recordings.disk import check_free_space

MB = 1024 * 1024
TOTAL = 100 * 1024 * MB


class DiskUsage(NamedTuple):  # what shutil.disk_usage returns
    total: int
    used: int
    free: int


def free_space_is(monkeypatch: pytest.MonkeyPatch, free_bytes: int) -> None:
    """The file system reports ``free_bytes`` free (of 100 GB)."""
    monkeypatch.setattr(shutil, "disk_usage",
                        lambda _path: DiskUsage(TOTAL, TOTAL - free_bytes, free_bytes))


def disk_free_gauge() -> float | None:
    return REGISTRY.get_sample_value("centralino_recordings_disk_free_bytes")


def test_below_the_minimum_the_gauge_shows_the_free_bytes_and_a_warning_is_logged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    free_space_is(monkeypatch, 300 * MB + 5)

    with capture_logs() as logs:
        free = check_free_space(tmp_path, min_free_mb=500)

    assert free == disk_free_gauge() == 300 * MB + 5
    assert logs == [{"event": "recordings.disk_low", "log_level": "warning",
                     "folder": str(tmp_path), "free_mb": 300, "min_free_mb": 500}]


@pytest.mark.parametrize("free_mb", [500, 2048])
def test_at_or_above_the_minimum_the_gauge_is_set_and_nothing_is_logged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, free_mb: int) -> None:
    free_space_is(monkeypatch, free_mb * MB)

    with capture_logs() as logs:
        check_free_space(tmp_path, min_free_mb=500)

    assert disk_free_gauge() == free_mb * MB
    assert logs == []


def test_the_real_file_system_is_measured_in_a_folder_made_if_missing(tmp_path: Path) -> None:
    folder = tmp_path / "var" / "recordings"

    free = check_free_space(folder, min_free_mb=0)

    assert folder.is_dir()
    assert free > 0
    assert disk_free_gauge() == free
