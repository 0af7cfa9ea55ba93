"""The secrets file is created 0600 with no moment where others can read it, stays 0600, and a
file others can read is reported when it is loaded."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from structlog.testing import capture_logs

import config.secrets
from config.loader import ConfigError
from config.secrets import SECRETS_FILE_ENV, load_secrets


@pytest.fixture
def secrets_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "conf" / "secrets.yaml"
    monkeypatch.setenv(SECRETS_FILE_ENV, str(path))
    return path


@pytest.fixture
def open_umask():  # type: ignore[no-untyped-def]
    old = os.umask(0)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_file_is_created_0600_even_with_an_open_umask(secrets_path: Path,
                                                           open_umask: None) -> None:
    load_secrets(["seat1"])
    assert mode(secrets_path) == 0o600


def test_no_one_else_can_read_the_new_file_before_it_is_in_place(
        secrets_path: Path, open_umask: None, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real_replace = os.replace

    def replace(src: str | Path, dst: str | Path) -> None:
        seen.append(mode(Path(src)))
        real_replace(src, dst)

    monkeypatch.setattr(config.secrets.os, "replace", replace)
    secrets_path.parent.mkdir()
    secrets_path.with_suffix(".tmp").write_text("left over\n")  # from a crash, mode 0666
    os.chmod(secrets_path.with_suffix(".tmp"), 0o666)

    load_secrets(["seat1"])

    assert seen == [0o600]
    assert not secrets_path.with_suffix(".tmp").exists()


def test_a_rewrite_keeps_the_file_0600(secrets_path: Path, open_umask: None) -> None:
    load_secrets(["seat1"])
    first = secrets_path.read_text()
    load_secrets(["seat1", "seat2"])  # a new seat: the file is written again
    assert mode(secrets_path) == 0o600 and secrets_path.read_text() != first


def test_loading_a_file_others_can_read_warns_with_its_name_and_mode(secrets_path: Path) -> None:
    load_secrets(["seat1"])
    os.chmod(secrets_path, 0o644)

    with capture_logs() as logs:
        load_secrets(["seat1"])

    [warning] = [entry for entry in logs if entry["event"] == "secrets.file_readable_by_others"]
    assert warning["log_level"] == "warning"
    assert (warning["file"], warning["mode"]) == (str(secrets_path), "0644")


def test_a_private_file_loads_without_a_warning(secrets_path: Path) -> None:
    load_secrets(["seat1"])
    with capture_logs() as logs:
        load_secrets(["seat1"])
    assert logs == []


def test_a_broken_secrets_file_is_a_config_error_with_its_line(secrets_path: Path) -> None:
    secrets_path.parent.mkdir()
    secrets_path.write_bytes(b"ami_secret: x\nari_password: \xff\n")
    os.chmod(secrets_path, 0o600)

    with pytest.raises(ConfigError) as caught:
        load_secrets(["seat1"])

    [problem] = caught.value.problems
    assert (problem.file, problem.line) == (str(secrets_path), 2)
    assert "not UTF-8" in problem.message
