"""The benchmark's callers: real SIP calls (sipp, the tests' caller) that each say a message of
espeak-ng speech after the greeting and the beep, then hang up; and when Asterisk saw each
caller hang up."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from config.settings import Settings
from tests.integration.sipp_caller import HANG_UP, Pause, SippResult, Speak, Step, place_call
from tests.integration.voicemail.speech import RATE, spoken

GREETING_MS = 3500  # the answer, vm-leavemsg (2.1 s) and the beep (0.4 s), with room to spare
TEXT = ("Good evening, this is the benchmark caller. The river has flooded the road to the "
        "village and the bridge is closed. Three houses have water in the cellar. "
        "Please send someone and call me back on this number.")
HANG_UP_EVENTS = ("ChannelHangupRequest", "StasisEnd", "ChannelDestroyed")
_ARI_TIME = "%Y-%m-%dT%H:%M:%S.%f%z"  # e.g. 2026-12-01T19:50:00.123+0000


def caller_number(index: int) -> str:
    """The caller id of the ``index``-th caller (the stored message's ``caller_id``)."""
    return f"39300{index:05d}"


def message_audio(seconds: float) -> bytes:
    """``seconds`` of speech as 8 kHz G.711 mu-law: :data:`TEXT`, said again as often as needed
    (blocking: runs espeak-ng)."""
    said = spoken(TEXT)
    needed = int(seconds * RATE)
    return (said * -(-needed // len(said)))[:needed]


async def place_callers(settings: Settings, count: int, audio: bytes,
                        timeout: float) -> list[SippResult]:
    """``count`` callers at once, each saying ``audio`` after the beep and hanging up."""
    steps: list[Step] = [Pause(GREETING_MS), Speak(audio)]
    return await asyncio.gather(*(
        place_call(settings, steps, HANG_UP, caller=caller_number(index), timeout=timeout)
        for index in range(count)))


def hang_up_times(events: list[dict[str, Any]]) -> dict[str, float]:
    """Caller number → Unix time of the first ARI event that ended their channel (Asterisk's
    ``timestamp``, stamped as it happened)."""
    times: dict[str, float] = {}
    for event in events:
        number = event.get("channel", {}).get("caller", {}).get("number")
        if event.get("type") not in HANG_UP_EVENTS or not number:
            continue
        at = datetime.strptime(event["timestamp"], _ARI_TIME).timestamp()
        times[number] = min(at, times.get(number, at))
    return times
