"""``centralino users add | list | passwd | disable``: accounts of the web app."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from centralino.core.auth.models import Role, User
from centralino.core.auth.passwords import generate_password
from centralino.core.auth.service import (
    InvalidUser,
    UnknownUser,
    UserExists,
    add_user,
    check_name,
    deactivate,
    list_users,
    set_password,
)
from centralino.core.cli_support import (
    ConfigOption,
    JsonOption,
    database_session,
    fail,
    print_rows,
    settings_or_exit,
)
from centralino.core.db import DatabaseUnavailable

app = typer.Typer(no_args_is_help=True)

T = TypeVar("T")
NameArgument = Annotated[str, typer.Argument(help="The user's name, e.g. anna.rossi.")]
COLUMNS = ("name", "role", "active", "created_at", "last_login_at")


@app.callback()
def _group() -> None:
    """Users of the web app: operators, supervisors, admins."""


@app.command("add")
def add(
    name: NameArgument,
    role: Annotated[Role, typer.Option("--role", help="What the user may open.")],
    config: ConfigOption = None,
) -> None:
    """Create a user with a generated password, printed once."""
    _check_name_or_exit(name)
    user, password = _run(config, lambda session: add_user(session, name, role))
    typer.echo(f"user {user.name} ({user.role}) created; password: {password} — shown once")


@app.command("list")
def list_command(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Every user, by name (never a password hash)."""
    users = _run(config, list_users)
    print_rows([user_json(user) for user in users], COLUMNS, as_json, title="Users",
               settings=settings_or_exit(config))


@app.command("passwd")
def passwd(name: NameArgument, config: ConfigOption = None) -> None:
    """Give a user a new generated password, printed once; their web sessions end."""
    _check_name_or_exit(name)
    password = generate_password()
    _run(config, lambda session: set_password(session, name, password))
    typer.echo(f"user {name}: new password: {password} — shown once")


@app.command("disable")
def disable(name: NameArgument, config: ConfigOption = None) -> None:
    """Disable a user: no more logins, their web sessions end."""
    _check_name_or_exit(name)
    _run(config, lambda session: deactivate(session, name))
    typer.echo(f"user {name} disabled")


def user_json(user: User) -> dict[str, Any]:
    """A user as scripts see it (``users list --json``)."""
    return {"name": user.name, "role": user.role, "active": user.active,
            "created_at": user.created_at, "last_login_at": user.last_login_at}


def _check_name_or_exit(name: str) -> None:
    try:
        check_name(name)
    except InvalidUser as exc:
        raise fail(str(exc), 2) from None


def _run(config: ConfigOption, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` on the configured database; its failures are one line and exit 1."""
    settings = settings_or_exit(config)
    try:
        return asyncio.run(_in_session(settings.database_url, work))
    except (DatabaseUnavailable, UserExists, UnknownUser) as exc:
        raise fail(str(exc)) from None


async def _in_session(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async with database_session(url) as session:
        return await work(session)
