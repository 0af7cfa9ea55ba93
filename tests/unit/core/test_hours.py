"""Office hours by the clock: weekly ranges, Italian holidays, closures, time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest

from centralino.core.hours.rules import (
    CenterState,
    CenterStatus,
    OfficeHours,
    Override,
    OverrideMode,
    effective_status,
    status_json,
)
from config.hours import HoursSettings

ROME = ZoneInfo("Europe/Rome")
DEFAULT = OfficeHours(HoursSettings())


def rome(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=ROME)


def hours(**settings: Any) -> OfficeHours:
    return OfficeHours(HoursSettings.model_validate(settings))


@pytest.mark.parametrize(("hour", "minute", "state"), [
    (8, 59, CenterState.CLOSED), (9, 0, CenterState.OPEN), (15, 59, CenterState.OPEN),
    (16, 0, CenterState.CLOSED),
])
def test_a_weekday_is_open_from_nine_until_just_before_four(
    hour: int, minute: int, state: CenterState
) -> None:
    assert DEFAULT.status_at(rome(2026, 3, 11, hour, minute)) == CenterStatus(state)


def test_saturday_morning_is_closed_by_the_clock() -> None:
    assert DEFAULT.status_at(rome(2026, 3, 14, 10, 0)) == CenterStatus(CenterState.CLOSED)


def test_christmas_day_is_a_holiday_even_on_a_weekday_morning() -> None:
    status = DEFAULT.status_at(rome(2026, 12, 25, 10, 0))  # a Friday
    assert status == CenterStatus(CenterState.HOLIDAY, "Christmas Day")


def test_republic_day_is_a_holiday() -> None:
    status = DEFAULT.status_at(rome(2026, 6, 2, 11, 0))  # a Tuesday
    assert status.state is CenterState.HOLIDAY
    assert status.reason == "Republic Day"


def test_the_day_after_a_holiday_is_an_ordinary_working_day() -> None:
    assert DEFAULT.status_at(rome(2026, 6, 3, 11, 0)).state is CenterState.OPEN


def test_without_a_holidays_country_christmas_is_a_working_day() -> None:
    assert hours(holidays_country=None).status_at(rome(2026, 12, 25, 10, 0)).state \
        is CenterState.OPEN


def test_a_subdivision_adds_its_own_holidays() -> None:
    feast = rome(2026, 6, 29, 10, 0)  # Saints Peter and Paul, patrons of Rome; a Monday
    assert DEFAULT.status_at(feast).state is CenterState.OPEN
    assert hours(holidays_subdivision="RM").status_at(feast).state is CenterState.HOLIDAY


def test_every_day_of_a_configured_closure_is_a_holiday_with_its_reason() -> None:
    office = hours(closures=[{"from": "2026-08-10", "to": "2026-08-14",
                              "reason": "summer closure"}])
    for day in range(10, 15):
        assert office.status_at(rome(2026, 8, day, 10, 0)) == CenterStatus(
            CenterState.HOLIDAY, "summer closure")
    assert office.status_at(rome(2026, 8, 7, 10, 0)).state is CenterState.OPEN
    assert office.status_at(rome(2026, 8, 17, 10, 0)).state is CenterState.OPEN


def test_a_one_day_closure_covers_only_its_day() -> None:
    office = hours(closures=[{"from": "2026-03-11", "reason": "staff training"}])
    assert office.status_at(rome(2026, 3, 11, 10, 0)).reason == "staff training"
    assert office.status_at(rome(2026, 3, 12, 10, 0)).state is CenterState.OPEN


def test_a_lunch_break_between_two_ranges_is_closed() -> None:
    office = hours(weekly={"wed": ["09:00-13:00", "14:00-18:00"]})
    assert office.status_at(rome(2026, 3, 11, 12, 59)).state is CenterState.OPEN
    assert office.status_at(rome(2026, 3, 11, 13, 30)).state is CenterState.CLOSED
    assert office.status_at(rome(2026, 3, 11, 17, 0)).state is CenterState.OPEN
    assert office.status_at(rome(2026, 3, 12, 10, 0)).state is CenterState.CLOSED  # Thursday


def test_a_range_ending_at_24_00_is_open_until_midnight() -> None:
    office = hours(weekly={"sat": ["20:00-24:00"]})
    assert office.status_at(rome(2026, 3, 14, 23, 59, 59)).state is CenterState.OPEN
    assert office.status_at(rome(2026, 3, 15, 0, 0)).state is CenterState.CLOSED


@pytest.mark.parametrize(("utc_time", "state"), [
    # Winter, CET (UTC+1): 09:00 in Rome is 08:00 UTC.
    (datetime(2026, 3, 27, 7, 59, tzinfo=UTC), CenterState.CLOSED),
    (datetime(2026, 3, 27, 8, 0, tzinfo=UTC), CenterState.OPEN),
    (datetime(2026, 3, 27, 14, 59, tzinfo=UTC), CenterState.OPEN),
    (datetime(2026, 3, 27, 15, 0, tzinfo=UTC), CenterState.CLOSED),
    # After the switch on Sunday 29 March, CEST (UTC+2): 09:00 in Rome is 07:00 UTC.
    (datetime(2026, 3, 30, 6, 59, tzinfo=UTC), CenterState.CLOSED),
    (datetime(2026, 3, 30, 7, 0, tzinfo=UTC), CenterState.OPEN),
    (datetime(2026, 3, 30, 13, 59, tzinfo=UTC), CenterState.OPEN),
    (datetime(2026, 3, 30, 14, 0, tzinfo=UTC), CenterState.CLOSED),
])
def test_a_utc_time_is_judged_by_the_clock_in_rome_on_both_sides_of_the_dst_switch(
    utc_time: datetime, state: CenterState
) -> None:
    assert DEFAULT.status_at(utc_time).state is state


def test_a_time_in_another_zone_is_converted_to_the_configured_one() -> None:
    new_york = datetime(2026, 3, 11, 3, 30, tzinfo=ZoneInfo("America/New_York"))  # 08:30 Rome
    assert DEFAULT.status_at(new_york).state is CenterState.CLOSED
    assert DEFAULT.status_at(new_york.replace(hour=4)).state is CenterState.OPEN


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        DEFAULT.status_at(datetime(2026, 3, 11, 10, 0))


def test_the_next_opening_after_friday_evening_is_monday_at_nine() -> None:
    opening = DEFAULT.next_opening(rome(2026, 3, 13, 18, 0))
    assert opening == rome(2026, 3, 16, 9, 0)
    assert opening is not None and opening.tzinfo == ROME


def test_the_next_opening_skips_christmas_and_the_weekend() -> None:
    assert DEFAULT.next_opening(rome(2026, 12, 24, 17, 0)) == rome(2026, 12, 28, 9, 0)


def test_the_next_opening_skips_a_midweek_holiday() -> None:
    assert DEFAULT.next_opening(rome(2026, 6, 1, 16, 0)) == rome(2026, 6, 3, 9, 0)


def test_the_next_opening_across_the_dst_switch_is_nine_local_time() -> None:
    after = datetime(2026, 3, 27, 16, 0, tzinfo=UTC)  # Friday 17:00 CET
    assert DEFAULT.next_opening(after) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def test_the_next_opening_early_in_the_morning_is_the_same_day() -> None:
    assert DEFAULT.next_opening(rome(2026, 3, 11, 7, 15)) == rome(2026, 3, 11, 9, 0)


def test_the_next_opening_during_a_lunch_break_is_the_afternoon_range() -> None:
    office = hours(weekly={"wed": ["09:00-13:00", "14:00-18:00"]})
    assert office.next_opening(rome(2026, 3, 11, 13, 0)) == rome(2026, 3, 11, 14, 0)


def test_the_next_opening_while_open_is_now() -> None:
    now = rome(2026, 3, 11, 10, 42)
    assert DEFAULT.next_opening(now) == now


def test_a_center_that_never_opens_has_no_next_opening() -> None:
    assert hours(weekly={}).next_opening(rome(2026, 3, 11, 10, 0)) is None
    closed_for_long = hours(closures=[{"from": "2026-03-01", "to": "2028-03-01",
                                       "reason": "refurbishment"}])
    assert closed_for_long.next_opening(rome(2026, 3, 11, 10, 0)) is None


def test_the_holidays_of_a_year_are_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Any] = []
    real = holidays.country_holidays

    def counting(*args: Any, **kwargs: Any) -> holidays.HolidayBase:
        built.append(kwargs.get("years"))
        return real(*args, **kwargs)

    monkeypatch.setattr(holidays, "country_holidays", counting)
    office = OfficeHours(HoursSettings())
    built.clear()  # the settings' own validation builds one too
    for day in range(1, 29):
        office.status_at(rome(2026, 2, day, 10, 0))
    assert office.day_off(date(2027, 1, 1)) == "New Year's Day"
    assert built == [2026, 2027]


def test_an_open_override_opens_the_center_on_a_holiday() -> None:
    override = Override(OverrideMode.OPEN, "flood emergency line", "anna",
                        datetime(2026, 12, 25, 8, 0, tzinfo=UTC))
    by_clock = DEFAULT.status_at(rome(2026, 12, 25, 10, 0))
    status = effective_status(by_clock, override)
    assert status == CenterStatus(CenterState.OPEN, "flood emergency line", override)
    assert status_json(status, by_clock.state) == {
        "state": "open", "reason": "flood emergency line", "clock_state": "holiday",
        "override": {"mode": "open", "reason": "flood emergency line", "set_by": "anna",
                     "set_at": "2026-12-25T08:00:00+00:00"},
    }


def test_a_closed_override_closes_the_center_in_office_hours() -> None:
    override = Override(OverrideMode.CLOSED, "strike", "anna",
                        datetime(2026, 3, 11, 8, 0, tzinfo=UTC))
    status = effective_status(DEFAULT.status_at(rome(2026, 3, 11, 10, 0)), override)
    assert status == CenterStatus(CenterState.CLOSED, "strike", override)
