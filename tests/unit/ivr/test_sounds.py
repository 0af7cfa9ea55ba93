"""Where Asterisk finds a sound: the language fallback of Asterisk 22, on a tree and the sandbox."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from config.settings import SandboxSettings
from ivr.sounds import find_sound

SANDBOX_ROOT = SandboxSettings().root.expanduser()
SANDBOX_SOUNDS = SANDBOX_ROOT / "usr/share/asterisk/sounds"


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"audio")
    return path


def test_the_language_folder_comes_first(tmp_path: Path) -> None:
    touch(tmp_path / "en/goodbye.wav")
    touch(tmp_path / "goodbye.wav")
    wanted = touch(tmp_path / "it/goodbye.wav")

    assert find_sound(tmp_path, "it", "goodbye") == wanted


def test_a_dialect_falls_back_to_its_language_cut_at_each_underscore(tmp_path: Path) -> None:
    touch(tmp_path / "it/goodbye.gsm")
    wanted = touch(tmp_path / "it_IT/goodbye.gsm")

    assert find_sound(tmp_path, "it_IT_m_Carlo", "goodbye") == wanted
    assert find_sound(tmp_path, "it_CH", "goodbye") == tmp_path / "it/goodbye.gsm"


def test_the_top_folder_comes_before_english(tmp_path: Path) -> None:
    touch(tmp_path / "en/goodbye.wav")
    wanted = touch(tmp_path / "goodbye.ulaw")

    assert find_sound(tmp_path, "it", "goodbye") == wanted


def test_english_is_the_last_resort(tmp_path: Path) -> None:
    wanted = touch(tmp_path / "en/goodbye.wav")
    touch(tmp_path / "fr/hello.wav")

    assert find_sound(tmp_path, "it", "goodbye") == wanted
    assert find_sound(tmp_path, "", "goodbye") == wanted
    assert find_sound(tmp_path, "en_US", "goodbye") == wanted


def test_names_with_folders_are_looked_up_under_each_language(tmp_path: Path) -> None:
    wanted = touch(tmp_path / "it/digits/1.g722")
    touch(tmp_path / "en/digits/2.wav")

    assert find_sound(tmp_path, "it", "digits/1") == wanted
    assert find_sound(tmp_path, "it", "digits/2") == tmp_path / "en/digits/2.wav"


@pytest.mark.parametrize("extension", ["wav", "WAV", "gsm", "sln16", "g729", "opus", "siren14"])
def test_every_audio_format_asterisk_plays_counts(tmp_path: Path, extension: str) -> None:
    wanted = touch(tmp_path / f"it/beep.{extension}")

    assert find_sound(tmp_path, "it", "beep") == wanted


@pytest.mark.parametrize("file", ["it/beep.mp3", "it/beep.h264", "it/beep.wav49", "it/beep"])
def test_files_asterisk_cannot_play_are_not_found(tmp_path: Path, file: str) -> None:
    touch(tmp_path / file)

    assert find_sound(tmp_path, "it", "beep") is None


def test_a_missing_sound_is_none(tmp_path: Path) -> None:
    touch(tmp_path / "it/hello.wav")

    assert find_sound(tmp_path, "it", "goodbye") is None
    assert find_sound(tmp_path / "nowhere", "it", "hello") is None


def test_an_absolute_name_is_a_path_without_language(tmp_path: Path) -> None:
    wanted = touch(tmp_path / "media/tts-0123.wav")
    touch(tmp_path / "it" / str(tmp_path / "media/other.wav").lstrip("/"))

    assert find_sound(tmp_path, "it", str(tmp_path / "media/tts-0123")) == wanted
    assert find_sound(tmp_path, "it", str(tmp_path / "media/other")) is None


def test_absolute_symlinks_point_inside_the_root_asterisk_is_chrooted_in(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    sounds = root / "usr/share/asterisk/sounds"
    wanted = touch(sounds / "en_US_f_Allison/goodbye.wav")
    link = "etc/alternatives/centralino-test-prompt-en"
    (root / link).parent.mkdir(parents=True)
    os.symlink("/usr/share/asterisk/sounds/en_US_f_Allison", root / link)
    os.symlink(f"/{link}", sounds / "en")
    os.symlink("en_US_f_Allison", sounds / "en_US")

    assert find_sound(sounds, "en", "goodbye") is None  # on this machine the link dangles
    assert find_sound(sounds, "en", "goodbye", root=root) == wanted
    assert find_sound(sounds, "it", "goodbye", root=root) == wanted
    assert find_sound(sounds, "en_US", "goodbye", root=root) == wanted


def test_a_symlink_loop_is_no_sound(tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    sounds.mkdir()
    os.symlink("/sounds/loop", sounds / "loop")
    os.symlink("loop", sounds / "it")

    assert find_sound(sounds, "it", "goodbye", root=tmp_path) is None


@pytest.mark.skipif(not SANDBOX_SOUNDS.is_dir(), reason=f"no sandbox root at {SANDBOX_ROOT}")
class TestTheSandboxSounds:
    def test_italian_digits_come_from_the_italian_voice(self) -> None:
        found = find_sound(SANDBOX_SOUNDS, "it", "digits/1", root=SANDBOX_ROOT)

        assert found is not None
        assert found.relative_to(SANDBOX_SOUNDS).parts[0] == "it_IT_m_Carlo"
        assert found.stat().st_size > 0

    def test_english_goes_through_debian_alternatives_inside_the_root(self) -> None:
        found = find_sound(SANDBOX_SOUNDS, "en", "digits/1", root=SANDBOX_ROOT)

        assert found is not None
        assert found.relative_to(SANDBOX_SOUNDS).parts[0] == "en_US_f_Allison"

    def test_a_sound_only_english_has_is_played_in_english_to_italians(self) -> None:
        italian = {path.stem for path in (SANDBOX_SOUNDS / "it").iterdir()}
        english = {path.stem for path in (SANDBOX_SOUNDS / "en_US_f_Allison").iterdir()}
        only_english = sorted(english - italian)
        if not only_english:
            pytest.skip("every English sound has an Italian recording in this sandbox")

        found = find_sound(SANDBOX_SOUNDS, "it", only_english[0], root=SANDBOX_ROOT)

        assert found is not None
        assert found.relative_to(SANDBOX_SOUNDS).parts[0] == "en_US_f_Allison"

    def test_an_unknown_sound_is_none(self) -> None:
        found = find_sound(SANDBOX_SOUNDS, "it", "centralino-no-such-sound", root=SANDBOX_ROOT)

        assert found is None
