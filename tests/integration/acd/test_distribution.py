"""app_queue hands callers to seats: the one idle longest first; never a paused, logged-out or
unregistered one; a caller nobody can serve, or who waits too long, goes back to the engine
(``Stasis(app,overflow,LINKEDID,QUEUESTATUS)``)."""

from __future__ import annotations

import asyncio
from typing import Any

from acd.operators import OperatorDesk
from acd.state import AcdPicture, SeatState
from centralino.core import events
from config.secrets import Secrets
from config.settings import Settings

from ..ari_observer import AriObserver, observe_asterisk
from ..conftest import EngineRunner
from ..sipp_caller import WAIT_FOR_BYE, Pause, Press, place_call
from .conftest import AmiWatch
from .helpers import eventually, record
from .sipp_seat import seat_phone


def desk_for(ami: AmiWatch, settings: Settings) -> OperatorDesk:
    return OperatorDesk(ami.client, settings.acd, settings.seats.names)


async def answered_by(ami: AmiWatch, caller: str) -> dict[str, Any]:
    """The AgentConnect of ``caller``'s call, once a seat answered it."""
    connected = await eventually(lambda: ami.of("AgentConnect", CallerIDNum=caller),
                                 what=f"a seat answers {caller}")
    return connected[0]


def rung_for(ami: AmiWatch, caller: str) -> list[str]:
    """The interfaces app_queue rang for ``caller``, in order."""
    return [event["Interface"] for event in ami.of("AgentCalled", CallerIDNum=caller)]


async def all_ready(engine: EngineRunner, seats: list[str]) -> None:
    """Wait until the engine sees ``seats`` ready (wrap-up over)."""
    acd = engine.engine.service(AcdPicture)
    await eventually(lambda: all(seat.state == SeatState.READY for seat in acd.seats()
                                 if seat.name in seats), what=f"{seats} ready")


async def overflow_of(observer: AriObserver, caller: str, timeout: float = 20.0) -> list[str]:
    """The arguments of the Stasis(app,overflow,...) the caller's channel ran."""
    stasis = await eventually(lambda: [e for e in observer.events_of("ChannelDialplan")
                                       if e["channel"]["caller"]["number"] == caller
                                       and e["dialplan_app"] == "Stasis"
                                       and ",overflow," in e["dialplan_app_data"]],
                              timeout, what=f"{caller} reaches Stasis as overflow")
    return str(stasis[0]["dialplan_app_data"]).split(",")


async def test_the_seat_idle_longest_gets_the_next_caller(
    engine: EngineRunner, ami: AmiWatch, settings: Settings, secrets: Secrets
) -> None:
    desk = desk_for(ami, settings)
    screen_pops = record(engine.engine.bus, events.AgentCalled)
    async with (seat_phone(settings, "seat1", secrets.seat_passwords["seat1"]),
                seat_phone(settings, "seat2", secrets.seat_passwords["seat2"])):
        await desk.login("alice", "seat1")
        await desk.login("bob", "seat2")
        await desk.pause("alice", "break")
        for caller in ("3331000001", "3331000002"):  # bob takes two calls: alice is paused
            await ami.call_queue(caller)
            call = await answered_by(ami, caller)
            assert call["Interface"] == "PJSIP/seat2"
            await ami.hang_up(call["Channel"])
            await all_ready(engine, ["seat2"])
        await desk.ready("alice")
        await all_ready(engine, ["seat1", "seat2"])

        await ami.call_queue("3331000003")  # alice has been idle longer: never called
        third = await answered_by(ami, "3331000003")
        assert rung_for(ami, "3331000003") == ["PJSIP/seat1"]
        await ami.hang_up(third["Channel"])
        await all_ready(engine, ["seat1", "seat2"])

        await ami.call_queue("3331000004")  # now bob has, though he took more calls
        fourth = await answered_by(ami, "3331000004")
        assert rung_for(ami, "3331000004") == ["PJSIP/seat2"]
        await ami.hang_up(fourth["Channel"])

    pop = next(p for p in screen_pops if p.caller_id == "3331000003")
    assert (pop.seat, pop.operator, pop.queue) == ("seat1", "alice", "operators")
    assert pop.linkedid == third["Linkedid"]


async def test_a_paused_seat_is_not_rung_and_all_paused_sends_callers_back_to_the_engine(
    engine: EngineRunner, ami: AmiWatch, settings: Settings, secrets: Secrets
) -> None:
    desk = desk_for(ami, settings)
    async with (observe_asterisk(settings) as observer,
                seat_phone(settings, "seat1", secrets.seat_passwords["seat1"]),
                seat_phone(settings, "seat2", secrets.seat_passwords["seat2"])):
        await desk.login("alice", "seat1")
        await ami.call_queue("3332000001")
        await ami.hang_up((await answered_by(ami, "3332000001"))["Channel"])
        await all_ready(engine, ["seat1"])
        await desk.login("bob", "seat2")  # idle longer than alice, but on a break
        await desk.pause("bob", "training")

        await ami.call_queue("3332000002")
        call = await answered_by(ami, "3332000002")
        assert rung_for(ami, "3332000002") == ["PJSIP/seat1"]
        seats = {seat.name: seat for seat in engine.engine.service(AcdPicture).seats()}
        assert (seats["seat2"].state, seats["seat2"].reason) == (SeatState.PAUSED, "training")
        await ami.hang_up(call["Channel"])

        await desk.pause("alice", "back_office")
        await ami.call_queue("3332000003")
        args = await overflow_of(observer, "3332000003")
    assert args[:2] == [settings.asterisk.ari.app, "overflow"] and args[3] == "JOINEMPTY"
    assert rung_for(ami, "3332000003") == []


async def test_a_logged_out_seat_is_not_rung_and_an_empty_queue_sends_callers_back_at_once(
    engine: EngineRunner, ami: AmiWatch, settings: Settings, secrets: Secrets
) -> None:
    desk = desk_for(ami, settings)
    async with (observe_asterisk(settings) as observer,
                seat_phone(settings, "seat1", secrets.seat_passwords["seat1"]),
                seat_phone(settings, "seat2", secrets.seat_passwords["seat2"])):
        await desk.login("alice", "seat1")
        await ami.call_queue("3333000001")
        await ami.hang_up((await answered_by(ami, "3333000001"))["Channel"])
        await all_ready(engine, ["seat1"])
        await desk.login("bob", "seat2")  # idle longer than alice...
        await desk.logout("bob")  # ... but gone

        await ami.call_queue("3333000002")
        await ami.hang_up((await answered_by(ami, "3333000002"))["Channel"])
        assert rung_for(ami, "3333000002") == ["PJSIP/seat1"]

        await desk.logout("alice")
        await ami.call_queue("3333000003")
        args = await overflow_of(observer, "3333000003")
    joined = ami.of("QueueCallerJoin", CallerIDNum="3333000003")
    assert args[:2] == [settings.asterisk.ari.app, "overflow"] and args[3] == "JOINEMPTY"
    assert joined == [], "the caller never waited in the queue"


async def test_a_caller_the_ivr_queues_while_nobody_is_logged_in_goes_back_to_the_engine(
    engine: EngineRunner, ami: AmiWatch, settings: Settings
) -> None:
    async with observe_asterisk(settings) as observer:
        call = asyncio.create_task(place_call(settings, [Pause(500), Press("2")], WAIT_FOR_BYE,
                                              caller="3337000001", timeout=30))
        try:
            app, entry, linkedid, status = await overflow_of(observer, "3337000001")
        finally:
            caller = next(e["channel"] for e in observer.events_of("ChannelDialplan")
                          if e["channel"]["caller"]["number"] == "3337000001")
            await ami.hang_up(caller["name"])  # what the engine does next is not this test's
            await call
    assert (app, entry, status) == (settings.asterisk.ari.app, "overflow", "JOINEMPTY")
    assert linkedid == caller["id"], "the call's linkedid: the key of its ticket"


async def test_a_seat_whose_phone_is_not_registered_holds_no_caller(
    engine: EngineRunner, ami: AmiWatch, settings: Settings
) -> None:
    desk = desk_for(ami, settings)
    placement = await desk.login("carla", "seat3")
    assert not placement.registered
    async with observe_asterisk(settings) as observer:
        await ami.call_queue("3334000001")
        args = await overflow_of(observer, "3334000001")
    assert args[:2] == [settings.asterisk.ari.app, "overflow"] and args[3] == "JOINEMPTY"
    seat3 = next(seat for seat in engine.engine.service(AcdPicture).seats() if seat.name == "seat3")
    assert (seat3.operator, seat3.registered) == ("carla", False)


async def test_a_caller_nobody_answers_goes_back_to_the_engine_after_the_maximum_wait(
    engine: EngineRunner, ami: AmiWatch, settings: Settings, secrets: Secrets
) -> None:
    desk = desk_for(ami, settings)
    async with (observe_asterisk(settings) as observer,
                seat_phone(settings, "seat1", secrets.seat_passwords["seat1"], answer=False)):
        await desk.login("alice", "seat1")
        await ami.call_queue("3335000001")
        args = await overflow_of(observer, "3335000001", timeout=60)
    joined = ami.of("QueueCallerJoin", CallerIDNum="3335000001")
    assert args == [settings.asterisk.ari.app, "overflow", joined[0]["Linkedid"], "TIMEOUT"]
    assert len(ami.of("AgentRingNoAnswer", CallerIDNum="3335000001")) >= 2, \
        "rung for ring_timeout, again after retry, until max_wait_seconds"
