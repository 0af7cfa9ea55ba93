"""A caller who hangs up while waiting in the operators' queue is an abandoned call: on the
ticket of the call (``queue_outcome``, with the wait app_queue measured), in the supervisor's
count of the day, and as a callback task the center owes them."""

from __future__ import annotations

from typing import Any

from acd.operators import OperatorDesk
from config.secrets import Secrets
from config.settings import Settings
from cti.supervisor.http import LiveBoard
from cti.tickets.models import Ticket

from ..conftest import EngineRunner, wait_until
from ..sipp_caller import HANG_UP, Pause, Press, place_call
from ..stored import callbacks_of, ticket_of_call_from
from .conftest import AmiWatch
from .helpers import eventually
from .sipp_seat import seat_phone

CALLER = "3338000001"
CALLED_BACK = "3338000003"


async def abandons_the_queue(ami: AmiWatch, settings: Settings, secrets: Secrets,
                             caller: str) -> dict[str, Any]:
    """``caller`` waits in the queue while alice's seat rings unanswered, and hangs up after
    six seconds; the QueueCallerAbandon of the call."""
    desk = OperatorDesk(ami.client, settings.acd, settings.seats.names)
    async with seat_phone(settings, "seat1", secrets.seat_passwords["seat1"], answer=False):
        await desk.login("alice", "seat1")  # her phone rings, nobody picks up
        # "2" in the main menu: the operators' queue
        result = await place_call(settings, [Pause(500), Press("2"), Pause(6000)], HANG_UP,
                                  caller=caller, timeout=30)
        assert result.succeeded, result.output
        return (await eventually(lambda: ami.of("QueueCallerAbandon", CallerIDNum=caller),
                                 what=f"{caller} abandons the queue"))[0]


async def test_a_caller_who_hangs_up_while_waiting_in_the_queue_is_recorded_as_abandoned(
    engine: EngineRunner, ami: AmiWatch, settings: Settings, secrets: Secrets
) -> None:
    abandon = await abandons_the_queue(ami, settings, secrets, CALLER)

    async def ticket() -> Ticket:
        return await ticket_of_call_from(engine, CALLER)

    stored = await wait_until(ticket, lambda t: t.queue_outcome is not None, timeout=15)
    assert ami.of("QueueCallerJoin", CallerIDNum=CALLER), "the caller waited in the queue"
    assert ami.of("AgentConnect", CallerIDNum=CALLER) == []
    assert stored.call_linkedid == abandon["Linkedid"]
    assert (stored.ivr_outcome, stored.queue_outcome) == ("queued", "abandoned")
    assert stored.queue_wait_seconds == int(abandon["HoldTime"])
    assert engine.engine.service(LiveBoard).snapshot()["today"]["abandoned"] == 1


async def test_the_abandoned_caller_gets_one_open_callback_task_due_now(
    engine: EngineRunner, ami: AmiWatch, settings: Settings, secrets: Secrets
) -> None:
    abandon = await abandons_the_queue(ami, settings, secrets, CALLED_BACK)

    [task] = await wait_until(lambda: callbacks_of(engine, "+393338000003"), bool, timeout=15)
    assert (task.reason, task.status, task.reasons) == ("abandoned", "open", ["abandoned"])
    assert task.linkedids == [abandon["Linkedid"]] and task.recording_ids == []
    assert task.due_at == engine.clock.now, "due at once: the center is open"
    assert task.attempts == 0 and task.assigned_to is None
