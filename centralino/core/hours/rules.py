"""Is the center open? Office hours by the clock, national holidays, closures, an override.

:class:`OfficeHours` answers from the menu file's ``hours:`` block alone (pure, no database).
A manual override (:class:`Override`, stored by :mod:`centralino.core.hours.service`) wins over
the clock: :func:`effective_status` combines the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from config.hours import WEEKDAYS, HoursSettings, parse_time_range

SEARCH_DAYS = 400  # how far next_opening looks ahead


class CenterState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    HOLIDAY = "holiday"


class OverrideMode(StrEnum):
    """A manual override: force ``open`` or ``closed``; ``auto`` ends the override."""

    OPEN = "open"
    CLOSED = "closed"
    AUTO = "auto"


@dataclass(frozen=True)
class Override:
    """The override in force (never ``auto``: that is no override)."""

    mode: OverrideMode
    reason: str | None
    set_by: str
    set_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode.value, "reason": self.reason, "set_by": self.set_by,
                "set_at": self.set_at.isoformat()}


@dataclass(frozen=True)
class CenterStatus:
    """The center's state and why.

    ``reason`` is ``None`` when the clock decides (inside or outside the weekly ranges), the
    holiday's name on a national holiday, the closure's reason on a configured closure, and the
    override's reason when ``override`` is set.
    """

    state: CenterState
    reason: str | None = None
    override: Override | None = None


_Range = tuple[time, time | None]  # end None: until midnight


class OfficeHours:
    """The weekly ranges, holidays and closures of :class:`HoursSettings`, as answers."""

    def __init__(self, settings: HoursSettings) -> None:
        self.settings = settings
        self.zone = ZoneInfo(settings.timezone)
        self._weekly: dict[int, list[_Range]] = {
            number: sorted(parse_time_range(text) for text in settings.weekly.get(day, []))
            for number, day in enumerate(WEEKDAYS)
        }
        self._holidays: dict[int, holidays.HolidayBase] = {}

    def status_at(self, when: datetime) -> CenterStatus:
        """The state by the clock at ``when`` (timezone-aware), in the configured zone."""
        local = self._local(when)
        closed_for = self.day_off(local.date())
        if closed_for is not None:
            return CenterStatus(CenterState.HOLIDAY, closed_for)
        now = local.time()
        inside = any(start <= now and (end is None or now < end)
                     for start, end in self._weekly[local.weekday()])
        return CenterStatus(CenterState.OPEN if inside else CenterState.CLOSED)

    def day_off(self, day: date) -> str | None:
        """Why ``day`` is a day off: the national holiday's name or the closure's reason."""
        country = self.settings.holidays_country
        if country is not None:
            name = self._holidays_of(country, day.year).get(day)
            if name is not None:
                return str(name)
        return next((c.reason for c in self.settings.closures if c.covers(day)), None)

    def next_opening(self, after: datetime) -> datetime | None:
        """The first moment at or after ``after`` when the clock says open (``after`` itself if
        open then), in the configured zone; holidays and closures are skipped. ``None`` if the
        center does not open within :data:`SEARCH_DAYS` days.
        """
        local = self._local(after)
        for offset in range(SEARCH_DAYS):
            day = local.date() + timedelta(days=offset)
            if self.day_off(day) is not None:
                continue
            for start, end in self._weekly[day.weekday()]:
                opens = datetime.combine(day, start, self.zone)
                closes = datetime.combine(day + timedelta(days=1) if end is None else day,
                                          end or time(0), self.zone)
                if closes > local:  # wall-clock comparison: both are in self.zone
                    return max(opens, local).astimezone(UTC).astimezone(self.zone)
        return None

    def _local(self, when: datetime) -> datetime:
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError(f"naive datetime {when!r}: pass a timezone-aware datetime")
        return when.astimezone(self.zone)

    def _holidays_of(self, country: str, year: int) -> holidays.HolidayBase:
        """The holidays of ``year``, built once per year (building them is slow)."""
        if year not in self._holidays:
            self._holidays[year] = holidays.country_holidays(
                country, subdiv=self.settings.holidays_subdivision, years=year)
        return self._holidays[year]


def effective_status(by_clock: CenterStatus, override: Override | None) -> CenterStatus:
    """``by_clock``, unless an override forces the center open or closed."""
    if override is None:
        return by_clock
    state = CenterState.OPEN if override.mode is OverrideMode.OPEN else CenterState.CLOSED
    return CenterStatus(state, override.reason, override)


def status_json(status: CenterStatus, clock_state: CenterState) -> dict[str, Any]:
    """The status document of ``hours status --json`` and ``GET /api/hours``."""
    return {
        "state": status.state.value,
        "reason": status.reason,
        "override": status.override.to_json() if status.override is not None else None,
        "clock_state": clock_state.value,
    }
