"""``centralino sandbox up | down | status | logs``: the project's own Asterisk, in a chroot."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from centralino.core.cli_support import (
    ConfigOption,
    JsonOption,
    fail,
    settings_or_exit,
    table_console,
)
from centralino.core.logs import configure_logging
from centralino.core.sandbox import process
from centralino.core.sandbox.errors import SandboxError
from centralino.core.sandbox.process import SandboxStatus

app = typer.Typer(no_args_is_help=True, help="The project's own Asterisk, in a chroot.")


def _print_status(current: SandboxStatus) -> None:
    table = Table(title=f"sandbox {current.instance}", show_header=False)
    table.add_column("key")
    table.add_column("value", overflow="fold")
    state = f"[green]running[/green] (pid {current.pid})" if current.running \
        else "[yellow]not running[/yellow]"
    rows = [
        ("state", state),
        ("SIP (UDP)", f"{current.sip_host}:{current.sip_port}"),
        ("toll-free number", current.toll_free_number),
        ("seats", ", ".join(current.seats)),
        ("AMI", f"{current.asterisk_host}:{current.ami_port}"),
        ("ARI", f"http://{current.asterisk_host}:{current.ari_port}/ari (app {current.ari_app})"),
        ("root", current.root),
        ("log", current.log_file),
        ("spool", current.spool_dir),
    ]
    for key, value in rows:
        table.add_row(key, value)
    table_console().print(table)


@app.command()
def up(config: ConfigOption = None) -> None:
    """Start the sandbox Asterisk (building its root filesystem the first time)."""
    settings = settings_or_exit(config)
    configure_logging(settings.logging)
    if process.status(settings).running:
        typer.echo(f"sandbox {settings.sandbox.instance} is already running")
    try:
        current = process.up(settings)
    except SandboxError as exc:
        raise fail(str(exc)) from None
    _print_status(current)


@app.command()
def down(config: ConfigOption = None) -> None:
    """Stop the sandbox Asterisk (nothing to do if it is not running)."""
    settings = settings_or_exit(config)
    configure_logging(settings.logging)
    stopped = process.down(settings)
    typer.echo(f"sandbox {settings.sandbox.instance}: "
               + ("stopped" if stopped else "was not running"))


@app.command()
def status(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Say whether the sandbox runs, and where to reach it (exit code 0 either way)."""
    settings = settings_or_exit(config)
    current = process.status(settings)
    if as_json:
        typer.echo(current.to_json())
    else:
        _print_status(current)


@app.command()
def logs(
    config: ConfigOption = None,
    lines: Annotated[int, typer.Option("-n", "--lines", min=0,
                                       help="How many of the last lines to print.")] = 50,
    follow: Annotated[bool, typer.Option("--follow", "-f",
                                         help="Keep printing new lines (Ctrl-C stops).")] = False,
) -> None:
    """Print the end of the sandbox Asterisk's log file (messages)."""
    settings = settings_or_exit(config)
    path = process.log_file(settings)
    if not path.exists() and not follow:
        raise fail(f"no log yet at {path}: has `centralino sandbox up` run?")
    for line in process.tail(path, lines):
        typer.echo(line)
    if follow:
        try:
            for line in process.follow(path):
                typer.echo(line)
        except KeyboardInterrupt:
            pass
