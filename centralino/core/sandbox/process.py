"""Start, stop and inspect one sandbox Asterisk instance running in the chroot.

Layout, inside the root filesystem, for instance ``NAME``::

    /var/lib/centralino/NAME/etc/       rendered config (asterisk.conf and the rest)
    /var/lib/centralino/NAME/run/       asterisk.ctl (the CLI socket), asterisk.pid
    /var/lib/centralino/NAME/log/       messages (Asterisk's log file)
    /var/lib/centralino/NAME/spool/     recording/ (ARI), monitor/ (MixMonitor), voicemail/
    /var/lib/centralino/NAME/lib/       astdb
    /var/lib/centralino/NAME/asterisk.out, sandbox.pid   stdout/stderr and pid of the process

All functions are synchronous (``up`` runs its own short event loop to wait for the boot):
call them from a thread (``asyncio.to_thread``) inside async code.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import signal
import socket
import subprocess
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import structlog

from centralino.core.ami import AmiClient
from centralino.core.sandbox.errors import SandboxError
from centralino.core.sandbox.render import instance_dir, render_asterisk_config
from centralino.core.sandbox.rootfs import ensure_rootfs
from config.secrets import load_secrets
from config.settings import Settings

log = structlog.get_logger(__name__)

ASTERISK = "/usr/sbin/asterisk"
STOP_TIMEOUT = 10.0
_SUBDIRS = ("etc", "run", "log", "spool", "spool/recording", "spool/monitor", "spool/voicemail",
            "lib", "lib/keys", "cache", "media")


@dataclass(frozen=True)
class SandboxPaths:
    """Where an instance's files are, as seen from this machine (outside the chroot)."""

    root: Path
    instance_dir: Path
    config_dir: Path
    spool_dir: Path
    log_file: Path
    output_file: Path
    pid_file: Path

    @property
    def asterisk_conf(self) -> str:
        """asterisk.conf as Asterisk sees it, inside the chroot."""
        return "/" + str((self.config_dir / "asterisk.conf").relative_to(self.root))


@dataclass(frozen=True)
class SandboxStatus:
    running: bool
    pid: int | None
    instance: str
    root: str
    log_file: str
    spool_dir: str
    asterisk_host: str
    sip_host: str
    sip_port: int
    toll_free_number: str
    ami_port: int
    ari_port: int
    ari_app: str
    seats: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


def paths(settings: Settings) -> SandboxPaths:
    root = settings.sandbox.root.expanduser()
    instance = root / instance_dir(settings.sandbox.instance).lstrip("/")
    return SandboxPaths(
        root=root,
        instance_dir=instance,
        config_dir=instance / "etc",
        spool_dir=instance / "spool",
        log_file=instance / "log" / "messages",
        output_file=instance / "asterisk.out",
        pid_file=instance / "sandbox.pid",
    )


def log_file(settings: Settings) -> Path:
    """The instance's Asterisk log (``messages``), on this machine."""
    return paths(settings).log_file


def status(settings: Settings) -> SandboxStatus:
    where = paths(settings)
    pid = _running_pid(where)
    a = settings.asterisk
    return SandboxStatus(
        running=pid is not None, pid=pid, instance=settings.sandbox.instance,
        root=str(where.root), log_file=str(where.log_file), spool_dir=str(where.spool_dir),
        asterisk_host=a.host, sip_host=a.sip.host, sip_port=a.sip.port,
        toll_free_number=settings.toll_free.number, ami_port=a.ami.port, ari_port=a.ari.port,
        ari_app=a.ari.app, seats=settings.seats.names,
    )


def up(settings: Settings) -> SandboxStatus:
    """Start the instance (building the root filesystem first if needed) and wait for its boot.

    If the instance already runs, report it. Raises SandboxError with the reason otherwise.
    """
    current = status(settings)
    if current.running:
        return current
    if os.geteuid() != 0:
        raise SandboxError("the sandbox runs Asterisk in a chroot, which needs root")
    where = paths(settings)
    ensure_rootfs(where.root)
    _check_ports_free(settings)
    secrets = load_secrets(settings.seats.names)
    for sub in _SUBDIRS:
        (where.instance_dir / sub).mkdir(parents=True, exist_ok=True)
    for stale in (where.instance_dir / "run" / "asterisk.ctl", where.pid_file):
        stale.unlink(missing_ok=True)
    files = render_asterisk_config(settings, secrets, module_dir=_module_dir(where.root))
    for name, text in files.items():
        target = where.config_dir / name
        target.write_text(text, encoding="utf-8")
        target.chmod(0o600)
    with open(where.output_file, "wb") as output:  # only this run: the log file keeps history
        process = subprocess.Popen(
            ["chroot", str(where.root), ASTERISK, "-f", "-n", "-q", "-C", where.asterisk_conf],
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True)
    where.pid_file.write_text(f"{process.pid}\n", encoding="utf-8")
    log.info("sandbox.starting", instance=settings.sandbox.instance, pid=process.pid)
    try:
        asyncio.run(_wait_booted(settings, secrets.ami_secret, process))
    except SandboxError:
        _kill(process.pid)
        where.pid_file.unlink(missing_ok=True)
        raise
    log.info("sandbox.up", instance=settings.sandbox.instance, pid=process.pid)
    return status(settings)


def down(settings: Settings) -> bool:
    """Stop the instance (``core stop now``, then SIGTERM, then SIGKILL); False if it was not up."""
    where = paths(settings)
    pid = _running_pid(where)
    if pid is None:
        where.pid_file.unlink(missing_ok=True)
        return False
    with contextlib.suppress(subprocess.TimeoutExpired, OSError):
        subprocess.run(["chroot", str(where.root), ASTERISK, "-C", where.asterisk_conf,
                        "-rx", "core stop now"], capture_output=True, timeout=STOP_TIMEOUT,
                       check=False)
    if not _wait_gone(pid, STOP_TIMEOUT):
        _kill(pid)
    where.pid_file.unlink(missing_ok=True)
    log.info("sandbox.down", instance=settings.sandbox.instance, pid=pid)
    return True


def tail(path: Path, lines: int) -> list[str]:
    """The last ``lines`` lines of a text file (empty if it does not exist yet)."""
    if not path.exists():
        return []
    with open(path, encoding="utf-8", errors="replace") as handle:
        return [line.rstrip("\n") for line in deque(handle, maxlen=lines)]


def follow(path: Path, poll: float = 0.5) -> Iterator[str]:
    """Yield lines appended to ``path`` from now on, forever (survives the file being recreated)."""
    handle = None
    inode = None
    at_start = path.exists()  # follow from the end of what is there now
    try:
        while True:
            if handle is None and path.exists():
                handle = open(path, encoding="utf-8", errors="replace")
                inode = os.fstat(handle.fileno()).st_ino
                if at_start:  # a file that appears or is recreated later is read from its start
                    handle.seek(0, os.SEEK_END)
                at_start = False
            line = handle.readline() if handle else ""
            if line:
                yield line.rstrip("\n")
                continue
            time.sleep(poll)
            if handle is not None and (not path.exists() or path.stat().st_ino != inode):
                handle.close()
                handle = None
    finally:
        if handle is not None:
            handle.close()


# -- internals -----------------------------------------------------------------------------


def _module_dir(root: Path) -> str | None:
    found = sorted(root.glob("usr/lib/*/asterisk/modules")) or sorted(
        root.glob("usr/lib/asterisk/modules"))
    return "/" + str(found[0].relative_to(root)) if found else None


def _running_pid(where: SandboxPaths) -> int | None:
    """The pid in the pid file if that process is alive and is an Asterisk."""
    try:
        pid = int(where.pid_file.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) and _is_asterisk(pid) else None


def _is_asterisk(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(part.endswith(b"asterisk") for part in cmdline)


def _alive(pid: int) -> bool:
    """True if ``pid`` runs (reaping it first if it is our own exited child)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return not _alive(pid)


def _kill(pid: int) -> None:
    """SIGTERM the process group, then SIGKILL it if it is still there after a few seconds."""
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
        if _wait_gone(pid, grace):
            return


def _check_ports_free(settings: Settings) -> None:
    a = settings.asterisk
    checks = (
        (a.host, a.ami.port, socket.SOCK_STREAM, "asterisk.ami.port", "AMI"),
        (a.host, a.ari.port, socket.SOCK_STREAM, "asterisk.ari.port", "ARI (HTTP)"),
        (a.sip.host, a.sip.port, socket.SOCK_DGRAM, "asterisk.sip.port", "SIP (UDP)"),
    )
    for host, port, kind, key, what in checks:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, kind) as sock:
            if kind == socket.SOCK_STREAM:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError as exc:
                reason = ("is already in use by another program" if exc.errno == errno.EADDRINUSE
                          else f"cannot be bound: {exc.strerror}")
                raise SandboxError(f"{what} port {host}:{port} ({key}) {reason}; stop that "
                                   f"program or choose another port in the settings") from None


async def _wait_booted(settings: Settings, secret: str, process: subprocess.Popen[bytes]) -> None:
    """Wait until Asterisk's AMI says FullyBooted, the process dies, or the boot timeout passes."""
    timeout = settings.sandbox.boot_timeout
    client = AmiClient(settings.asterisk, secret, probe=True)
    await client.start()
    booted = asyncio.create_task(client.wait_fully_booted(timeout))
    try:
        deadline = time.monotonic() + timeout
        while not booted.done():
            if process.poll() is not None:
                raise SandboxError(_failure(settings, f"Asterisk exited with code "
                                            f"{process.returncode} while booting"))
            if time.monotonic() > deadline:
                break
            await asyncio.wait({booted}, timeout=0.2)
        if not booted.done() or booted.exception() is not None:
            detail = f" (AMI: {client.last_error})" if client.last_error else ""
            raise SandboxError(_failure(
                settings, f"Asterisk did not report FullyBooted within {timeout:g} s "
                          f"(sandbox.boot_timeout){detail}"))
    finally:
        booted.cancel()
        await asyncio.gather(booted, return_exceptions=True)
        await client.close()


def _failure(settings: Settings, message: str) -> str:
    where = paths(settings)
    parts = [message]
    for path in (where.output_file, where.log_file):
        lines = tail(path, 30)
        if lines:
            parts.append(f"last lines of {path}:\n" + "\n".join(lines))
    return "\n".join(parts)
