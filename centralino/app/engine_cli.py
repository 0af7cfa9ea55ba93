"""``centralino run`` and ``centralino db upgrade``."""

from __future__ import annotations

import asyncio
import json
import signal
import urllib.error
import urllib.request
from typing import Annotated

import typer
import uvloop

from centralino.app.engine import Engine, WebPortUnavailable
from centralino.core.cli_support import (
    ConfigOption,
    err_console,
    fail,
    report_problems,
    run_on_database,
    settings_or_exit,
)
from centralino.core.db import DatabaseUnavailable, upgrade_database
from centralino.core.logs import configure_logging
from centralino.core.sandbox import process as sandbox
from config.loader import ConfigError
from config.secrets import load_secrets
from config.settings import Settings

db_app = typer.Typer(no_args_is_help=True, help="Database schema.")


def run(
    config: ConfigOption = None,
    with_sandbox: Annotated[bool, typer.Option(
        "--sandbox", help="Also start the sandbox Asterisk (and stop it on exit).")] = False,
) -> None:
    """Run the engine (AMI + ARI + web app) until SIGINT/SIGTERM."""
    settings = settings_or_exit(config)
    configure_logging(settings.logging)
    started_sandbox = False
    if with_sandbox and not sandbox.status(settings).running:
        sandbox.up(settings)
        started_sandbox = True
    try:
        uvloop.run(_run_engine(settings))  # libuv's loop: less CPU per event and request
    except DatabaseUnavailable as exc:
        raise fail(str(exc)) from None
    except WebPortUnavailable as exc:
        raise fail(str(exc)) from None
    except ConfigError as exc:
        report_problems(exc.problems)
        raise typer.Exit(2) from None
    finally:
        if started_sandbox:
            sandbox.down(settings)


async def _run_engine(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    engine = Engine(settings, load_secrets(settings.seats.names))
    await engine.run(stop)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Create or migrate the database schema to the latest version."""
    settings = settings_or_exit(config)
    run_on_database(upgrade_database(settings.database_url))
    typer.echo("database schema is up to date")


def reload(config: ConfigOption = None) -> None:
    """Make the running engine load its menu file again (like SIGHUP); calls in progress keep
    the menu they started with. A file with errors is refused and the old menu stays."""
    settings = settings_or_exit(config)
    url = f"http://{settings.web.host}:{settings.web.port}/api/ivr/reload"
    token = load_secrets(settings.seats.names).control_token  # the engine's, same file
    request = urllib.request.Request(url, method="POST",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        if exc.code != 422:
            raise fail(f"the engine at {url} answered {exc.code}") from None
        for problem in json.loads(exc.read()).get("errors", []):
            err_console.print(f"[red]config error[/red] {problem}", highlight=False,
                              soft_wrap=True)
        err_console.print("menu not reloaded: the engine keeps the menu it had")
        raise typer.Exit(2) from None
    except (urllib.error.URLError, OSError) as exc:
        raise fail(f"no engine answers at {url}: {getattr(exc, 'reason', exc)}") from None
    typer.echo(f"menu reloaded: {body['file']} ({body['nodes']} nodes)")


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(reload)
    app.add_typer(db_app, name="db")
