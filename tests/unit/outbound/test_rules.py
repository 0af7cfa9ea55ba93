"""Where a contact goes after an attempt, and when a number's budget frees."""

from __future__ import annotations

from datetime import timedelta

import pytest

from config.campaign import CampaignFile
from outbound.rules import (
    MESSAGE_LEFT,
    REACHED,
    AttemptEnd,
    Budget,
    ContactProgress,
    after_attempt,
    budget_frees_at,
)
from outbound.terms import ContactStatus, Disposition

from .campaigns import NOW

FAR = NOW + timedelta(days=30)


def campaign(**keys: object) -> CampaignFile:
    return CampaignFile.model_validate({"version": 1, "name": "c", "script": "s", **keys})


def fresh(attempts: int = 0, retries: dict[str, int] | None = None,
          stage: int = 0) -> ContactProgress:
    return ContactProgress(ContactStatus.CALLING, None, stage, attempts, retries or {}, NOW)


def test_a_human_with_no_outcome_is_reached() -> None:
    after = after_attempt(campaign(), fresh(), AttemptEnd(Disposition.HUMAN), NOW, FAR)
    assert (after.status, after.outcome) == (ContactStatus.DONE, REACHED)


@pytest.mark.parametrize(("policy", "status", "outcome"), [
    ("leave_message", ContactStatus.DONE, MESSAGE_LEFT),
    ("hang_up", ContactStatus.DONE, "machine"),
    ("retry", ContactStatus.PENDING, None),
])
def test_the_machine_policy_decides(policy: str, status: ContactStatus,
                                    outcome: str | None) -> None:
    after = after_attempt(campaign(machine=policy), fresh(), AttemptEnd(Disposition.MACHINE),
                          NOW, FAR)
    assert (after.status, after.outcome) == (status, outcome)


def test_an_invalid_number_is_never_retried() -> None:
    after = after_attempt(campaign(), fresh(), AttemptEnd(Disposition.INVALID_NUMBER), NOW, FAR)
    assert after.status == ContactStatus.INVALID


def test_retries_of_a_disposition_run_out() -> None:
    rules = campaign(retries={"no_answer": {"after_minutes": 60, "max": 1}})
    first = after_attempt(rules, fresh(), AttemptEnd(Disposition.NO_ANSWER), NOW, FAR)
    assert (first.status, first.next_at, first.attempts) == (
        ContactStatus.PENDING, NOW + timedelta(minutes=60), 1)
    second = after_attempt(rules, first, AttemptEnd(Disposition.NO_ANSWER), NOW, FAR)
    assert (second.status, second.outcome) == (ContactStatus.EXHAUSTED, "no_answer")


def test_congestion_is_not_counted_and_max_attempts_ends_the_rest() -> None:
    rules = campaign(max_attempts=2)
    congested = after_attempt(rules, fresh(attempts=1), AttemptEnd(Disposition.CONGESTION),
                              NOW, FAR)
    assert (congested.status, congested.attempts) == (ContactStatus.PENDING, 1)
    busy = after_attempt(rules, congested, AttemptEnd(Disposition.BUSY), NOW, FAR)
    assert (busy.status, busy.attempts) == (ContactStatus.EXHAUSTED, 2)


def test_a_retry_after_the_expiry_expires() -> None:
    after = after_attempt(campaign(), fresh(), AttemptEnd(Disposition.BUSY), NOW,
                          NOW + timedelta(minutes=10))
    assert after.status == ContactStatus.EXPIRED


def test_an_opt_out_ends_the_contact() -> None:
    after = after_attempt(campaign(), fresh(), AttemptEnd(Disposition.HUMAN, opted_out=True),
                          NOW, FAR)
    assert (after.status, after.outcome) == (ContactStatus.OPTED_OUT, "opted_out")


def test_a_ladder_goes_to_its_next_stage_after_its_days() -> None:
    rules = campaign(stages=[{"script": "s2", "after_days": 5}])
    after = after_attempt(rules, fresh(attempts=1, retries={"busy": 1}),
                          AttemptEnd(Disposition.HUMAN, "heard"), NOW, FAR)
    assert (after.status, after.stage, after.attempts, after.retries, after.next_at) == (
        ContactStatus.PENDING, 1, 0, {}, NOW + timedelta(days=5))
    last = after_attempt(rules, after, AttemptEnd(Disposition.HUMAN, "heard"), NOW, FAR)
    assert (last.status, last.outcome) == (ContactStatus.DONE, "heard")


def test_the_budget_frees_a_day_after_the_last_attempt_and_a_week_after_the_seventh() -> None:
    budget = Budget(per_day=1, per_week=7)
    assert budget_frees_at(budget, [], NOW) is None
    assert budget_frees_at(budget, [NOW - timedelta(hours=2)], NOW) == \
        NOW + timedelta(hours=22)
    week = [NOW - timedelta(days=6, hours=n) for n in range(7)][::-1]
    assert budget_frees_at(budget, week, NOW) == week[0] + timedelta(days=7)
    assert budget_frees_at(Budget(per_day=2), [NOW - timedelta(hours=1)], NOW) is None
