"""Load YAML files into pydantic models and report every problem at once, with its line.

Used for the settings (:func:`load_settings`) and the menu file (:func:`load_yaml_model`).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from config.safe_yaml import YamlRefused, parse_yaml_file
from config.script import names_a_file
from config.settings import SETTINGS_DIR, Settings

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
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.key_path or '(top level)'}: {self.message}"
        return f"{text} (fix: {self.hint})" if self.hint else text


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
    overrides = {}
    if os.environ.get(DATABASE_URL_ENV):
        overrides["database_url"] = os.environ[DATABASE_URL_ENV]
    settings = load_yaml_model(path, Settings, overrides)
    ivr = settings.ivr
    # Relative paths are relative to the settings file, not the working directory.
    located = {name: path.parent / value.expanduser()
               for name, value in (("menu_file", ivr.menu_file), ("media_dir", ivr.media_dir),
                                   ("sounds_dir", ivr.sounds_dir)) if value is not None}
    if not located["menu_file"].is_file():
        raise ConfigError([ConfigProblem(
            str(path), "ivr.menu_file", read_yaml(path).line_of("ivr", "menu_file"),
            f"file not found: {located['menu_file']}",
            "name an existing menu file; relative paths start at the settings file's folder")])
    acd = settings.acd
    survey = acd.post_call_survey
    if survey is not None and names_a_file(survey):
        located_survey = path.parent / Path(survey).expanduser()
        acd = acd.model_copy(update={"post_call_survey": str(located_survey)})
    return settings.model_copy(update={"ivr": ivr.model_copy(update=located), "acd": acd})


M = TypeVar("M", bound=BaseModel)


def load_yaml_model(path: Path, model: type[M], overrides: dict[str, Any] | None = None) -> M:
    """Read the YAML file ``path`` into ``model``; :class:`ConfigError` lists every problem.

    Validators see the file's directory as ``info.context[SETTINGS_DIR]``.
    """
    yaml_file = read_yaml(path)
    data = {**yaml_file.data, **(overrides or {})}
    try:
        return model.model_validate(data, context={SETTINGS_DIR: path.parent})
    except ValidationError as exc:
        raise ConfigError([_problem(str(path), error, yaml_file, model)
                           for error in exc.errors()]) from None
    except (ValueError, TypeError, LookupError, ArithmeticError, OSError, RecursionError
            ) as exc:  # a library a validator calls failed in a way it did not foresee
        raise ConfigError([ConfigProblem(str(path), "", None, f"cannot be used: {exc!r}")]
                          ) from None


@dataclass(frozen=True)
class YamlFile:
    """A parsed YAML mapping and the line of every key path in it."""

    path: Path
    data: dict[str, Any]
    lines: dict[tuple[str, ...], int]

    def line_of(self, *key_path: str) -> int | None:
        """The line of ``key_path``, or of its nearest parent that has one."""
        return next((self.lines[key_path[:n]] for n in range(len(key_path), 0, -1)
                     if key_path[:n] in self.lines), None)


def read_yaml(path: Path) -> YamlFile:
    """Parse ``path``; unreadable files, bad YAML and duplicate keys are :class:`ConfigError`."""
    data, lines = _read_yaml(path)
    return YamlFile(path, data, lines)


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[tuple[str, ...], int]]:
    try:
        data, node = parse_yaml_file(path)
    except OSError as exc:
        problem = ConfigProblem(str(path), "", None, f"cannot read: {exc.strerror or exc}")
        raise ConfigError([problem]) from None
    except ValueError as exc:  # a path with a NUL character
        raise ConfigError([ConfigProblem(str(path), "", None, f"cannot read: {exc}")]) from None
    except YamlRefused as exc:
        raise ConfigError([ConfigProblem(str(path), "", exc.line, exc.message)]) from None
    if data is None:
        return {}, {}
    data = _string_keys(data)
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(str(path), "", 1, "expected a mapping of settings")])
    lines: dict[tuple[str, ...], int] = {}
    duplicates: list[ConfigProblem] = []
    _index_lines(node, (), lines, lambda key_path, line, first: duplicates.append(ConfigProblem(
        str(path), ".".join(key_path), line,
        f"duplicate key: also on line {first}, and only one of them would count",
        "remove or rename one of them")))
    if duplicates:
        raise ConfigError(duplicates)
    return data, lines


def _index_lines(node: yaml.Node | None, prefix: tuple[str, ...],
                 lines: dict[tuple[str, ...], int],
                 on_duplicate: Callable[[tuple[str, ...], int, int], None]) -> None:
    """Map every key path of a composed YAML document to its 1-based line number."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, str(key_node.value))
            line = key_node.start_mark.line + 1
            if path in lines:
                on_duplicate(path, line, lines[path])
            lines[path] = line
            _index_lines(value_node, path, lines, on_duplicate)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = (*prefix, str(index))
            lines[path] = item.start_mark.line + 1
            _index_lines(item, path, lines, on_duplicate)


def _problem(file: str, error: Any, yaml_file: YamlFile, model: type[BaseModel]
             ) -> ConfigProblem:
    loc = _key_path(error["loc"], yaml_file.data)
    line = yaml_file.line_of(*loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(error["loc"][-1]),
                                          _keys_at(model, error["loc"][:-1]), n=1)
        message = (f"unknown key (did you mean {close[0]!r}?)" if close else
                   "unknown key (check the spelling; see docs/configuration.md)")
    elif kind == "missing":
        message = "required value is missing"
    else:
        shown = repr(error.get("input"))
        shown = shown if len(shown) <= 80 else f"{shown[:60]}... ({len(shown)} characters)"
        message = f"{error['msg']} (got {shown})"
    return ConfigProblem(file, ".".join(loc), line, message)


def _keys_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys the model allows at pydantic's error location ``loc`` (union members' keys
    together, where the location alone does not say which member was meant)."""
    current: list[Any] = [model]
    for part in loc:
        following = [inner for each in current for inner in _inside(each, part)]
        if following:  # else ``part`` is a union tag pydantic inserted: stay where we are
            current = following
    keys: list[str] = []
    for each in current:
        for member in _members(each):
            if isinstance(member, type) and issubclass(member, BaseModel):
                keys += [field.alias or name for name, field in member.model_fields.items()]
    return sorted(set(keys))


def _members(annotation: Any) -> list[Any]:
    """The types ``annotation`` may be: unions flattened, ``Annotated`` unwrapped."""
    if get_origin(annotation) is Annotated:
        return _members(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return [inner for arg in get_args(annotation) for inner in _members(arg)]
    return [annotation]


def _inside(annotation: Any, part: Any) -> list[Any]:
    """The types found at key or index ``part`` of a value of type ``annotation``."""
    found: list[Any] = []
    for member in _members(annotation):
        origin = get_origin(member)
        if isinstance(member, type) and issubclass(member, BaseModel):
            for name, field in member.model_fields.items():
                if part in (name, field.alias):
                    found.append(field.annotation)
        elif origin is dict:
            found.append(get_args(member)[1])
        elif origin is list and isinstance(part, int):
            found.append(get_args(member)[0])
    return found


def _key_path(loc: tuple[Any, ...], data: Any) -> tuple[str, ...]:
    """pydantic's error location as the file's key path, without union tags ("menu", ...).

    The part that names a missing or unknown key is kept even though it is not in the data.
    """
    path: list[str] = []
    for index, part in enumerate(loc):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        elif index < len(loc) - 1:
            continue  # a union tag pydantic inserted
        path.append(str(part))
    return tuple(path)


def _string_keys(value: Any) -> Any:
    """YAML reads ``1:`` as the integer 1; every key of ours is a string (DTMF keys too)."""
    if isinstance(value, dict):
        return {str(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value
