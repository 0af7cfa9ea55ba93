"""The ``centralino`` command."""

from __future__ import annotations

import typer

from acd.cli import operator_app, seats_app
from centralino.auth.cli import app as users_app
from centralino.calls.cli import app as calls_app
from centralino.engine_cli import register as register_engine_commands
from centralino.sandbox.cli import app as sandbox_app
from cti.callbacks_cli import app as callbacks_app
from cti.cli import app as tickets_app
from cti.contacts_cli import app as contacts_app
from ivr.check_cli import app as config_app
from ivr.hours_cli import app as hours_app
from recordings.cli import app as voicemails_app
from recordings.retention_cli import app as recordings_app

app = typer.Typer(no_args_is_help=True, help="Centralino: contact-center engine for Asterisk.",
                  pretty_exceptions_enable=False)
app.add_typer(sandbox_app, name="sandbox", help="The project's own Asterisk, in a chroot.")
app.add_typer(calls_app, name="calls", help="Calls the engine has handled.")
app.add_typer(tickets_app, name="tickets", help="Tickets opened for calls.")
app.add_typer(contacts_app, name="contacts", help="People the IVR can identify by PIN.")
app.add_typer(callbacks_app, name="callbacks", help="Callers to call back: voicemails, "
              "abandoned and missed calls.")
app.add_typer(hours_app, name="hours", help="Office hours: the override and the state now.")
app.add_typer(config_app, name="config", help="Configuration files: check the IVR menu.")
app.add_typer(seats_app, name="seats", help="Operator seats: who is where, in what state.")
app.add_typer(operator_app, name="operator", help="Operators: log in, pause, ready, log out.")
app.add_typer(users_app, name="users", help="Users of the web app and their roles.")
app.add_typer(voicemails_app, name="voicemails", help="Voicemail messages callers left.")
app.add_typer(recordings_app, name="recordings",
              help="Recordings: the retention purge and the access log.")
register_engine_commands(app)


def main() -> None:
    app()
