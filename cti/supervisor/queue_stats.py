"""Today's queue calls, counted from the ACD's events on the bus: answered, abandoned, and the
service level (answered within a threshold, of all that were answered or abandoned).

Kept in memory from the engine's start (``since``) and reset at local midnight. Each call's
outcome is also stored on its ticket (:mod:`cti.tickets.queue_outcomes`), for callers the IVR
queued.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from centralino.core import events
from centralino.core.bus import EventBus

SERVICE_LEVEL_SECONDS = 20


@dataclass(frozen=True, slots=True)
class QueueDay:
    """The counts of one day, as of now."""

    day: date
    since: datetime  # counting started then (midnight, or the engine's start)
    answered: int
    abandoned: int
    answered_within: int  # of ``answered``, within ``threshold_seconds`` of waiting
    threshold_seconds: int

    @property
    def service_level(self) -> float | None:
        """Answered within the threshold, of those answered or abandoned; None before any."""
        offered = self.answered + self.abandoned
        return self.answered_within / offered if offered else None

    def to_json(self) -> dict[str, object]:
        return {"day": self.day.isoformat(), "since": self.since.isoformat(),
                "answered": self.answered, "abandoned": self.abandoned,
                "answered_within": self.answered_within,
                "threshold_seconds": self.threshold_seconds,
                "service_level": self.service_level}


class QueueDayStats:
    """Follows ``QueueCallAnswered`` and ``QueueCallAbandoned`` for the day in ``timezone``."""

    def __init__(self, bus: EventBus, timezone: Callable[[], str],
                 threshold_seconds: int = SERVICE_LEVEL_SECONDS,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.threshold_seconds = threshold_seconds
        self._timezone = timezone
        self._clock = clock
        self._since = clock()
        self._day: date | None = None  # set at first use: the time zone may not be known yet
        self._answered = self._abandoned = self._within = 0
        bus.subscribe(events.QueueCallAnswered, self._on_answered)
        bus.subscribe(events.QueueCallAbandoned, self._on_abandoned)

    def today(self) -> QueueDay:
        day = self._roll(self._clock())
        return QueueDay(day, self._since, self._answered, self._abandoned, self._within,
                        self.threshold_seconds)

    def _on_answered(self, event: events.QueueCallAnswered) -> None:
        self._roll(event.at)
        self._answered += 1
        if event.hold_seconds <= self.threshold_seconds:
            self._within += 1

    def _on_abandoned(self, event: events.QueueCallAbandoned) -> None:
        self._roll(event.at)
        self._abandoned += 1

    def _roll(self, at: datetime) -> date:
        """The day of ``at``; a new one starts the counts again from its midnight."""
        zone = ZoneInfo(self._timezone())
        day = at.astimezone(zone).date()
        if self._day is None:
            self._day = day
        elif day > self._day:
            self._day, self._since = day, datetime.combine(day, time(), zone)
            self._answered = self._abandoned = self._within = 0
        return self._day
