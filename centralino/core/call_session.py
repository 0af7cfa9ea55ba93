"""``CallSession``: one live channel in the Stasis app, as awaitable straight-line operations.

The dispatcher feeds the session its channel's events synchronously (:meth:`CallSession.deliver`);
the call's script runs in its own task and awaits ``play``, ``read_digits`` and friends. When the
caller hangs up, every pending and later operation raises :class:`CallHungUp`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from centralino.core import metrics
from centralino.core.ari import AriClient, AriRequestError
from centralino.core.ari_events import (
    AriEvent,
    Channel,
    ChannelDestroyed,
    ChannelDtmfReceived,
    ChannelHangupRequest,
    ChannelStateChange,
    PlaybackFinished,
    PlaybackStarted,
    RecordingFailed,
    RecordingFinished,
    StasisEnd,
)

log = structlog.get_logger(__name__)

DTMF_KEYS = frozenset("0123456789*#")


def digit_sounds(digits: str) -> list[str]:
    """``digits`` as media to read them out one by one (``sound:digits/4``, ...).

    Not ARI's ``digits:`` scheme: Asterisk cannot stop that playback, so neither a key nor a
    hand-off to the dialplan could cut it short.
    """
    return [f"sound:digits/{digit}" for digit in digits]


class CallHungUp(Exception):
    """The caller (or Asterisk) ended the call."""


@dataclass(frozen=True)
class Recording:
    """A finished recording, stored by Asterisk under ``name`` (ARI stored recordings)."""

    name: str
    succeeded: bool
    duration: int | None
    cause: str = ""


class CallSession:
    """The engine's handle on one channel that entered the Stasis application."""

    def __init__(self, ari: AriClient, channel: Channel, args: list[str], linkedid: str) -> None:
        self._ari = ari
        self.channel = channel
        self.args = args
        self.linkedid = linkedid
        self.started_at = channel.creationtime or datetime.now(UTC)
        # Answered already in the dialplan (the toll-free entry answers before Stasis).
        self.answered_at: datetime | None = datetime.now(UTC) if channel.state == "Up" else None
        self.ended_at: datetime | None = None
        self.hangup_cause: int | None = None
        self._digits: deque[str] = deque()
        self._finished_playbacks: set[str] = set()
        self._finished_recordings: dict[str, RecordingFinished | RecordingFailed] = {}
        self._wakeup = asyncio.Event()
        self.language = channel.language
        self.left_stasis = False
        self._playing: str | None = None  # the playback a script waits for, if any
        self._playing_cuttable = False  # whether a key stops it
        self._stopping: set[asyncio.Task[None]] = set()  # playbacks cut short by a key
        self.on_answer: Callable[[datetime], None] | None = None
        self._unanswered_key_at: datetime | None = None  # the latest key no prompt followed yet
        self._answering_key: dict[str, datetime] = {}  # playback id -> the key it follows
        self.key_to_prompt_ms: list[float] = []  # each key's wait for the next prompt

    @property
    def id(self) -> str:
        return self.channel.id

    @property
    def caller_number(self) -> str | None:
        return self.channel.caller.number or None

    @property
    def hung_up(self) -> bool:
        return self.ended_at is not None

    # -- events, from the dispatcher ------------------------------------------------------------

    def deliver(self, event: AriEvent) -> None:
        """Apply one event of this channel. Called synchronously, in event order."""
        if isinstance(event, PlaybackStarted):
            self._prompt_started(event)
            return
        if isinstance(event, ChannelDtmfReceived):
            if event.digit in DTMF_KEYS:
                self._digits.append(event.digit)
                if self._playing is None or self._playing_cuttable:  # else it waits for the end
                    self._unanswered_key_at = event.timestamp
        elif isinstance(event, PlaybackFinished):
            self._finished_playbacks.add(event.playback.id)
        elif isinstance(event, RecordingFinished | RecordingFailed):
            self._finished_recordings[event.recording.name] = event
        elif isinstance(event, ChannelStateChange):
            if event.channel.state == "Up":
                self._mark_answered(event.timestamp)
        elif isinstance(event, ChannelHangupRequest | ChannelDestroyed):
            self.hangup_cause = event.cause
            self._mark_ended(event.timestamp)
        elif isinstance(event, StasisEnd):
            if not self.left_stasis:  # handed to the dialplan, the call goes on there
                self._mark_ended(event.timestamp)
        else:
            return
        self._wakeup.set()

    def _prompt_started(self, event: PlaybackStarted) -> None:
        """Time the caller's wait from a key to the prompt that follows it, both stamped by
        Asterisk when it published the events (the engine's own delays are inside)."""
        key_at = self._answering_key.pop(event.playback.id, None)
        if key_at is None or event.timestamp is None:
            return
        waited = (event.timestamp - key_at).total_seconds()
        metrics.KEY_TO_PROMPT_SECONDS.observe(waited)
        self.key_to_prompt_ms.append(round(waited * 1000, 1))

    def _mark_ended(self, at: datetime | None) -> None:
        if self.ended_at is None:
            self.ended_at = at or datetime.now(UTC)

    def _mark_answered(self, at: datetime | None) -> None:
        if self.answered_at is None:
            self.answered_at = at or datetime.now(UTC)
            if self.on_answer:
                self.on_answer(self.answered_at)

    # -- operations, from the call's script ---------------------------------------------------

    async def answer(self) -> None:
        """Answer the channel, unless it is answered already."""
        if self.answered_at is None:
            await self._post(f"/channels/{self.id}/answer")
            self._mark_answered(None)

    async def play(self, *media: str, interruptible: bool = True) -> str | None:
        """Play media URIs (``sound:x``) in order; return the key that cut it short.

        With ``interruptible`` a key already typed ahead skips the prompt, and a key pressed
        during it stops it; the key stays buffered for :meth:`read_digits`. The stop is not
        waited for: whatever the script asks next queues behind the prompt on the channel, and
        starts as soon as the stop reaches Asterisk, one round trip sooner.
        """
        if interruptible and self._digits:
            return self._digits[0]
        playback_id = uuid.uuid4().hex
        self._playing, self._playing_cuttable = playback_id, interruptible
        if self._unanswered_key_at is not None:  # its PlaybackStarted may beat the reply
            self._answering_key[playback_id] = self._unanswered_key_at
            self._unanswered_key_at = None
        try:
            await self._post(f"/channels/{self.id}/play",
                             {"media": ",".join(media), "playbackId": playback_id})
            await self._wait(lambda: playback_id in self._finished_playbacks
                             or (interruptible and bool(self._digits)), None)
        finally:
            self._playing = None
        if playback_id in self._finished_playbacks:
            self._finished_playbacks.discard(playback_id)
            return None
        stopping = asyncio.create_task(self._stop_playback(playback_id))
        self._stopping.add(stopping)
        stopping.add_done_callback(self._stopped)
        return self._digits[0]

    async def say_digits(self, digits: str, interruptible: bool = False) -> str | None:
        """Read ``digits`` out one by one in the channel's language."""
        return await self.play(*digit_sounds(digits), interruptible=interruptible)

    async def read_digits(self, max_digits: int, timeout: float, inter_digit_timeout: float = 3.0,
                          terminator: str = "#") -> str:
        """Collect up to ``max_digits`` keys; stop at ``terminator`` or when the caller pauses.

        ``timeout`` is the wait for the first key, ``inter_digit_timeout`` for each further one.
        Returns what was keyed, without the terminator ("" when nothing was).
        """
        collected = ""
        wait = timeout
        while len(collected) < max_digits:
            if not await self._wait(lambda: bool(self._digits), wait):
                break
            digit = self._digits.popleft()
            if digit == terminator:
                break
            collected += digit
            wait = inter_digit_timeout
        return collected

    async def record(self, name: str, max_seconds: int, max_silence_seconds: int = 5,
                     terminate_on: str = "#", beep: bool = True) -> Recording:
        """Record the caller into Asterisk's stored recording ``name`` (WAV); wait for its end.

        It ends on ``terminate_on``, after ``max_silence_seconds`` of silence, after
        ``max_seconds``, or when the caller hangs up (then :class:`CallHungUp` is raised; the
        file stays in Asterisk's recordings).
        """
        await self._post(f"/channels/{self.id}/record", {
            "name": name, "format": "wav", "maxDurationSeconds": max_seconds,
            "maxSilenceSeconds": max_silence_seconds, "ifExists": "overwrite",
            "beep": "true" if beep else "false", "terminateOn": terminate_on})
        await self._wait(lambda: name in self._finished_recordings, None)
        event = self._finished_recordings.pop(name)
        return Recording(name, isinstance(event, RecordingFinished), event.recording.duration,
                         event.recording.cause)

    async def set_variable(self, name: str, value: str) -> None:
        """Set a channel variable (or a function such as ``CHANNEL(language)``)."""
        await self._post(f"/channels/{self.id}/variable", {"variable": name, "value": value})

    async def set_language(self, language: str) -> None:
        """Switch the language Asterisk picks sounds and digits in."""
        await self.set_variable("CHANNEL(language)", language)
        self.language = language

    async def hangup(self, reason: str = "normal") -> None:
        """Hang up, unless the caller already did or the call went on in the dialplan."""
        if self.hung_up or self.left_stasis:
            return
        try:
            await self._ari.request("DELETE", f"/channels/{self.id}", params={"reason": reason})
        except AriRequestError as exc:
            if exc.status != 404:
                raise

    async def continue_in_dialplan(self, context: str, extension: str = "s",
                                   priority: int = 1, follow: bool = True) -> None:
        """Leave the Stasis app and go on in the dialplan at ``context,extension,priority``.

        With ``follow`` the app stays subscribed to the channel and the session lasts until
        the call ends (a queue, a transfer); without it the session ends here (a fallback).
        """
        if self._playing is not None:  # Asterisk would continue only after it ends
            await self._stop_playback(self._playing)
        if not follow:
            await self._post(f"/channels/{self.id}/continue",
                             {"context": context, "extension": extension, "priority": priority})
            return
        await self._post(f"/applications/{self._ari.app}/subscription",
                         {"eventSource": f"channel:{self.id}"})
        self.left_stasis = True
        try:
            await self._post(f"/channels/{self.id}/continue",
                             {"context": context, "extension": extension, "priority": priority})
        except BaseException:
            self.left_stasis = False
            raise

    async def wait_for_hangup(self, timeout: float | None = None) -> bool:
        """Wait until the channel is gone; ``False`` on timeout."""
        try:
            return await self._wait(lambda: False, timeout)
        except CallHungUp:
            return True

    # -- internals ------------------------------------------------------------------------------

    async def _post(self, path: str, params: dict | None = None) -> None:
        self._raise_if_hung_up()
        try:
            await self._ari.request("POST", path, params=params)
        except AriRequestError as exc:
            if exc.status in (404, 409):  # channel gone or no longer in our app
                self.ended_at = self.ended_at or datetime.now(UTC)
                raise CallHungUp(self.id) from exc
            raise

    async def _stop_playback(self, playback_id: str) -> None:
        try:
            await self._ari.request("DELETE", f"/playbacks/{playback_id}")
        except AriRequestError as exc:
            if exc.status != 404:  # already finished
                raise

    def _stopped(self, stopping: asyncio.Task[None]) -> None:
        self._stopping.discard(stopping)
        if not stopping.cancelled() and stopping.exception() is not None:
            log.warning("call.playback_not_stopped", error=str(stopping.exception()))

    def _raise_if_hung_up(self) -> None:
        if self.ended_at is not None:
            raise CallHungUp(self.id)

    async def _wait(self, ready: Callable[[], bool], timeout: float | None) -> bool:
        """Wait until ``ready()``; ``False`` when ``timeout`` passes first."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not ready():
            self._raise_if_hung_up()
            self._wakeup.clear()
            try:
                async with asyncio.timeout_at(deadline):
                    await self._wakeup.wait()
            except TimeoutError:
                return ready()
        return True
