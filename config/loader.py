"""Load settings from a YAML file (or the embedded defaults) and report every problem at once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from config.settings import Settings

DATABASE_URL_ENV = "CENTRALINO_DATABASE_URL"
CONFIG_ENV = "CENTRALINO_CONFIG"
DEFAULT_CONFIG = Path(__file__).with_name("default.yaml")


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a configuration file."""

    file: str
    key_path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key_path or '(top level)'}: {self.message}"


class ConfigError(Exception):
    """The configuration cannot be used; ``problems`` says why, one entry per problem."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def load_settings(path: Path | None = None) -> Settings:
    """Read ``path`` (else ``$CENTRALINO_CONFIG``, else the embedded defaults) into settings.

    ``$CENTRALINO_DATABASE_URL`` overrides ``database_url`` whatever the file says.
    """
    if path is None:
        path = Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)
    name = str(path)
    data, lines = _read_yaml(path)
    if os.environ.get(DATABASE_URL_ENV):
        data["database_url"] = os.environ[DATABASE_URL_ENV]
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([_problem(name, error, lines) for error in exc.errors()]) from None


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[tuple[str, ...], int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problem = ConfigProblem(str(path), "", None, f"cannot read: {exc.strerror}")
        raise ConfigError([problem]) from None
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ConfigError([ConfigProblem(str(path), "", line, f"not valid YAML: {exc}")]) from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(str(path), "", 1, "expected a mapping of settings")])
    lines: dict[tuple[str, ...], int] = {}
    _index_lines(node, (), lines)
    return data, lines


def _index_lines(node: yaml.Node | None, prefix: tuple[str, ...],
                 lines: dict[tuple[str, ...], int]) -> None:
    """Map every key path of a composed YAML document to its 1-based line number."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, str(key_node.value))
            lines[path] = key_node.start_mark.line + 1
            _index_lines(value_node, path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = (*prefix, str(index))
            lines[path] = item.start_mark.line + 1
            _index_lines(item, path, lines)


def _problem(file: str, error: Any, lines: dict[tuple[str, ...], int]) -> ConfigProblem:
    loc = tuple(str(part) for part in error["loc"])
    line = next((lines[loc[:n]] for n in range(len(loc), 0, -1) if loc[:n] in lines), None)
    kind = error["type"]
    if kind == "extra_forbidden":
        message = "unknown key (check the spelling; see the configuration reference in README.md)"
    elif kind == "missing":
        message = "required value is missing"
    else:
        message = f"{error['msg']} (got {error.get('input')!r})"
    return ConfigProblem(file, ".".join(loc), line, message)
