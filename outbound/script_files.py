"""Where scripts come from: the shipped ones by name (``fault_check``), others by path."""

from __future__ import annotations

from pathlib import Path

from config.loader import ConfigError, ConfigProblem, load_yaml_model
from config.script import ScriptFile, names_a_file
from outbound.script_check import check_script

SHIPPED_DIR = Path(__file__).with_name("scripts")


def shipped_scripts() -> list[str]:
    """The names of the scripts shipped with Centralino."""
    return sorted(path.stem for path in SHIPPED_DIR.glob("*.yaml"))


def script_path(name_or_path: str | Path, base_dir: Path | None = None) -> Path:
    """The file of a shipped script's name, else ``name_or_path`` as a path (relative to
    ``base_dir``, a campaign file's folder, when given)."""
    text = str(name_or_path)
    if not names_a_file(text):
        return SHIPPED_DIR / f"{text}.yaml"
    path = Path(text).expanduser()
    return path if path.is_absolute() or base_dir is None else base_dir / path


def load_script(name_or_path: str | Path, *, base_dir: Path | None = None,
                sounds: tuple[Path | None, Path | None] = (None, None)) -> ScriptFile:
    """Load and check a script; :class:`ConfigError` lists its errors (warnings pass).

    ``sounds`` is Asterisk's sounds directory and chroot, as for the menu file.
    """
    path = script_path(name_or_path, base_dir)
    if not path.is_file():
        known = ", ".join(shipped_scripts())
        raise ConfigError([ConfigProblem(str(path), "", None, f"no script {str(name_or_path)!r}",
                                         f"name a shipped script ({known}) or a file")])
    report = check_script(path, sounds[0], sounds_root=sounds[1])
    if report.errors:
        raise ConfigError(report.errors)
    return load_yaml_model(path, ScriptFile)
