"""Pydantic models of the ARI events the engine acts on; everything else stays a plain dict.

Validation happens once, where events enter the engine (:func:`parse_event`): a malformed event
is logged and dropped instead of failing deep inside a call script.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CallerId(_Model):
    name: str = ""
    number: str = ""


class DialplanCep(_Model):
    context: str = ""
    exten: str = ""
    priority: int = 0
    app_name: str = ""
    app_data: str = ""


class Channel(_Model):
    id: str = Field(min_length=1)
    name: str
    state: str
    caller: CallerId = CallerId()
    dialplan: DialplanCep = DialplanCep()
    creationtime: datetime | None = None
    language: str = "en"


class Playback(_Model):
    id: str
    target_uri: str
    state: str = ""


class LiveRecording(_Model):
    name: str
    target_uri: str = ""
    state: str = ""
    duration: int | None = None
    cause: str = ""


class _Event(_Model):
    timestamp: datetime | None = None
    application: str = ""


class StasisStart(_Event):
    type: Literal["StasisStart"]
    args: list[str] = []
    channel: Channel


class StasisEnd(_Event):
    type: Literal["StasisEnd"]
    channel: Channel


class ChannelStateChange(_Event):
    type: Literal["ChannelStateChange"]
    channel: Channel


class ChannelDtmfReceived(_Event):
    type: Literal["ChannelDtmfReceived"]
    digit: str = Field(pattern=r"^[0-9A-D*#]$")
    duration_ms: int = 0
    channel: Channel


class ChannelHangupRequest(_Event):
    type: Literal["ChannelHangupRequest"]
    cause: int = 0
    channel: Channel


class ChannelDestroyed(_Event):
    type: Literal["ChannelDestroyed"]
    cause: int = 0
    cause_txt: str = ""
    channel: Channel


class PlaybackStarted(_Event):
    type: Literal["PlaybackStarted"]
    playback: Playback


class PlaybackFinished(_Event):
    type: Literal["PlaybackFinished"]
    playback: Playback


class RecordingFinished(_Event):
    type: Literal["RecordingFinished"]
    recording: LiveRecording


class RecordingFailed(_Event):
    type: Literal["RecordingFailed"]
    recording: LiveRecording


AriEvent = Annotated[
    StasisStart | StasisEnd | ChannelStateChange | ChannelDtmfReceived | ChannelHangupRequest
    | ChannelDestroyed | PlaybackStarted | PlaybackFinished | RecordingFinished | RecordingFailed,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[AriEvent] = TypeAdapter(AriEvent)
KNOWN_TYPES = frozenset(
    ("StasisStart", "StasisEnd", "ChannelStateChange", "ChannelDtmfReceived",
     "ChannelHangupRequest", "ChannelDestroyed", "PlaybackStarted", "PlaybackFinished",
     "RecordingFinished", "RecordingFailed")
)


class MalformedEvent(ValueError):
    """An ARI event of a known type that does not have the expected shape."""


def parse_event(raw: dict) -> AriEvent | None:
    """Validate ``raw``; ``None`` for event types the engine does not use."""
    if raw.get("type") not in KNOWN_TYPES:
        return None
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        raise MalformedEvent(f"{raw.get('type')}: {exc.errors()[0]['msg']}") from exc


def channel_id_of(event: AriEvent) -> str | None:
    """The channel an event is about (playbacks: the channel they target)."""
    if isinstance(event, PlaybackStarted | PlaybackFinished):
        target_uri = event.playback.target_uri
    elif isinstance(event, RecordingFinished | RecordingFailed):
        target_uri = event.recording.target_uri
    else:
        return event.channel.id
    kind, _, target = target_uri.partition(":")
    return target if kind == "channel" else None
