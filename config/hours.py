"""Office hours schema: the weekly opening times, national holidays and extra closures.

Lives in the menu file (``hours:``), so a reload changes it together with the menus that route
on it. The behaviour (is the center open now?) is :mod:`centralino.core.hours.rules`.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def parse_time_range(text: str) -> tuple[time, time | None]:
    """``"09:00-16:00"`` as (start, end); an end of ``24:00`` is ``None`` (until midnight)."""
    match = _RANGE.match(text)
    if match is None:
        raise ValueError(f"expected HH:MM-HH:MM, e.g. 09:00-16:00 (got {text!r})")
    start = time(int(match[1]), int(match[2]))
    end = None if (match[3], match[4]) == ("24", "00") else time(int(match[3]) % 24,
                                                                 int(match[4]))
    if match[3] == "24" and match[4] != "00":
        raise ValueError(f"24:{match[4]} is not a time; use 24:00 for midnight (got {text!r})")
    if end is not None and end <= start:
        raise ValueError(f"the range ends before it starts (got {text!r})")
    return start, end


def _check_range(text: str) -> str:
    parse_time_range(text)
    return text


TimeRange = Annotated[str, AfterValidator(_check_range)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Closure(_Strict):
    """Days the center is closed besides the national holidays (``to`` is inclusive)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    start: date = Field(alias="from")
    end: date | None = Field(default=None, alias="to")
    reason: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> Closure:
        if self.end is not None and self.end < self.start:
            raise ValueError("'to' is before 'from'")
        return self

    def covers(self, day: date) -> bool:
        return self.start <= day <= (self.end or self.start)


def _default_week() -> dict[Weekday, list[str]]:
    return {day: ["09:00-16:00"] for day in WEEKDAYS[:5]}


class HoursSettings(_Strict):
    """When operators answer. Outside these times callers get the ``closed`` routing."""

    # An IANA name; the pattern keeps zoneinfo from names it cannot look up safely
    # (a 6000-character path overflows its recursion).
    timezone: str = Field(default="Europe/Rome", max_length=64,
                          pattern=r"^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+){0,3}$")
    weekly: dict[Weekday, list[TimeRange]] = Field(default_factory=_default_week)
    holidays_country: str | None = "IT"  # ISO 3166 code for the `holidays` package; null: none
    holidays_subdivision: str | None = None  # e.g. a region or province code the package knows
    closures: list[Closure] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError, RecursionError):
            raise ValueError(f"unknown time zone {name!r} (e.g. Europe/Rome)") from None
        return name

    @model_validator(mode="after")
    def _known_country(self) -> HoursSettings:
        if self.holidays_country is None:
            return self
        try:
            holidays.country_holidays(self.holidays_country, subdiv=self.holidays_subdivision)
        except NotImplementedError as exc:
            raise ValueError(f"{exc}: holidays_country is an ISO 3166 code such as IT, "
                             "holidays_subdivision one of its subdivisions, or null") from None
        return self
