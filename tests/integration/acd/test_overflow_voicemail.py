"""A caller the logged-in operators never answer waits ``acd.max_wait_seconds`` (20 s here),
goes back to the IVR at its ``closed`` entry as ``busy``, leaves a spoken message, and the
center owes them a call: a callback task with reason ``voicemail``, due now (the center is
open)."""

from __future__ import annotations

from acd.operators import OperatorDesk
from config.secrets import Secrets
from config.settings import Settings
from recordings.store import sha256_of

from ..ari_observer import observe_asterisk
from ..conftest import EngineRunner, wait_until
from ..sipp_caller import WAIT_FOR_BYE, Pause, Press, Speak, place_call
from ..stored import callbacks_of, ticket_of_call_from
from ..voicemail.helpers import held_by_asterisk, stored_file, the_message_of
from ..voicemail.speech import spoken
from .conftest import AmiWatch
from .sipp_seat import seat_phone

CALLER = "3338000002"
CALLER_E164 = "+393338000002"
# The queue lets the caller go at the end of a ring-and-retry cycle past the 20 s (about 25 s
# into the call), the closed entry's greeting and beep take 3.5 s: the caller starts speaking
# before the beep, stops a few seconds into the recording and waits for the engine to end the
# call (silence, or the entry's maximum of 10 s).
WAIT_IN_QUEUE_MS = 26000
MESSAGE = spoken("Good morning, this is Anna Bianchi. Nobody answered, please call me back.")


async def test_a_caller_nobody_answers_leaves_a_busy_message_and_gets_a_callback_task(
    engine: EngineRunner, ami: AmiWatch, settings: Settings, secrets: Secrets
) -> None:
    desk = OperatorDesk(ami.client, settings.acd, settings.seats.names)
    async with (observe_asterisk(settings) as asterisk,
                seat_phone(settings, "seat1", secrets.seat_passwords["seat1"], answer=False)):
        await desk.login("alice", "seat1")  # her phone rings, nobody picks up
        # "2" in the main menu: the operators' queue; then the caller speaks
        result = await place_call(settings, [Pause(500), Press("2"), Pause(WAIT_IN_QUEUE_MS),
                                             Speak(MESSAGE)], WAIT_FOR_BYE, caller=CALLER,
                                  timeout=60)
        assert result.succeeded, result.output
    joined = ami.of("QueueCallerJoin", CallerIDNum=CALLER)
    assert joined, "the caller waited in the queue"
    assert ami.of("AgentRingNoAnswer", CallerIDNum=CALLER), "alice's seat rang, unanswered"
    assert ami.of("AgentConnect", CallerIDNum=CALLER) == []
    overflow = [e["dialplan_app_data"] for e in asterisk.events_of("ChannelDialplan")
                if e["channel"]["caller"]["number"] == CALLER and e["dialplan_app"] == "Stasis"
                and ",overflow," in e["dialplan_app_data"]]
    assert overflow == [f"{settings.asterisk.ari.app},overflow,{joined[0]['Linkedid']},TIMEOUT"]

    ticket = await ticket_of_call_from(engine, CALLER)
    message = await the_message_of(engine, joined[0]["Linkedid"])
    assert (message.kind, message.situation, message.caller_id) == ("voicemail", "busy", CALLER)
    assert message.ticket_id == ticket.id and ticket.call_linkedid == message.call_linkedid
    wav = stored_file(settings, message.path)
    assert sha256_of(wav) == message.sha256 and wav.stat().st_size == message.size_bytes
    assert message.duration_seconds >= 3, "the closed entry keeps messages of 3 s and more"
    assert message.asterisk_name not in await held_by_asterisk(settings)

    [task] = await wait_until(lambda: callbacks_of(engine, CALLER_E164), bool, timeout=15)
    assert (task.reason, task.status, task.reasons) == ("voicemail", "open", ["voicemail"])
    assert task.recording_ids == [message.id] and task.linkedids == [message.call_linkedid]
    assert task.due_at == engine.clock.now, "due at once: the center is open"
