"""Operators log in, pause, get ready and log out with the CLI; ``seats status`` and the
engine's picture show it, the phone's registration included."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from acd.state import AcdPicture, SeatState, SeatView
from centralino.core import events
from centralino.core.auth.models import Role
from centralino.core.auth.service import UserExists, add_user
from config.secrets import Secrets
from config.settings import Settings

from ..conftest import EngineRunner
from .conftest import AmiWatch
from .helpers import centralino, eventually, record
from .sipp_seat import seat_phone


async def seats_status(config: Path) -> dict[str, dict[str, Any]]:
    result = await centralino(config, "seats", "status", "--json")
    assert result.code == 0, result.stderr
    return {seat["name"]: seat for seat in json.loads(result.stdout)}


async def users(engine: EngineRunner, *names: str) -> None:
    """Operators ``names`` exist as users (``operator login`` refuses anyone else)."""
    async with engine.sessions() as session:
        for name in names:
            with contextlib.suppress(UserExists):
                await add_user(session, name, Role.OPERATOR)


def seat_in_picture(engine: EngineRunner, name: str) -> SeatView:
    return next(seat for seat in engine.engine.service(AcdPicture).seats() if seat.name == name)


async def test_login_pause_ready_logout_through_the_cli(
    engine: EngineRunner, ami: AmiWatch, settings: Settings, secrets: Secrets, itest_config: Path
) -> None:
    await users(engine, "alice", "bob")
    changes = record(engine.engine.bus, events.SeatChanged)
    async with seat_phone(settings, "seat1", secrets.seat_passwords["seat1"]):
        login = await centralino(itest_config, "operator", "login", "alice", "--seat", "seat1")
        assert login.code == 0, login.stderr
        assert "alice is logged in at seat1" in login.stdout

        seats = await seats_status(itest_config)
        assert {k: seats["seat1"][k] for k in ("operator", "state", "reason", "registered")} == {
            "operator": "alice", "state": "ready", "reason": None, "registered": True}
        assert datetime.fromisoformat(seats["seat1"]["since"]).tzinfo is not None
        assert seats["seat2"] == {"name": "seat2", "interface": "PJSIP/seat2",
                                  "registered": False, "operator": None, "state": "logged_out",
                                  "reason": None, "since": None}
        await eventually(lambda: seat_in_picture(engine, "seat1").state == SeatState.READY,
                         what="the engine sees alice ready")
        assert seat_in_picture(engine, "seat1").registered

        taken = await centralino(itest_config, "operator", "login", "bob", "--seat", "seat1")
        assert taken.code == 1 and "seat1 is taken by alice" in taken.stderr
        elsewhere = await centralino(itest_config, "operator", "login", "alice", "--seat", "seat2")
        assert elsewhere.code == 1 and "already logged in at seat1" in elsewhere.stderr
        unknown = await centralino(itest_config, "operator", "pause", "alice", "--reason", "nap")
        assert unknown.code == 2 and "unknown pause reason 'nap'" in unknown.stderr

        paused = await centralino(itest_config, "operator", "pause", "alice",
                                  "--reason", "training")
        assert paused.code == 0, paused.stderr
        seats = await seats_status(itest_config)
        assert (seats["seat1"]["state"], seats["seat1"]["reason"]) == ("paused", "training")
        await eventually(lambda: (seat_in_picture(engine, "seat1").state,
                                  seat_in_picture(engine, "seat1").reason)
                         == (SeatState.PAUSED, "training"), what="the engine sees the pause")

        ready = await centralino(itest_config, "operator", "ready", "alice")
        assert ready.code == 0, ready.stderr
        assert (await seats_status(itest_config))["seat1"]["state"] == "ready"

    # the phone unregisters: alice is still logged in, her seat is not reachable
    await eventually(lambda: not seat_in_picture(engine, "seat1").registered,
                     what="the engine sees the phone gone")
    seats = await seats_status(itest_config)
    assert (seats["seat1"]["operator"], seats["seat1"]["registered"]) == ("alice", False)

    logout = await centralino(itest_config, "operator", "logout", "alice")
    assert logout.code == 0, logout.stderr
    assert (await seats_status(itest_config))["seat1"]["state"] == "logged_out"
    await eventually(lambda: seat_in_picture(engine, "seat1").state == SeatState.LOGGED_OUT,
                     what="the engine sees alice gone")
    again = await centralino(itest_config, "operator", "logout", "alice")
    assert again.code == 1 and "alice is not logged in" in again.stderr

    seat1 = [(c.operator, c.state, c.reason) for c in changes if c.seat == "seat1"]
    assert [change for n, change in enumerate(seat1) if change != seat1[n - 1] or n == 0] == [
        (None, "logged_out", None), ("alice", "ready", None), ("alice", "paused", "training"),
        ("alice", "ready", None), (None, "logged_out", None)]
