"""The callback rules, as pure functions: which caller ids get a task, when a task is due, and
what an attempt's outcome does to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from centralino.core.dialing import e164_number
from centralino.core.hours.rules import (
    CenterState,
    OfficeHours,
    Override,
    OverrideMode,
    effective_status,
)
from config.settings import CallbackSettings
from cti.callbacks.models import CallbackOutcome, CallbackStatus

REGION = "IT"  # caller ids without a country code are Italian numbers
OPEN_STRETCH_STEP = timedelta(minutes=5)  # how finely the end of a closed override's day is found
OPEN_STRETCH_LIMIT = timedelta(days=2)

# Outcomes on the operator's side: the attempt does not count against the caller.
NOT_COUNTED = frozenset({CallbackOutcome.SEAT_UNAVAILABLE, CallbackOutcome.CANCELLED,
                         CallbackOutcome.FAILED})


def diallable_caller(caller_id: str | None) -> str | None:
    """``caller_id`` in E.164 if it is a number the center can call back, else ``None``
    (anonymous, a SIP user name, too short or too long for its country)."""
    return e164_number(caller_id, REGION)


def due_at(now: datetime, office_hours: OfficeHours, override: Override | None) -> datetime:
    """When a task made (or retried) at ``now`` is due: ``now`` while the center is open,
    otherwise its next opening. An override that closes the center during office hours defers
    the task past the current stretch of office hours; a center that never opens: ``now``."""
    if effective_status(office_hours.status_at(now), override).state is CenterState.OPEN:
        return now
    start = now
    if override is not None and override.mode is OverrideMode.CLOSED:
        limit = now + OPEN_STRETCH_LIMIT
        while start < limit and office_hours.status_at(start).state is CenterState.OPEN:
            start += OPEN_STRETCH_STEP
    return office_hours.next_opening(start) or now


@dataclass(frozen=True, slots=True)
class AfterAttempt:
    """A task after an attempt: its new status, counted attempts and due time."""

    status: CallbackStatus
    attempts: int
    due_at: datetime


def after_attempt(outcome: CallbackOutcome, attempts: int, due: datetime, now: datetime,
                  settings: CallbackSettings, retry_due: datetime) -> AfterAttempt:
    """What ``outcome`` does to a task that had ``attempts`` counted attempts and was due at
    ``due``. ``retry_due`` is when a retry would be due (:func:`due_at` of now plus the
    spacing): an unanswered call is retried until ``max_attempts``, then the task is
    unreachable; an attempt that failed on the operator's side leaves the task as it was."""
    if outcome is CallbackOutcome.REACHED:
        return AfterAttempt(CallbackStatus.REACHED, attempts + 1, due)
    if outcome is CallbackOutcome.WRONG_NUMBER:
        return AfterAttempt(CallbackStatus.CLOSED, attempts + 1, due)
    if outcome in NOT_COUNTED:
        return AfterAttempt(CallbackStatus.OPEN, attempts, due)
    counted = attempts + 1
    if counted >= settings.max_attempts:
        return AfterAttempt(CallbackStatus.UNREACHABLE, counted, due)
    return AfterAttempt(CallbackStatus.OPEN, counted, retry_due)


def retry_after(now: datetime, settings: CallbackSettings) -> datetime:
    """The earliest moment an unanswered task is called again."""
    return now + timedelta(minutes=settings.retry_spacing_minutes)
