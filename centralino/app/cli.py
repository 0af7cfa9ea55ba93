"""The ``centralino`` command: each domain's command groups, then the engine's own."""

from __future__ import annotations

import typer

from centralino.app.config_cli import app as config_app
from centralino.app.domains import PLUGINS
from centralino.app.engine_cli import register as register_engine_commands
from centralino.core.cli_support import root_options

app = typer.Typer(no_args_is_help=True, help="Centralino: contact-center engine for Asterisk.",
                  pretty_exceptions_enable=False)
app.callback()(root_options)  # --config before the subcommand
for plugin in PLUGINS:
    for group in plugin.commands:
        app.add_typer(group.app, name=group.name, help=group.help)
app.add_typer(config_app, name="config",
              help="Configuration files: check a menu, a campaign, a script.")
register_engine_commands(app)


def main() -> None:
    app()
