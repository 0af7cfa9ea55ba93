"""The post-call survey on the real sandbox: a sipp caller goes through the IVR to the queue, a
sipp seat answers; when the operator hangs up first the caller lands in the survey and their
keys are stored, when the caller hangs up first there is no survey."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from acd.operators import OperatorDesk
from acd.state import AcdPicture
from config.secrets import Secrets
from config.settings import Settings
from outbound.models import CallSurvey
from outbound.survey_store import survey_of_call

from ..acd.conftest import AmiWatch
from ..acd.helpers import eventually
from ..acd.sipp_seat import seat_phone
from ..conftest import EngineRunner
from ..sipp_caller import HANG_UP, WAIT_FOR_BYE, Pause, Press, place_call
from ..stored import ended_call

OPERATOR = "alice"
TO_THE_QUEUE = [Pause(1500), Press("2")]  # the test menu's key 2: the operators' queue


@asynccontextmanager
async def operator_at_seat1(engine: EngineRunner, settings: Settings, secrets: Secrets,
                            ami: AmiWatch, hang_up_after_ms: int | None
                            ) -> AsyncIterator[None]:
    """Alice logged in at seat1, whose phone answers (and hangs up first, if told when)."""
    async with seat_phone(settings, "seat1", secrets.seat_passwords["seat1"],
                          hang_up_after_ms=hang_up_after_ms):
        await OperatorDesk(ami.client, settings.acd, settings.seats.names).login(
            OPERATOR, "seat1")
        await eventually(lambda: any(s.operator == OPERATOR and s.registered
                                     for s in engine.engine.service(AcdPicture).seats()),
                         what="alice at a registered seat1")
        yield


async def stored_survey(engine: EngineRunner, linkedid: str) -> CallSurvey | None:
    async with engine.sessions() as session:
        return await survey_of_call(session, linkedid)


async def test_caller_whose_operator_hangs_up_answers_the_survey_and_it_is_stored(
        engine: EngineRunner, settings: Settings, secrets: Secrets, ami: AmiWatch) -> None:
    caller = "3335557001"
    async with operator_at_seat1(engine, settings, secrets, ami, hang_up_after_ms=2000):
        # Queued, answered, the operator hangs up after 2 s; then 1 starts the survey and the
        # four items are answered 4, 5, 3, 2; the survey thanks and hangs up.
        result = await place_call(settings, [
            *TO_THE_QUEUE, Pause(9000), Press("1"), Pause(1500), Press("4"), Pause(1500),
            Press("5"), Pause(1500), Press("3"), Pause(1500), Press("2")],
            WAIT_FOR_BYE, caller=caller)
    assert result.succeeded, result.output
    call = await ended_call(engine, caller)
    assert ami.of("AgentConnect", Linkedid=call.linkedid), "an operator took the call"
    survey = await stored_survey(engine, call.linkedid)
    assert survey is not None
    assert survey.answers == {"waiting_time": 4, "accuracy": 5, "ability": 3, "courtesy": 2}
    assert survey.keys == "14532" and survey.completed


async def test_caller_who_hangs_up_on_the_operator_gets_no_survey(
        engine: EngineRunner, settings: Settings, secrets: Secrets, ami: AmiWatch) -> None:
    caller = "3335557002"
    async with operator_at_seat1(engine, settings, secrets, ami, hang_up_after_ms=None):
        result = await place_call(settings, [*TO_THE_QUEUE, Pause(5000)], HANG_UP,
                                  caller=caller)
    assert result.succeeded, result.output
    call = await ended_call(engine, caller)
    assert ami.of("AgentConnect", Linkedid=call.linkedid), "an operator took the call"
    assert ami.of("AgentComplete", Linkedid=call.linkedid, Reason="caller")
    assert await stored_survey(engine, call.linkedid) is None
