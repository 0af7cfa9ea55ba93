"""The callback rules: who gets a task, when it is due, what an outcome does to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from centralino.core.hours.rules import OfficeHours, Override, OverrideMode
from config.hours import HoursSettings
from config.settings import CallbackSettings
from cti.callbacks.models import CallbackOutcome, CallbackStatus
from cti.callbacks.rules import after_attempt, diallable_caller, due_at, retry_after

ROME = ZoneInfo("Europe/Rome")
OFFICE = OfficeHours(HoursSettings())  # Mon-Fri 09:00-16:00, Italian holidays
SETTINGS = CallbackSettings(max_attempts=3, retry_spacing_minutes=30)


def rome(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ROME)


def override(mode: OverrideMode) -> Override:
    return Override(mode, "test", "supervisor", datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(("caller_id", "expected"), [
    ("3331234567", "+393331234567"),
    ("+39 06 6982 0000", "+390669820000"),
    ("00393331234567", "+393331234567"),
    ("+33 1 42 68 53 00", "+33142685300"),
])
def test_italian_and_foreign_numbers_are_called_back_in_e164(caller_id: str,
                                                              expected: str) -> None:
    assert diallable_caller(caller_id) == expected


@pytest.mark.parametrize("caller_id", [None, "", "anonymous", "Anonymous", "seat1", "123",
                                       "+39 333", "800100100x"])
def test_a_caller_id_that_is_not_a_diallable_number_gets_no_task(caller_id: str | None) -> None:
    assert diallable_caller(caller_id) is None


def test_a_task_made_in_office_hours_is_due_at_once() -> None:
    now = rome(3, 11, 10, 30)  # a Wednesday
    assert due_at(now, OFFICE, None) == now


def test_a_task_made_on_friday_evening_is_due_on_monday_at_nine() -> None:
    assert due_at(rome(3, 13, 18), OFFICE, None) == rome(3, 16, 9)


def test_a_task_made_on_christmas_eve_afternoon_skips_the_holidays_and_the_weekend() -> None:
    assert due_at(rome(12, 24, 17), OFFICE, None) == rome(12, 28, 9)


def test_a_task_made_before_a_closure_is_due_after_it() -> None:
    office = OfficeHours(HoursSettings.model_validate(
        {"closures": [{"from": "2026-03-12", "to": "2026-03-13", "reason": "move"}]}))
    assert due_at(rome(3, 11, 17), office, None) == rome(3, 16, 9)


def test_a_task_made_while_an_override_opens_the_center_at_night_is_due_at_once() -> None:
    now = rome(3, 11, 22)
    assert due_at(now, OFFICE, override(OverrideMode.OPEN)) == now


def test_a_task_made_while_an_override_closes_the_center_is_due_at_the_next_opening() -> None:
    assert due_at(rome(3, 11, 10), OFFICE, override(OverrideMode.CLOSED)) == rome(3, 12, 9)


def test_a_center_that_never_opens_makes_tasks_due_at_once() -> None:
    never = OfficeHours(HoursSettings.model_validate({"weekly": {}}))
    now = rome(3, 11, 10)
    assert due_at(now, never, None) == now


NOW = rome(3, 11, 10)
RETRY = NOW + timedelta(minutes=30)


def test_a_reached_caller_closes_the_task_as_reached() -> None:
    after = after_attempt(CallbackOutcome.REACHED, 0, NOW, NOW, SETTINGS, RETRY)
    assert (after.status, after.attempts) == (CallbackStatus.REACHED, 1)


@pytest.mark.parametrize("outcome", [CallbackOutcome.NO_ANSWER, CallbackOutcome.BUSY])
def test_an_unanswered_call_is_retried_after_the_spacing(outcome: CallbackOutcome) -> None:
    after = after_attempt(outcome, 0, NOW, NOW, SETTINGS, RETRY)
    assert (after.status, after.attempts, after.due_at) == (CallbackStatus.OPEN, 1, RETRY)


def test_the_last_unanswered_attempt_makes_the_task_unreachable() -> None:
    after = after_attempt(CallbackOutcome.NO_ANSWER, 2, NOW, NOW, SETTINGS, RETRY)
    assert (after.status, after.attempts) == (CallbackStatus.UNREACHABLE, 3)


def test_a_wrong_number_is_not_called_again() -> None:
    after = after_attempt(CallbackOutcome.WRONG_NUMBER, 0, NOW, NOW, SETTINGS, RETRY)
    assert (after.status, after.attempts) == (CallbackStatus.CLOSED, 1)


@pytest.mark.parametrize("outcome", [CallbackOutcome.SEAT_UNAVAILABLE, CallbackOutcome.CANCELLED,
                                     CallbackOutcome.FAILED])
def test_a_failure_on_the_operators_side_does_not_count_against_the_caller(
    outcome: CallbackOutcome,
) -> None:
    after = after_attempt(outcome, 2, NOW, NOW, SETTINGS, RETRY)
    assert (after.status, after.attempts, after.due_at) == (CallbackStatus.OPEN, 2, NOW)


def test_the_retry_spacing_comes_from_the_settings() -> None:
    assert retry_after(NOW, CallbackSettings(retry_spacing_minutes=45)) == (
        NOW + timedelta(minutes=45))
