"""The Debian-unstable root filesystem the sandbox Asterisk runs in (built once, then cached)."""

from __future__ import annotations

import collections
import fcntl
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

from rich.console import Console

from centralino.core.sandbox.errors import SandboxError

STAMP = ".centralino-rootfs"
"""Written inside the root once complete; a root without it (nor usr/sbin/asterisk) is rebuilt."""

OWN_STATE = Path("var/lib/centralino")
"""The instances' own files inside the root (rendered prompts, config, spool): the engine may
write them before the root is built, and a build keeps them."""

SUITE = "sid"  # Debian stable has no asterisk package; unstable has Asterisk 22.
PACKAGES = ("asterisk", "asterisk-core-sounds-en-wav", "asterisk-core-sounds-it-wav")
ITALIAN_PROMPTS = "it_IT_m_Carlo"  # where Debian installs asterisk-core-sounds-it-wav

APT_SOURCES_DIR = Path("/etc/apt/sources.list.d")
APT_SOURCES_LIST = Path("/etc/apt/sources.list")

_DEBIAN_SUITE = re.compile(
    r"^(sid|unstable|testing|stable|oldstable|oldoldstable|experimental|"
    r"buzz|rex|bo|hamm|slink|potato|woody|sarge|etch|lenny|squeeze|wheezy|jessie|stretch|buster|"
    r"bullseye|bookworm|trixie|forky|duke)(-updates|-backports|-proposed-updates)?$")
_STAGE = re.compile(r"^I: (Retrieving|Validating|Extracting|Unpacking|Configuring|Installing|"
                    r"Checking|Resolving|Found|Chosen|Base system installed)(.*)$")


def is_complete(root: Path) -> bool:
    """True if ``root`` holds a finished root filesystem (ours, or one built by hand)."""
    return (root / STAMP).exists() or (root / "usr/sbin/asterisk").exists()


def ensure_rootfs(root: Path, console: Console | None = None) -> Path:
    """Return ``root`` (user-expanded), building it with debootstrap first if it is missing.

    Also (re)writes the root's ``/etc/hosts`` and the ``sounds/it`` link every time.
    """
    root = root.expanduser()
    if not is_complete(root):
        root.parent.mkdir(parents=True, exist_ok=True)
        with open(root.with_name(root.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building it right now
            if not is_complete(root):
                _build(root, console or Console(stderr=True))
    stamp = root / STAMP
    if not stamp.exists():
        stamp.write_text(f"{SUITE} {' '.join(PACKAGES)}\n", encoding="utf-8")
    prepare_rootfs(root)
    return root


def prepare_rootfs(root: Path) -> None:
    """Write what the root needs on this machine: /etc/hosts and the Italian prompts' link."""
    # Without our own hostname in /etc/hosts Asterisk asks DNS, which cannot answer here,
    # and those look-ups stall PJSIP under load.
    hosts = f"127.0.0.1 localhost {socket.gethostname()}\n::1 localhost ip6-localhost\n"
    hosts_file = root / "etc/hosts"
    if not hosts_file.exists() or hosts_file.read_text(encoding="utf-8") != hosts:
        hosts_file.write_text(hosts, encoding="utf-8")
    sounds = root / "usr/share/asterisk/sounds"
    link = sounds / "it"
    if (sounds / ITALIAN_PROMPTS).is_dir() and not link.exists() and not link.is_symlink():
        link.symlink_to(ITALIAN_PROMPTS)


def debian_mirror_from_deb822(text: str) -> str | None:
    """The first Debian (non-security) archive URI of a deb822 ``.sources`` file, if any."""
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if fields.get("enabled", "yes").lower() == "no" or "deb" not in fields.get("types", "deb"):
            continue
        suites = fields.get("suites", "").split()
        if not any(_DEBIAN_SUITE.match(suite) for suite in suites):
            continue
        for uri in fields.get("uris", "").split():
            if _is_debian_archive(uri):
                return uri.rstrip("/")
    return None


def debian_mirror_from_sources_list(text: str) -> str | None:
    """The first Debian (non-security) archive URI of a one-line-style ``sources.list``."""
    for line in text.splitlines():
        words = re.sub(r"\[[^]]*\]", " ", line.split("#", 1)[0]).split()
        if len(words) >= 3 and words[0] == "deb" and _DEBIAN_SUITE.match(words[2]) \
                and _is_debian_archive(words[1]):
            return words[1].rstrip("/")
    return None


def _is_debian_archive(uri: str) -> bool:
    return uri.rstrip("/").endswith("/debian") and "security" not in uri


def find_debian_mirror(sources_dir: Path = APT_SOURCES_DIR,
                       sources_list: Path = APT_SOURCES_LIST) -> str:
    """The Debian mirror this machine's apt already uses (no host name is ever hard-coded)."""
    candidates = sorted(sources_dir.glob("*.sources")) if sources_dir.is_dir() else []
    for path in candidates:
        mirror = debian_mirror_from_deb822(path.read_text(encoding="utf-8", errors="replace"))
        if mirror:
            return mirror
    if sources_list.is_file():
        mirror = debian_mirror_from_sources_list(sources_list.read_text(encoding="utf-8",
                                                                         errors="replace"))
        if mirror:
            return mirror
    raise SandboxError(f"no Debian mirror found in {sources_dir}/*.sources or {sources_list}: "
                       "the sandbox's root filesystem is built from the mirror apt uses")


def _holds_only_own_state(root: Path) -> bool:
    """True if ``root`` holds nothing but (the folders leading to) :data:`OWN_STATE`."""
    folder = root
    for part in OWN_STATE.parts:
        if any(entry.name != part for entry in folder.iterdir()):
            return False
        folder = folder / part
        if not folder.is_dir():
            return True
    return True


def _build(root: Path, console: Console) -> None:
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        raise SandboxError("debootstrap is not installed: it builds the sandbox's root filesystem "
                           "(apt-get install debootstrap)")
    if os.geteuid() != 0:
        raise SandboxError("building the sandbox's root filesystem needs root (debootstrap)")
    if root.exists() and not _holds_only_own_state(root):
        raise SandboxError(f"{root} exists but is not a complete root filesystem (no "
                           f"usr/sbin/asterisk): remove it, or set sandbox.root elsewhere")
    mirror = find_debian_mirror()
    partial = root.with_name(root.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.parent.mkdir(parents=True, exist_ok=True)
    command = [debootstrap, "--variant=minbase", f"--include={','.join(PACKAGES)}",
               SUITE, str(partial), mirror]
    last_lines: collections.deque[str] = collections.deque(maxlen=30)
    console.print(f"Building the sandbox's root filesystem in {root} "
                  f"(Debian {SUITE} + Asterisk, about 1 minute and 580 MB)", highlight=False)
    with console.status("debootstrap: starting") as status:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, errors="replace")
        assert process.stdout is not None
        for line in process.stdout:
            line = line.rstrip()
            last_lines.append(line)
            stage = _STAGE.match(line)
            if stage:
                status.update(f"debootstrap: {stage.group(1)}{stage.group(2)}")
        code = process.wait()
    if code != 0:
        log_hint = partial / "debootstrap/debootstrap.log"
        raise SandboxError(
            f"debootstrap failed with exit code {code}; its last lines:\n" + "\n".join(last_lines)
            + (f"\nfull log: {log_hint}" if log_hint.exists() else ""))
    (partial / STAMP).write_text(f"{SUITE} {' '.join(PACKAGES)}\n", encoding="utf-8")
    if root.exists():  # files the instances wrote before the build: carry them over
        if (root / OWN_STATE).exists():
            os.replace(root / OWN_STATE, partial / OWN_STATE)
        shutil.rmtree(root)  # nothing but the empty folders above them is left
    os.replace(partial, root)
    console.print(f"Root filesystem ready in {root}", highlight=False)
