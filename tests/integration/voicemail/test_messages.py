"""Callers leave real spoken messages: out of hours, on a holiday, when nobody can answer, by
choice; too short and hung up before the beep leave none and count as missed calls."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from centralino.core import events
from config.settings import Settings
from recordings.models import VoicemailSituation
from recordings.naming import voicemail_name
from recordings.store import sha256_of, wav_seconds

from ..acd.helpers import eventually, record
from ..conftest import EngineRunner
from ..sipp_caller import WAIT_FOR_BYE, Pause, Press, Speak
from ..stored import ended_call, ticket_of_call_from
from .helpers import (
    DURATION_TOLERANCE,
    call,
    held_by_asterisk,
    messages_of,
    stored_file,
    the_message_of,
)
from .speech import seconds_of, spoken

ROME = ZoneInfo("Europe/Rome")
OPEN = datetime(2026, 11, 25, 10, 0, tzinfo=ROME)  # a Wednesday morning
EVENING = datetime(2026, 11, 25, 20, 0, tzinfo=ROME)  # the same Wednesday, closed
CHRISTMAS = datetime(2026, 12, 25, 10, 0, tzinfo=ROME)
MESSAGE = spoken("Good evening, this is Mario Rossi. The road to the village is flooded. "
                 "Please call me back.")
MESSAGE_IT = spoken("Buonasera, sono Mario Rossi. La strada per il paese è allagata. "
                    "Mi richiami, per favore.", "it")
TOO_SHORT = spoken("Hi.")  # shorter than the menu's two seconds
SILENCE = b"\xff" * 8000 * 8  # mu-law silence: longer than the message's limit (5 s, the default)


@pytest.fixture(autouse=True)
def _clock(engine: EngineRunner) -> None:
    engine.clock.now = OPEN


async def assert_kept(engine: EngineRunner, settings: Settings, caller: str, situation: str,
                      said: bytes) -> None:
    """The call from ``caller`` left ``said`` as a message: on disk, checksummed, in the
    database with its ticket, gone from Asterisk."""
    ticket = await ticket_of_call_from(engine, caller)
    message = await the_message_of(engine, ticket.call_linkedid or "")
    assert message.situation == situation and message.kind == "voicemail"
    assert message.ticket_id == ticket.id and message.caller_id == caller
    wav = stored_file(settings, message.path)
    assert sha256_of(wav) == message.sha256 and wav.stat().st_size == message.size_bytes
    assert wav_seconds(wav.read_bytes()) == pytest.approx(message.duration_seconds)
    assert message.duration_seconds == pytest.approx(seconds_of(said), abs=DURATION_TOLERANCE)
    assert message.web_path is not None and stored_file(settings, message.web_path).stat().st_size
    assert message.asterisk_name not in await held_by_asterisk(settings)


async def test_out_of_hours_caller_leaves_a_message_stored_with_the_ticket(
        engine: EngineRunner, settings: Settings) -> None:
    engine.clock.now = EVENING
    stored = record(engine.engine.bus, events.VoicemailStored)
    missed = record(engine.engine.bus, events.MissedCall)

    asterisk = await call(settings, "3337770001", [Pause(2500), Speak(MESSAGE)])

    await assert_kept(engine, settings, "3337770001", "closed", MESSAGE)
    assert "sound:vm-isunavail" in asterisk.media_played()
    assert [(e.caller_id, e.situation) for e in stored] == [("3337770001", "closed")]
    assert missed == []


async def test_on_a_holiday_the_caller_hears_the_holiday_greeting_and_leaves_a_message(
        engine: EngineRunner, settings: Settings) -> None:
    engine.clock.now = CHRISTMAS

    asterisk = await call(settings, "3337770002", [Pause(4000), Speak(MESSAGE)])

    await assert_kept(engine, settings, "3337770002", "holiday", MESSAGE)
    assert "sound:vm-nobodyavail" in asterisk.media_played()


async def test_with_no_operator_logged_in_the_queued_caller_leaves_a_message_as_busy(
        engine: EngineRunner, settings: Settings) -> None:
    asterisk = await call(settings, "3337770003",
                          [Pause(800), Press("2"), Pause(3500), Speak(MESSAGE)])

    await assert_kept(engine, settings, "3337770003", "busy", MESSAGE)
    assert "sound:all-circuits-busy-now" in asterisk.media_played()


async def test_a_caller_who_chooses_voicemail_in_italian_leaves_a_message(
        engine: EngineRunner, settings: Settings) -> None:
    missed = record(engine.engine.bus, events.MissedCall)

    asterisk = await call(settings, "3337770004", [Pause(800), Press("9"), Pause(1500),
                                                   Press("1"), Pause(3500), Speak(MESSAGE_IT)])

    await assert_kept(engine, settings, "3337770004", "choice", MESSAGE_IT)
    greetings = [e for e in asterisk.events_of("PlaybackStarted")
                 if e["playback"]["media_uri"] == "sound:vm-leavemsg"]
    assert [e["playback"]["language"] for e in greetings] == ["it"]
    assert missed == [], "a caller the open center could serve is no missed call"


async def test_a_message_ended_with_the_pound_key_is_kept_and_the_caller_hears_goodbye(
        engine: EngineRunner, settings: Settings) -> None:
    engine.clock.now = EVENING

    asterisk = await call(settings, "3337770005", [Pause(2500), Speak(MESSAGE), Press("#")],
                          end=WAIT_FOR_BYE)

    await assert_kept(engine, settings, "3337770005", "closed", MESSAGE)
    assert "sound:vm-goodbye" in asterisk.media_played()


async def test_a_message_ended_by_the_callers_silence_is_kept_and_the_caller_hears_goodbye(
        engine: EngineRunner, settings: Settings) -> None:
    engine.clock.now = EVENING

    asterisk = await call(settings, "3337770008", [Pause(2500), Speak(MESSAGE + SILENCE)],
                          end=WAIT_FOR_BYE)

    ticket = await ticket_of_call_from(engine, "3337770008")
    message = await the_message_of(engine, ticket.call_linkedid or "")
    [finished] = asterisk.events_of("RecordingFinished")
    assert finished["recording"]["name"] == message.asterisk_name
    # Ended by the silence: before the caller's audio ran out, and well before max_seconds.
    assert message.duration_seconds < seconds_of(MESSAGE + SILENCE) - 1
    assert message.duration_seconds > seconds_of(MESSAGE) - DURATION_TOLERANCE
    assert "sound:vm-goodbye" in asterisk.media_played()
    assert message.asterisk_name not in await held_by_asterisk(settings)


async def test_a_message_shorter_than_the_minimum_is_not_kept_and_the_call_is_missed(
        engine: EngineRunner, settings: Settings) -> None:
    engine.clock.now = EVENING
    missed = record(engine.engine.bus, events.MissedCall)

    asterisk = await call(settings, "3337770006", [Pause(2500), Speak(TOO_SHORT)])

    call_row = await ended_call(engine, "3337770006")
    await eventually(lambda: missed, what="a missed call")
    assert [(e.linkedid, e.caller_id, e.situation) for e in missed] == [
        (call_row.linkedid, "3337770006", "closed")]
    assert asterisk.events_of("RecordingStarted"), "the caller did speak after the beep"
    assert await messages_of(engine, call_row.linkedid) == []
    name = voicemail_name(VoicemailSituation.CLOSED, call_row.linkedid)
    assert name not in await held_by_asterisk(settings), "deleted on Asterisk too"


async def test_a_caller_who_hangs_up_before_the_beep_is_a_missed_call(
        engine: EngineRunner, settings: Settings) -> None:
    engine.clock.now = CHRISTMAS
    missed = record(engine.engine.bus, events.MissedCall)

    asterisk = await call(settings, "3337770007", [Pause(1000)])

    call_row = await ended_call(engine, "3337770007")
    await eventually(lambda: missed, what="a missed call")
    assert [(e.linkedid, e.situation) for e in missed] == [(call_row.linkedid, "holiday")]
    assert not asterisk.events_of("RecordingStarted")
    assert await messages_of(engine, call_row.linkedid) == []
