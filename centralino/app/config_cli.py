"""``centralino config check [FILE]``: a configuration file's problems, before a caller (or a
customer) meets them: the IVR menu, a settings file's menu, a campaign file and its scripts, an
outbound script. It lives in the composition root because it checks every domain's files."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from centralino.core.cli_support import ConfigOption, JsonOption, err_console
from config.loader import ConfigError, load_settings, read_yaml
from ivr.check import CheckReport, check_menu
from ivr.locations import sounds_location
from outbound.campaigns import read_campaign_file, script_resolver
from outbound.script_check import check_script

app = typer.Typer(no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Configuration files: check them before the engine loads them."""


@app.command("check")
def check(
    file: Annotated[Path | None, typer.Argument(
        help="A menu file, a campaign file, an outbound script, or a settings file whose "
             "ivr.menu_file is checked (default: the effective configuration's menu file).",
        dir_okay=False)] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check the IVR menu file: targets, reachability, ways out, classifications, sounds; a
    campaign file (its keys, with their lines, and its scripts); or an outbound script."""
    kind = _kind(file) if file is not None else "settings"
    if file is not None and kind == "campaign":
        report = _check_campaign(file, config)
    elif file is not None and kind == "script":
        report = _check_script(file, config)
    else:
        report = _check(file, config)
    if as_json:
        typer.echo(json.dumps({"ok": not report.errors,
                               "errors": [asdict(p) for p in report.errors],
                               "warnings": [asdict(p) for p in report.warnings]},
                              ensure_ascii=False))
    else:
        _print(report, "script" if kind == "script" else "menu")
    if report.errors:
        raise typer.Exit(2)


def _kind(file: Path) -> str:
    """``campaign`` (``script`` and no ``nodes`` nor ``ivr``), ``script`` (``nodes`` and an
    ``entry`` with a ``human`` node), ``menu`` (other ``nodes``) or ``settings``."""
    try:
        data = read_yaml(file).data
    except ConfigError:
        return "settings"  # _check reports it
    keys = data.keys()
    if "script" in keys and not {"nodes", "ivr"} & keys:
        return "campaign"
    entry = data.get("entry")
    if "nodes" in keys and isinstance(entry, dict) and "human" in entry:
        return "script"
    return "menu" if "nodes" in keys else "settings"


def _check_campaign(file: Path, config: Path | None) -> CheckReport:
    """The campaign file's problems, and those of each stage's script (sounds included)."""
    try:
        draft = read_campaign_file(file, script_resolver(sounds_location(load_settings(config))))
    except ConfigError as exc:
        return CheckReport(errors=list(exc.problems))
    return CheckReport(campaign=draft.file.name)


def _check_script(file: Path, config: Path | None) -> CheckReport:
    """An outbound script's problems, its sounds looked up as for the menu."""
    try:
        settings = load_settings(config)
    except ConfigError as exc:
        return CheckReport(errors=list(exc.problems))
    sounds_dir, sounds_root = sounds_location(settings)
    return check_script(file, sounds_dir, sounds_root=sounds_root)


def _check(file: Path | None, config: Path | None) -> CheckReport:
    """The menu file's report; settings that cannot be loaded are its errors."""
    menu_file: Path | None = None
    if file is not None:
        try:
            if "nodes" in read_yaml(file).data:
                menu_file = file
            else:
                config = file
        except ConfigError as exc:
            return CheckReport(errors=list(exc.problems))
    try:
        settings = load_settings(config)
    except ConfigError as exc:
        return CheckReport(errors=list(exc.problems))
    sounds_dir, sounds_root = sounds_location(settings)
    return check_menu(menu_file or settings.ivr.menu_file, sounds_dir, sounds_root=sounds_root)


def _print(report: CheckReport, what: str) -> None:
    for kind, colour, problems in (("error", "red", report.errors),
                                   ("warning", "yellow", report.warnings)):
        for problem in problems:
            err_console.print(f"[{colour}]{kind}[/{colour}] {escape(str(problem))}",
                              highlight=False, soft_wrap=True)
    warnings = _count(len(report.warnings), "warning")
    if report.errors:
        err_console.print(f"{_count(len(report.errors), 'error')}, {warnings}", highlight=False)
    elif report.campaign is not None:
        typer.echo(f"campaign OK: {report.campaign}, and its scripts")
    else:
        typer.echo(f"{what} OK: {_count(report.nodes, 'node')}, {warnings}")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
