"""Recorded AMI text (``tests/unit/acd/acd_events/*.txt``) as messages, and the clock, timers and
bus recorder the ACD unit tests drive a picture with."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from panoramisk.message import Message

from centralino.core.bus import EventBus

EVENTS_DIR = Path(__file__).with_name("acd_events")


def recorded(name: str) -> list[Message]:
    """The messages of a recording: blocks of ``Key: Value`` lines, ``#`` lines are comments."""
    text = (EVENTS_DIR / name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    messages = []
    for block in "\n".join(lines).split("\n\n"):
        headers: dict[str, str] = {}
        for line in block.strip("\n").splitlines():
            key, _, value = line.partition(":")
            headers[key] = value.removeprefix(" ")
        if headers:
            messages.append(Message(headers))
    return messages


def timestamp(message: Message) -> datetime:
    return datetime.fromtimestamp(float(message["Timestamp"]), UTC)


class Clock:
    """A clock the test sets."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Timers:
    """Timers the test fires by hand."""

    def __init__(self) -> None:
        self.pending: list[tuple[float, Callable[[], None]]] = []

    def __call__(self, delay: float, callback: Callable[[], None]) -> object:
        self.pending.append((delay, callback))
        return callback

    def fire(self) -> None:
        pending, self.pending = self.pending, []
        for _, callback in pending:
            callback()


class Published:
    """Every domain event published on a bus, in order."""

    def __init__(self, bus: EventBus, *types: type) -> None:
        self.events: list[Any] = []
        for event_type in types:
            bus.subscribe(event_type, self.events.append)

    def of(self, event_type: type) -> list[Any]:
        return [event for event in self.events if isinstance(event, event_type)]
