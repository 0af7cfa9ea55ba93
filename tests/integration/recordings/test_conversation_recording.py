"""A queued caller answered by an operator: the caller hears the recording notice, the
conversation is recorded by the queue and ends up stored, as a ``conversation`` recording."""

from __future__ import annotations

import asyncio
import wave
from typing import Any

from sqlalchemy import select

from acd.operators import OperatorDesk
from config.secrets import Secrets
from config.settings import Settings
from ivr.locations import media_dirs
from recordings.models import Recording, RecordingKind

from ..acd.conftest import AmiWatch
from ..acd.helpers import eventually
from ..acd.sipp_seat import seat_phone
from ..ari_observer import observe_asterisk
from ..conftest import EngineRunner

CALLER = "3335000001"


async def conversations(engine: EngineRunner, timeout: float = 30.0) -> list[Recording]:
    """The stored conversation recordings, once there is one (or after ``timeout``)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with engine.sessions() as session:
            rows = list((await session.scalars(select(Recording).where(
                Recording.kind == RecordingKind.CONVERSATION.value))).all())
        if rows or loop.time() > deadline:
            return rows
        await asyncio.sleep(0.2)


async def test_an_answered_queue_call_is_stored_as_a_conversation_recording(
    engine: EngineRunner, ami: AmiWatch, settings: Settings, secrets: Secrets
) -> None:
    desk = OperatorDesk(ami.client, settings.acd, settings.seats.names)
    async with (observe_asterisk(settings) as observer,
                seat_phone(settings, "seat1", secrets.seat_passwords["seat1"])):
        await desk.login("alice", "seat1")
        response = await ami.client.send_action({  # a caller who talks: Asterisk's demo sounds
            "Action": "Originate", "Channel": "Local/s@acd-queue", "Application": "Playback",
            "Data": "demo-congrats&demo-congrats", "CallerID": f"<{CALLER}>",
            "Async": "true"}, as_list=False)
        assert response.get("Response") == "Success", response
        connected: list[dict[str, Any]] = await eventually(
            lambda: ami.of("AgentConnect", CallerIDNum=CALLER), what="seat1 answers")
        linkedid = connected[0]["Linkedid"]
        await asyncio.sleep(1.5)  # a moment of conversation
        await ami.hang_up(connected[0]["Channel"])
        rows = await conversations(engine)

    notice = [e["dialplan_app_data"] for e in observer.events_of("ChannelDialplan")
              if e["dialplan_app"] == "Playback" and "recording-notice" in e["dialplan_app_data"]]
    assert notice == [f"{media_dirs(settings)[1]}/recording-notice-it"]
    assert (media_dirs(settings)[0] / "recording-notice-it.wav").is_file()
    assert [(r.asterisk_name, r.call_linkedid) for r in rows] == [
        (f"conversation-{linkedid.replace('.', '-')}", linkedid)]
    with wave.open(str(settings.recordings.dir / rows[0].path), "rb") as audio:
        assert audio.getnframes() > 0
    assert ami.of("UserEvent", UserEvent="CentralinoRecordingDone")
