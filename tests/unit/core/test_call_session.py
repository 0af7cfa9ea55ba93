"""CallSession turns a channel's ARI events into awaitable results (events as ARI sends them)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from centralino.core.ari import AriRequestError
from centralino.core.ari_events import Channel, parse_event
from centralino.core.call_session import CallHungUp, CallSession

CHANNEL = {"id": "1732.1", "name": "PJSIP/tollfree-trunk-00000001", "state": "Ring",
           "caller": {"name": "", "number": "3331234567"},
           "dialplan": {"context": "from-tollfree", "exten": "800100100", "priority": 2,
                        "app_name": "Stasis", "app_data": "centralino,tollfree"},
           "creationtime": "2026-11-24T18:00:00.000+0000", "language": "it"}


class RecordingAri:
    """Stands in for the REST side only: records requests, answers them like Asterisk does."""

    app = "centralino"

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, Any] | None]] = []
        self.gone = False
        self.stops_answered = asyncio.Event()  # stopping a playback waits for this
        self.stops_answered.set()

    async def request(self, method: str, path: str, *, params: dict | None = None,
                      body: Any = None) -> Any:
        self.requests.append((method, path, params))
        if path.startswith("/playbacks/"):
            await self.stops_answered.wait()
        if self.gone:
            raise AriRequestError(method, path, 404, '{"message":"Channel not found"}')
        return None

    def playback_ids(self) -> list[str]:
        return [p["playbackId"] for m, path, p in self.requests if path.endswith("/play") and p]


def event(kind: str, **fields: Any) -> Any:
    return parse_event({"type": kind, "channel": CHANNEL, **fields})


def playback(kind: str, playback_id: str, **fields: Any) -> Any:
    return parse_event({"type": kind, "playback": {
        "id": playback_id, "target_uri": f"channel:{CHANNEL['id']}", "state": "done"}, **fields})


def playback_finished(playback_id: str) -> Any:
    return playback("PlaybackFinished", playback_id)


def key_pressed(digit: str, at: str) -> Any:
    return event("ChannelDtmfReceived", digit=digit, timestamp=f"2026-11-24T18:00:{at}+0000")


@pytest.fixture
def ari() -> RecordingAri:
    return RecordingAri()


@pytest.fixture
def session(ari: RecordingAri) -> CallSession:
    return CallSession(ari, Channel.model_validate(CHANNEL), ["tollfree"], "1732.1")  # type: ignore[arg-type]


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_play_returns_when_the_playback_finishes(session: CallSession,
                                                      ari: RecordingAri) -> None:
    playing = asyncio.create_task(session.play("sound:hello", "sound:number"))
    await settle()
    (playback_id,) = ari.playback_ids()
    assert ari.requests[0][2]["media"] == "sound:hello,sound:number"
    session.deliver(playback_finished(playback_id))
    assert await playing is None


async def test_a_key_during_a_prompt_stops_it_and_stays_buffered(
    session: CallSession, ari: RecordingAri
) -> None:
    ari.stops_answered.clear()  # Asterisk slow to answer the stop: nobody waits for it
    playing = asyncio.create_task(session.play("sound:menu"))
    await settle()
    session.deliver(event("ChannelDtmfReceived", digit="3", duration_ms=120))
    assert await asyncio.wait_for(playing, 1) == "3"
    (playback_id,) = ari.playback_ids()
    assert ("DELETE", f"/playbacks/{playback_id}", None) in ari.requests
    assert await session.read_digits(1, timeout=0.1) == "3"
    ari.stops_answered.set()


async def play_to_the_end(session: CallSession, ari: RecordingAri, started_at: str,
                          interruptible: bool = True, keys: tuple[Any, ...] = ()) -> None:
    """One prompt: its PlaybackStarted at ``started_at`` seconds, ``keys`` during it, its end."""
    playing = asyncio.create_task(session.play("sound:menu", interruptible=interruptible))
    await settle()
    playback_id = ari.playback_ids()[-1]
    session.deliver(playback("PlaybackStarted", playback_id,
                             timestamp=f"2026-11-24T18:00:{started_at}+0000"))
    for key in keys:
        session.deliver(key)
    session.deliver(playback_finished(playback_id))
    await playing


async def test_the_wait_from_a_key_to_the_next_prompt_is_timed_on_asterisks_clock(
        session: CallSession, ari: RecordingAri) -> None:
    from prometheus_client import REGISTRY

    def timed() -> float:
        return REGISTRY.get_sample_value("centralino_key_to_prompt_seconds_count") or 0.0

    before = timed()
    await play_to_the_end(session, ari, "01.000")  # the first prompt follows no key
    session.deliver(key_pressed("1", "02.000"))
    assert await session.read_digits(1, timeout=0.1) == "1"
    # a key during a prompt that keys cannot cut waits for its end, not for the engine
    await play_to_the_end(session, ari, "02.012", interruptible=False,
                          keys=(key_pressed("2", "02.500"),))
    assert await session.read_digits(1, timeout=0.1) == "2"
    await play_to_the_end(session, ari, "03.000")
    assert len(ari.playback_ids()) == 3
    assert session.key_to_prompt_ms == [12.0]
    assert timed() == before + 1


async def test_typed_ahead_keys_skip_the_next_prompt(session: CallSession,
                                                     ari: RecordingAri) -> None:
    session.deliver(event("ChannelDtmfReceived", digit="1"))
    assert await session.play("sound:menu") == "1"
    assert ari.requests == []


async def test_read_digits_stops_at_the_terminator_and_on_a_pause(session: CallSession) -> None:
    for digit in "12#9":
        session.deliver(event("ChannelDtmfReceived", digit=digit))
    assert await session.read_digits(5, timeout=0.1) == "12"
    assert await session.read_digits(5, timeout=0.1, inter_digit_timeout=0.05) == "9"
    assert await session.read_digits(5, timeout=0.05) == ""


async def test_hangup_during_a_wait_raises_call_hung_up(session: CallSession) -> None:
    reading = asyncio.create_task(session.read_digits(4, timeout=5))
    await settle()
    session.deliver(event("ChannelHangupRequest", cause=16))
    with pytest.raises(CallHungUp):
        await reading
    assert session.hangup_cause == 16
    with pytest.raises(CallHungUp):
        await session.play("sound:hello")


async def test_a_channel_gone_from_asterisk_counts_as_hung_up(
    session: CallSession, ari: RecordingAri
) -> None:
    ari.gone = True
    with pytest.raises(CallHungUp):
        await session.answer()
    assert session.hung_up


async def test_answer_is_recorded_once(session: CallSession) -> None:
    seen: list[Any] = []
    session.on_answer = seen.append
    await session.answer()
    session.deliver(event("ChannelStateChange", channel={**CHANNEL, "state": "Up"}))
    assert len(seen) == 1 and session.answered_at == seen[0]


async def test_a_channel_answered_in_the_dialplan_is_not_answered_again(
        ari: RecordingAri) -> None:
    answered = CallSession(ari, Channel.model_validate({**CHANNEL, "state": "Up"}),  # type: ignore[arg-type]
                           ["tollfree"], "1732.1")
    assert answered.answered_at is not None
    await answered.answer()
    assert ari.requests == []


def test_malformed_dtmf_is_refused_where_events_enter() -> None:
    from centralino.core.ari_events import MalformedEvent

    with pytest.raises(MalformedEvent):
        event("ChannelDtmfReceived", digit="12")
    assert parse_event({"type": "ChannelVarset"}) is None
