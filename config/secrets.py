"""Secrets (AMI, ARI and seat passwords): from the environment, else from a file outside the repo.

The file (``$CENTRALINO_SECRETS_FILE``, default ``~/.config/centralino/secrets.yaml``) is
generated with random values and mode 0600 the first time it is needed, so the sandbox and the
engine agree on the same passwords without anyone typing them. It is written through a
temporary file created 0600 (never readable by others, whatever the umask) and renamed over the
old one; loading a file that group or others can read logs a warning naming it and its mode.
Environment variables win:
``CENTRALINO_AMI_SECRET``, ``CENTRALINO_ARI_PASSWORD``, ``CENTRALINO_PIN_KEY``,
``CENTRALINO_SESSION_KEY``, ``CENTRALINO_METRICS_TOKEN`` (``Authorization: Bearer`` for
``/metrics``), ``CENTRALINO_CONTROL_TOKEN`` (the CLI's ``centralino reload``),
``CENTRALINO_AMI_TOOLS_SECRET`` (the sandbox's tools AMI user) and
``CENTRALINO_SEAT_PASSWORD_<SEAT>``.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

import structlog
import yaml

from config.loader import ConfigError, ConfigProblem
from config.safe_yaml import YamlRefused, parse_yaml_file

log = structlog.get_logger(__name__)

SECRETS_FILE_ENV = "CENTRALINO_SECRETS_FILE"
DEFAULT_SECRETS_FILE = Path("~/.config/centralino/secrets.yaml")


@dataclass(frozen=True)
class Secrets:
    ami_secret: str
    ari_password: str
    seat_passwords: dict[str, str]
    pin_key: str = ""  # HMAC key of the contacts' PINs
    session_key: str = ""  # signs the web app's session cookies
    metrics_token: str = ""  # Prometheus shows it to read /metrics from another machine
    control_token: str = ""  # the CLI shows it to the running engine (centralino reload)
    ami_tools_secret: str = ""  # the sandbox tools AMI user (tests, benchmarks), not the engine


def secrets_file() -> Path:
    return Path(os.environ.get(SECRETS_FILE_ENV) or DEFAULT_SECRETS_FILE).expanduser()


def load_secrets(seat_names: list[str]) -> Secrets:
    """Return the secrets for the AMI/ARI users and the given seats, creating missing ones."""
    path = secrets_file()
    stored = _read(path)
    wanted = {"ami_secret": None, "ari_password": None, "pin_key": None, "session_key": None,
              "metrics_token": None, "control_token": None,
              "ami_tools_secret": None}
    wanted.update({f"seat_{seat}": None for seat in seat_names})
    missing = [key for key in wanted if not stored.get(key)]
    if missing:
        stored.update({key: secrets.token_urlsafe(18) for key in missing})
        _write(path, stored)
    env = os.environ.get
    return Secrets(
        ami_secret=env("CENTRALINO_AMI_SECRET") or stored["ami_secret"],
        ari_password=env("CENTRALINO_ARI_PASSWORD") or stored["ari_password"],
        pin_key=env("CENTRALINO_PIN_KEY") or stored["pin_key"],
        session_key=env("CENTRALINO_SESSION_KEY") or stored["session_key"],
        metrics_token=env("CENTRALINO_METRICS_TOKEN") or stored["metrics_token"],
        control_token=env("CENTRALINO_CONTROL_TOKEN") or stored["control_token"],
        ami_tools_secret=env("CENTRALINO_AMI_TOOLS_SECRET") or stored["ami_tools_secret"],
        seat_passwords={
            seat: env(f"CENTRALINO_SEAT_PASSWORD_{seat.upper()}") or stored[f"seat_{seat}"]
            for seat in seat_names
        },
    )


def _read(path: Path) -> dict[str, str]:
    """The stored secrets; ConfigError if the file cannot be used."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise _problem(path, None, f"cannot read: {exc.strerror or exc}") from None
    if mode & 0o077:
        log.warning("secrets.file_readable_by_others", file=str(path), mode=f"{mode:04o}",
                    fix=f"chmod 600 {path}")
    try:
        data, _ = parse_yaml_file(path)
    except YamlRefused as exc:
        raise _problem(path, exc.line, exc.message) from None
    except OSError as exc:
        raise _problem(path, None, f"cannot read: {exc.strerror or exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _problem(path, 1, "expected a mapping of secret names to values")
    return {str(k): str(v) for k, v in data.items()}


def _problem(path: Path, line: int | None, message: str) -> ConfigError:
    return ConfigError([ConfigProblem(str(path), "", line, message)])


def _write(path: Path, data: dict[str, str]) -> None:
    """Write ``data`` to ``path`` with mode 0600, atomically: readers see the old file or the
    new one, and no one else can read either."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)  # a left-over could have any mode: O_EXCL makes a fresh one
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the mode above is only what the umask leaves of it
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("# Generated by Centralino. Keep this file private.\n")
            yaml.safe_dump(data, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
