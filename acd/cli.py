"""``centralino seats status`` and ``centralino operator login | pause | ready | logout``.

The commands talk to Asterisk themselves (AMI, with the secrets file's AMI secret): they work
whether the engine runs or not, and the engine's picture follows from the events they cause.
Exit codes: 1 when Asterisk (or, for ``login``, the database) cannot be reached or refuses, 2
for bad usage (an unknown seat or pause reason; ``login`` of a name that is no active user of
the web app, since the console is where an operator works).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, TypeVar

import typer

from acd.operators import InvalidRequest, OperatorDesk, Placement, Refused, check_request
from acd.queue_status import read_snapshot
from acd.state import AcdPicture
from centralino.core.ami import AmiClient, AmiError
from centralino.core.auth.models import User
from centralino.core.auth.service import get_user
from centralino.core.bus import EventBus
from centralino.core.cli_support import (
    ConfigOption,
    JsonOption,
    database_session,
    fail,
    print_rows,
    run_on_database,
    settings_or_exit,
)
from config.secrets import load_secrets
from config.settings import Settings

seats_app = typer.Typer(no_args_is_help=True)
operator_app = typer.Typer(no_args_is_help=True)

T = TypeVar("T")
SEAT_COLUMNS = ("name", "registered", "operator", "state", "reason", "since")
NameArgument = Annotated[str, typer.Argument(help="The operator's name, as in the queue.")]


class AsteriskUnreachable(AmiError):
    """No AMI session could be opened."""


@seats_app.callback()
def _seats_group() -> None:
    """Operator seats: who is logged in where, and in what state."""


@operator_app.callback()
def _operator_group() -> None:
    """Operators: log in to a seat, pause with a reason, ready, log out."""


@seats_app.command("status")
def status(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Every seat: registered phone, operator, state (logged_out, ready, paused, ringing,
    in_call, wrap_up) and since when."""
    settings = settings_or_exit(config)

    async def read(ami: AmiClient) -> AcdPicture:
        picture = AcdPicture(settings.acd, settings.seats.names, EventBus(),
                             timer=lambda _delay, _callback: None)
        picture.resync(await read_snapshot(ami, settings.acd.queue))
        return picture

    picture = _with_asterisk(settings, read)
    rows = [seat.to_json() for seat in picture.seats()]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        row["registered"] = "yes" if row["registered"] else "no"
        row["since"] = datetime.fromisoformat(row["since"]) if row["since"] else None
    print_rows(rows, SEAT_COLUMNS, as_json=False, title=f"Seats of queue {settings.acd.queue}",
               settings=settings)
    typer.echo(f"callers waiting: {len(picture.waiting())}")


@operator_app.command("login")
def login(
    name: NameArgument,
    seat: Annotated[str, typer.Option("--seat", help="The seat (PJSIP endpoint), e.g. seat1.")],
    config: ConfigOption = None,
) -> None:
    """Log NAME in at SEAT: calls from the queue reach that seat's phone."""
    placement = _act(config, lambda desk: desk.login(name, seat), name, seat=seat,
                     known_user=True)
    typer.echo(f"{name} is logged in at {placement.seat}")
    if not placement.registered:
        typer.echo(f"note: no phone is registered as {placement.seat}: calls reach it once "
                   "one registers", err=True)


@operator_app.command("pause")
def pause(
    name: NameArgument,
    reason: Annotated[str, typer.Option("--reason", help="One of acd.pause_reasons.")],
    config: ConfigOption = None,
) -> None:
    """Pause NAME with a reason: no calls until `ready`."""
    placement = _act(config, lambda desk: desk.pause(name, reason), name, reason=reason)
    typer.echo(f"{name} is paused ({reason}) at {placement.seat}")


@operator_app.command("ready")
def ready(name: NameArgument, config: ConfigOption = None) -> None:
    """End NAME's pause: calls reach their seat again."""
    placement = _act(config, lambda desk: desk.ready(name), name)
    typer.echo(f"{name} is ready at {placement.seat}")


@operator_app.command("logout")
def logout(name: NameArgument, config: ConfigOption = None) -> None:
    """Log NAME out of the queue (a call in progress goes on)."""
    placement = _act(config, lambda desk: desk.logout(name), name)
    typer.echo(f"{name} is logged out of {placement.seat}")


def _act(config: ConfigOption, action: Callable[[OperatorDesk], Awaitable[Placement]],
         operator: str, seat: str | None = None, reason: str | None = None,
         known_user: bool = False) -> Placement:
    """Check the request (exit 2 if it is bad, before reaching Asterisk), then carry it out.

    ``known_user``: ``operator`` must also be an active user of the web app."""
    settings = settings_or_exit(config)
    try:
        check_request(settings.acd, settings.seats.names, operator, seat=seat, reason=reason)
        if known_user:
            _check_user(settings, operator)
        return _with_asterisk(settings, lambda ami: action(
            OperatorDesk(ami, settings.acd, settings.seats.names)))
    except InvalidRequest as exc:
        raise fail(str(exc), code=2) from None
    except Refused as exc:
        raise fail(str(exc)) from None


def _check_user(settings: Settings, name: str) -> None:
    """Raise InvalidRequest unless ``name`` is an active user; exit 1 if the database cannot
    be reached."""
    user = run_on_database(_user(settings.database_url, name))
    if user is None:
        raise InvalidRequest(f"no user named {name!r}: create one first with "
                             f"`centralino users add {name} --role operator`")
    if not user.active:
        raise InvalidRequest(f"user {name!r} is disabled")


async def _user(url: str, name: str) -> User | None:
    async with database_session(url) as session:
        return await get_user(session, name)


def _with_asterisk(settings: Settings, work: Callable[[AmiClient], Awaitable[T]]) -> T:
    """Run ``work`` on an AMI session; exit 1 with one line if Asterisk cannot be reached."""

    async def run() -> T:
        ami = await _connect(settings)
        try:
            return await work(ami)
        finally:
            await ami.close()

    try:
        return asyncio.run(run())
    except AmiError as exc:
        raise fail(str(exc)) from None


async def _connect(settings: Settings) -> AmiClient:
    ami = AmiClient(settings.asterisk, load_secrets(settings.seats.names).ami_secret, probe=True)
    await ami.start()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.asterisk.ami.action_timeout
    while not ami.connected:
        if ami.last_error is not None or loop.time() > deadline:
            await ami.close()
            raise AsteriskUnreachable(f"cannot reach Asterisk AMI at {ami.address}: "
                                      f"{ami.last_error or 'no answer'}")
        await asyncio.sleep(0.05)
    return ami
