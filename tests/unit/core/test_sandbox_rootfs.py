"""The sandbox's root filesystem: which mirror it is built from, and what we add to it."""

from __future__ import annotations

import io
import json
import os
import socket
from pathlib import Path

import pytest
from rich.console import Console

from centralino.core.sandbox import process, rootfs
from centralino.core.sandbox.errors import SandboxError
from centralino.core.sandbox.rootfs import (
    STAMP,
    debian_mirror_from_deb822,
    debian_mirror_from_sources_list,
    ensure_rootfs,
    find_debian_mirror,
    is_complete,
)
from config.settings import Settings

DEB822 = """\
Types: deb
# http://snapshot.example.org/archive/debian/20250520T000000Z
URIs: http://mirror.example.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example.org/debian-security
Suites: bookworm-security
Components: main
"""

SECURITY_FIRST = """\
Types: deb
URIs: http://mirror.example.org/debian-security/
Suites: bookworm-security
Components: main

Types: deb
URIs: http://other.example.org/debian/
Suites: trixie
Components: main
"""

SOURCES_LIST = """\
# deb http://commented.example.org/debian bookworm main
deb http://security.example.org/debian-security bookworm-security main
deb [arch=amd64 signed-by=/k.gpg] http://list.example.org/debian bookworm main contrib
deb http://list.example.org/ubuntu jammy main
"""


def test_the_first_debian_uri_of_a_deb822_file_is_the_mirror() -> None:
    assert debian_mirror_from_deb822(DEB822) == "http://mirror.example.org/debian"


def test_security_archives_are_skipped() -> None:
    assert debian_mirror_from_deb822(SECURITY_FIRST) == "http://other.example.org/debian"


def test_non_debian_suites_are_skipped() -> None:
    ubuntu = "Types: deb\nURIs: http://u.example.org/debian\nSuites: jammy\n"
    assert debian_mirror_from_deb822(ubuntu) is None


def test_one_line_sources_list_is_understood() -> None:
    assert debian_mirror_from_sources_list(SOURCES_LIST) == "http://list.example.org/debian"


def test_find_debian_mirror_reads_sources_dir_then_list(tmp_path: Path) -> None:
    sources_dir = tmp_path / "sources.list.d"
    sources_dir.mkdir()
    sources_list = tmp_path / "sources.list"
    sources_list.write_text(SOURCES_LIST)
    assert find_debian_mirror(sources_dir, sources_list) == "http://list.example.org/debian"
    (sources_dir / "debian.sources").write_text(DEB822)
    assert find_debian_mirror(sources_dir, sources_list) == "http://mirror.example.org/debian"
    sources_list.unlink()
    (sources_dir / "debian.sources").unlink()
    with pytest.raises(SandboxError, match="no Debian mirror"):
        find_debian_mirror(sources_dir, sources_list)


def fake_root(tmp_path: Path) -> Path:
    """A root built by hand (no stamp): Asterisk and the Italian prompts are there."""
    root = tmp_path / "root"
    (root / "usr/sbin").mkdir(parents=True)
    (root / "usr/sbin/asterisk").write_text("")
    (root / "etc").mkdir()
    (root / "usr/share/asterisk/sounds/it_IT_m_Carlo").mkdir(parents=True)
    return root


def test_a_root_built_by_hand_is_accepted_and_stamped_not_rebuilt(tmp_path: Path) -> None:
    root = fake_root(tmp_path)
    assert is_complete(root)
    assert ensure_rootfs(root) == root
    assert (root / STAMP).exists()
    hosts = (root / "etc/hosts").read_text()
    assert hosts.startswith(f"127.0.0.1 localhost {socket.gethostname()}\n")
    link = root / "usr/share/asterisk/sounds/it"
    assert link.is_symlink() and str(link.readlink()) == "it_IT_m_Carlo"
    ensure_rootfs(root)  # idempotent
    assert link.is_symlink()


def test_status_of_a_stopped_instance_is_plain_json(tmp_path: Path) -> None:
    settings = Settings.model_validate({"version": 1, "sandbox": {"root": str(tmp_path),
                                                                  "instance": "nothing"}})
    status = process.status(settings)
    data = json.loads(status.to_json())
    assert data["running"] is False and data["pid"] is None
    assert data["sip_port"] == 5060 and data["ami_port"] == 5038 and data["ari_port"] == 8088
    assert data["toll_free_number"] == "800100100"
    assert data["seats"] == ["seat1", "seat2", "seat3", "seat4"]
    assert data["instance"] == "nothing" and data["root"] == str(tmp_path)
    assert data["log_file"].endswith("/var/lib/centralino/nothing/log/messages")
    assert process.down(settings) is False


FAKE_DEBOOTSTRAP = """\
#!/bin/sh
# debootstrap --variant=minbase --include=... SUITE TARGET MIRROR: a stand-in that makes a root
target="$4"
mkdir -p "$target/usr/sbin" "$target/etc" "$target/var/lib/dpkg"
touch "$target/usr/sbin/asterisk"
echo "I: Base system installed successfully."
"""


def stand_in_debootstrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "debootstrap"
    script.write_text(FAKE_DEBOOTSTRAP)
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setattr(rootfs, "find_debian_mirror", lambda: "http://mirror.example.org/debian")
    monkeypatch.setattr(os, "geteuid", lambda: 0)


def test_prompts_rendered_before_the_first_build_are_kept_by_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in_debootstrap(tmp_path, monkeypatch)
    root = tmp_path / "root"
    prompt = root / "var/lib/centralino/itest/media/tts-1.wav"
    prompt.parent.mkdir(parents=True)
    prompt.write_bytes(b"RIFF")
    ensure_rootfs(root, Console(file=io.StringIO()))
    assert is_complete(root) and (root / STAMP).exists()
    assert prompt.read_bytes() == b"RIFF"
    assert (root / "var/lib/dpkg").is_dir()


def test_a_root_holding_files_of_another_kind_is_not_built_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in_debootstrap(tmp_path, monkeypatch)
    root = tmp_path / "root"
    (root / "home").mkdir(parents=True)
    with pytest.raises(SandboxError, match="not a complete root filesystem"):
        ensure_rootfs(root, Console(file=io.StringIO()))
    assert (root / "home").is_dir() and not is_complete(root)
