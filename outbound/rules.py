"""What happens to a contact after an attempt, and whether a number may be dialled now: pure
functions of the campaign file, the contact and the clock, so every path (first call, retry,
next stage, a result reported late) follows the same rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from config.campaign import CampaignFile, Retry
from outbound.terms import ContactStatus, Disposition

REACHED = "reached"  # the outcome of an answered call whose script recorded none
MESSAGE_LEFT = "message_left"  # a machine took the campaign's message


@dataclass(frozen=True, slots=True)
class Budget:
    """How often any campaign may try one number: at most ``per_day`` attempts in 24 hours
    and ``per_week`` in 7 days (the prudent default: one a day, seven a week)."""

    per_day: int = 1
    per_week: int = 7


@dataclass(frozen=True, slots=True)
class ContactProgress:
    """The fields of a contact that an attempt moves."""

    status: ContactStatus
    outcome: str | None
    stage: int
    attempts: int
    retries: dict[str, int]
    next_at: datetime


@dataclass(frozen=True, slots=True)
class AttemptEnd:
    """What an ended attempt tells the rules."""

    disposition: Disposition
    outcome: str | None = None  # the script's
    opted_out: bool = False


def after_attempt(file: CampaignFile, contact: ContactProgress, end: AttemptEnd,
                  now: datetime, expires_at: datetime) -> ContactProgress:
    """Where the contact goes once an attempt ended as ``end``."""
    disposition = end.disposition
    if end.opted_out:
        return _ended(contact, ContactStatus.OPTED_OUT, "opted_out")
    if disposition is Disposition.INVALID_NUMBER:
        return _ended(contact, ContactStatus.INVALID, None)
    if disposition is Disposition.HUMAN or (
            disposition is Disposition.MACHINE and file.machine == "leave_message"):
        outcome = end.outcome or (REACHED if disposition is Disposition.HUMAN else MESSAGE_LEFT)
        return _next_stage(file, contact, outcome, now, expires_at)
    if disposition is Disposition.MACHINE and file.machine == "hang_up":
        return _ended(contact, ContactStatus.DONE, "machine")
    return _retry(file, contact, disposition, now, expires_at)


def _next_stage(file: CampaignFile, contact: ContactProgress, outcome: str, now: datetime,
                expires_at: datetime) -> ContactProgress:
    if contact.stage >= len(file.stages):
        return _ended(contact, ContactStatus.DONE, outcome)
    due = now + timedelta(days=file.stages[contact.stage].after_days)
    if due > expires_at:
        return _ended(contact, ContactStatus.EXPIRED, outcome)
    return ContactProgress(ContactStatus.PENDING, outcome, contact.stage + 1, 0, {}, due)


def _retry(file: CampaignFile, contact: ContactProgress, disposition: Disposition,
           now: datetime, expires_at: datetime) -> ContactProgress:
    rule: Retry = getattr(file.retries, disposition.value)
    retries = {**contact.retries, disposition.value: contact.retries.get(disposition.value, 0) + 1}
    counted = disposition is not Disposition.CONGESTION
    attempts = contact.attempts + counted
    if retries[disposition.value] > rule.max or attempts >= file.max_attempts:
        return ContactProgress(ContactStatus.EXHAUSTED, disposition.value, contact.stage,
                               attempts, retries, contact.next_at)
    due = now + timedelta(minutes=rule.after_minutes)
    if due > expires_at:
        return ContactProgress(ContactStatus.EXPIRED, disposition.value, contact.stage,
                               attempts, retries, contact.next_at)
    return ContactProgress(ContactStatus.PENDING, contact.outcome, contact.stage, attempts,
                           retries, due)


def _ended(contact: ContactProgress, status: ContactStatus,
           outcome: str | None) -> ContactProgress:
    return ContactProgress(status, outcome, contact.stage, contact.attempts, contact.retries,
                           contact.next_at)


def budget_frees_at(budget: Budget, recent: Sequence[datetime],
                    now: datetime) -> datetime | None:
    """When the number may be tried again, given its attempts of the last seven days
    (``recent``, any campaign, oldest first); ``None``: it may be tried now."""
    day_ago, week_ago = now - timedelta(days=1), now - timedelta(days=7)
    last_day = [moment for moment in recent if moment > day_ago]
    last_week = [moment for moment in recent if moment > week_ago]
    frees: list[datetime] = []
    if len(last_day) >= budget.per_day:
        frees.append(last_day[len(last_day) - budget.per_day] + timedelta(days=1))
    if len(last_week) >= budget.per_week:
        frees.append(last_week[len(last_week) - budget.per_week] + timedelta(days=7))
    return max(frees) if frees else None
