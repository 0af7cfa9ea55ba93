"""``centralino contacts add | list``: the people the IVR can identify by PIN."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer

from centralino.core.cli_support import (
    ConfigOption,
    JsonOption,
    database_session,
    fail,
    print_rows,
    run_on_database,
    settings_or_exit,
)
from centralino.core.db import DatabaseUnavailable
from config.secrets import load_secrets
from cti.tickets.contacts import add_contact, list_contacts, normalize_phone, pin_digest
from cti.tickets.models import Contact

app = typer.Typer(no_args_is_help=True)

COLUMNS = ("id", "name", "phone", "has_pin", "created_at")


@app.callback()
def _group() -> None:
    """Contacts: people the center knows."""


@app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="The contact's full name.")],
    phone: Annotated[str | None, typer.Option(help="Phone number (Italian numbers without +39 "
                                                    "are fine).")] = None,
    pin: Annotated[str | None, typer.Option(help="4 to 16 digits the caller keys in the IVR "
                                                  "(stored only as a keyed digest).")] = None,
    config: ConfigOption = None,
) -> None:
    """Add a contact, optionally with a phone number and an IVR PIN."""
    settings = settings_or_exit(config)
    pin_key = load_secrets(settings.seats.names).pin_key
    try:
        if phone is not None:
            normalize_phone(phone)
        if pin is not None:
            pin_digest(pin, pin_key)
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    try:
        contact = asyncio.run(_add(settings.database_url, name, phone, pin, pin_key))
    except DatabaseUnavailable as exc:
        raise fail(str(exc)) from None
    except ValueError as exc:  # the PIN belongs to someone else
        raise fail(str(exc)) from None
    typer.echo(f"contact {contact.id} added: {contact.name}")


@app.command("list")
def list_command(
    config: ConfigOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1)] = 100,
    as_json: JsonOption = False,
) -> None:
    """Contacts, newest first."""
    settings = settings_or_exit(config)
    rows = run_on_database(_rows(settings.database_url, limit))
    print_rows(rows, COLUMNS, as_json, title="Contacts", settings=settings)


async def _add(url: str, name: str, phone: str | None, pin: str | None,
               pin_key: str) -> Contact:
    async with database_session(url) as session:
        return await add_contact(session, name, phone=phone, pin=pin, pin_key=pin_key)


async def _rows(url: str, limit: int) -> list[dict[str, Any]]:
    async with database_session(url) as session:
        return [{"id": c.id, "name": c.name, "phone": c.phone,
                 "has_pin": c.pin_digest is not None, "created_at": c.created_at}
                for c in await list_contacts(session, limit)]
