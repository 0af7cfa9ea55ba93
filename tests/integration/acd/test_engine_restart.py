"""The queue lives in Asterisk: an engine restart touches no call, and the new engine rebuilds
its picture from QueueStatus, then follows the events again."""

from __future__ import annotations

from acd.operators import OperatorDesk
from acd.state import AcdPicture, SeatState
from centralino.core import events
from centralino.core.sandbox.process import SandboxStatus
from config.secrets import Secrets
from config.settings import Settings

from ..conftest import EngineRunner
from .conftest import AmiWatch
from .helpers import eventually, record, running
from .sipp_seat import seat_phone


async def test_a_restarted_engine_rebuilds_the_picture_while_one_caller_talks_and_one_waits(
    asterisk: SandboxStatus, ami: AmiWatch, settings: Settings, secrets: Secrets
) -> None:
    desk = OperatorDesk(ami.client, settings.acd, settings.seats.names)
    async with seat_phone(settings, "seat1", secrets.seat_passwords["seat1"]):
        async with running(EngineRunner(settings)) as first:
            await desk.login("alice", "seat1")
            await ami.call_queue("3336000001")
            talking = (await eventually(lambda: ami.of("AgentConnect", CallerIDNum="3336000001"),
                                        what="alice answers the first caller"))[0]
            await ami.call_queue("3336000002")
            waiting = (await eventually(
                lambda: ami.of("QueueCallerJoin", CallerIDNum="3336000002"),
                what="the second caller waits"))[0]
            acd = first.engine.service(AcdPicture)
            await eventually(lambda: len(acd.waiting()) == 1
                             and acd.seats()[0].state == SeatState.IN_CALL,
                             what="the first engine sees one caller talking, one waiting")

        second = EngineRunner(settings)
        requeued = record(second.engine.bus, events.CallerQueued)
        answered = record(second.engine.bus, events.QueueCallAnswered)
        async with running(second):
            acd = second.engine.service(AcdPicture)
            seat1 = await eventually(lambda: acd.seats()[0].operator == "alice"
                                     and acd.seats()[0], what="the picture rebuilt")
            assert (seat1.state, seat1.registered) == (SeatState.IN_CALL, True)
            assert [(c.linkedid, c.caller_id, c.position)
                    for c in acd.waiting()] == [
                (waiting["Linkedid"], "3336000002", 1)]
            assert [c.linkedid for c in requeued] == [waiting["Linkedid"]]
            assert ami.of("AgentComplete") == [] and ami.of(
                "QueueCallerLeave", CallerIDNum="3336000002") == [], \
                "both calls went on through the restart"

            await ami.hang_up(talking["Channel"])  # the first call ends: alice takes the second
            await eventually(lambda: [a for a in answered if a.linkedid == waiting["Linkedid"]],
                             what="the new engine sees alice answer the waiting caller")
            assert acd.waiting() == []
            assert acd.seats()[0].state == SeatState.IN_CALL
