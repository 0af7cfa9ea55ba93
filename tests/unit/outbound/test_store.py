"""Campaigns in the database, on SQLite and PostgreSQL: lists merged, attempts claimed once,
the do-not-call list and the per-number budget checked when an attempt is claimed, contacts
moved on by how their attempts ended."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.db import create_engine, create_sync_engine, session_factory
from centralino.core.group_commit import GroupCommit
from outbound.attempts import DatabaseAttempts
from outbound.dnc import add_numbers, is_listed, list_numbers, remove_number
from outbound.models import CampaignContact
from outbound.rules import Budget
from outbound.store import (
    AttemptReport,
    CampaignStateError,
    ContactNotFound,
    attempt_context,
    change_state,
    claim_attempts,
    finish_attempt,
    finish_if_done,
    import_contacts,
    mark_contact,
    release_claims,
    unfinished_attempts,
)
from outbound.terms import CampaignState, ContactStatus, Disposition, DncSource

from .campaigns import NOW, contacts, running_campaign

A, B, C = "+393331111111", "+393332222222", "+393333333333"
BUDGET = Budget()
Sessions = async_sessionmaker[AsyncSession]


async def claim(session: AsyncSession, campaign_id: int, when=NOW, limit: int = 10,
                engine: str = "e1") -> list[str]:
    return [c.phone for c in await claim_attempts(session, campaign_id, engine=engine,
                                                  now=when, limit=limit, budget=BUDGET)]


async def contact(session: AsyncSession, phone: str, campaign_id: int) -> CampaignContact:
    from sqlalchemy import select
    row = await session.scalar(select(CampaignContact).where(
        CampaignContact.phone == phone, CampaignContact.campaign_id == campaign_id)
        .execution_options(populate_existing=True))
    assert row is not None
    return row


async def test_a_list_imported_twice_adds_each_number_once(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        campaign = await running_campaign(session, A, B)
        counts = await import_contacts(session, campaign.id, contacts(B, C, merged=1), now=NOW)
    assert (counts.imported, counts.merged) == (1, 2)  # C new; B known; one duplicate row


async def test_an_attempt_is_claimed_once(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        campaign = await running_campaign(session, A, B)
        assert sorted(await claim(session, campaign.id)) == [A, B]
        assert await claim(session, campaign.id) == []
        assert (await contact(session, A, campaign.id)).status == ContactStatus.CALLING


async def test_nothing_is_claimed_of_a_paused_or_draft_campaign(db_session_factory: Sessions
                                                                 ) -> None:
    async with db_session_factory() as session:
        campaign = await running_campaign(session, A)
        await change_state(session, campaign.id, "pause", now=NOW)
        assert await claim(session, campaign.id) == []
        with pytest.raises(CampaignStateError, match="paused: cannot start"):
            await change_state(session, campaign.id, "start", now=NOW)
        await change_state(session, campaign.id, "resume", now=NOW)
        assert await claim(session, campaign.id) == [A]


async def test_two_engines_claim_different_contacts(database_url: str,
                                                    db_session_factory: Sessions) -> None:
    engines = [create_engine(database_url) for _ in range(2)]  # db_session_factory: migrated
    try:
        sessions = [session_factory(engine) for engine in engines]
        phones = [f"+3933312345{n:02d}" for n in range(30)]
        async with sessions[0]() as session:
            await running_campaign(session, *phones)

        async def claims(factory: Sessions, engine: str) -> list[str]:
            got: list[str] = []
            for _ in range(10):
                async with factory() as session:
                    got += await claim(session, 1, limit=3, engine=engine)
            return got

        first, second = await asyncio.gather(claims(sessions[0], "e1"), claims(sessions[1], "e2"))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(first + second) == sorted(phones)  # everybody, nobody twice
    if database_url.startswith("postgresql"):
        assert first and second  # both engines dialled


async def test_a_number_put_on_the_dnc_list_after_its_import_is_never_dialled(
        db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        campaign = await running_campaign(session, A, B)
        assert await add_numbers(session, [A, A], DncSource.CLI, now=NOW) == 1
        assert await claim(session, campaign.id) == [B]
        assert (await contact(session, A, campaign.id)).status == ContactStatus.DNC
        assert await is_listed(session, A)
        assert [n.phone for n in await list_numbers(session)] == [A]
        assert await remove_number(session, A) and not await remove_number(session, A)


async def test_a_number_is_tried_once_a_day_across_campaigns(db_session_factory: Sessions
                                                             ) -> None:
    async with db_session_factory() as session:
        first = await running_campaign(session, A, name="first")
        second = await running_campaign(session, A, name="second")
        assert await claim(session, first.id) == [A]
        assert await claim(session, second.id) == []
        assert (await contact(session, A, second.id)).next_at == NOW + timedelta(days=1)
        assert await claim(session, second.id, when=NOW + timedelta(days=1, seconds=1)) == [A]


async def test_busy_is_retried_after_its_spacing(db_session_factory: Sessions) -> None:
    extra = "retries: {busy: {after_minutes: 30, max: 1}}\n"
    budget_free = timedelta(days=1)  # one attempt a day: the retry waits for the budget too
    async with db_session_factory() as session:
        campaign = await running_campaign(session, A, extra=extra)
        [attempt] = await claim_attempts(session, campaign.id, engine="e1", now=NOW, limit=5,
                                         budget=Budget(per_day=5))
        row = await finish_attempt(session, attempt.attempt_id,
                                   AttemptReport(Disposition.BUSY, dial_status="BUSY"), now=NOW)
        assert row is not None and row.status == ContactStatus.PENDING
        assert row.next_at == NOW + timedelta(minutes=30)
        assert await claim(session, campaign.id, when=NOW + timedelta(minutes=29)) == []
        assert await claim(session, campaign.id, when=NOW + budget_free) == [A]


async def test_a_result_reported_twice_counts_once(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        campaign = await running_campaign(session, A)
        [attempt] = await claim_attempts(session, campaign.id, engine="e1", now=NOW, limit=5,
                                         budget=BUDGET)
        report = AttemptReport(Disposition.HUMAN, outcome="paid", keys="1")
        assert await finish_attempt(session, attempt.attempt_id, report, now=NOW) is not None
        assert await finish_attempt(session, attempt.attempt_id, report, now=NOW) is None
        row = await contact(session, A, campaign.id)
        assert (row.status, row.outcome) == (ContactStatus.DONE, "paid")


async def test_a_contact_marked_paid_leaves_the_ladder_even_mid_call(
        db_session_factory: Sessions) -> None:
    ladder = "stages: [{script: payment_reminder, after_days: 7}]\n"
    async with db_session_factory() as session:
        campaign = await running_campaign(session, A, B, extra=ladder)
        claims = await claim_attempts(session, campaign.id, engine="e1", now=NOW, limit=5,
                                      budget=BUDGET)
        await mark_contact(session, campaign.id, A, "paid", now=NOW)
        for claimed in claims:
            await finish_attempt(session, claimed.attempt_id, AttemptReport(Disposition.HUMAN),
                                 now=NOW)
        a, b = await contact(session, A, campaign.id), await contact(session, B, campaign.id)
        assert (a.status, a.outcome) == (ContactStatus.DONE, "paid")
        assert (b.status, b.stage, b.next_at) == (ContactStatus.PENDING, 1,
                                                  NOW + timedelta(days=7))
        later = NOW + timedelta(days=7, seconds=1)
        assert await claim(session, campaign.id, when=later) == [B]
        with pytest.raises(ContactNotFound):
            await mark_contact(session, campaign.id, C, "paid", now=NOW)


async def test_lost_attempts_and_their_context(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        campaign = await running_campaign(session, A)
        [attempt] = await claim_attempts(session, campaign.id, engine="e1", now=NOW, limit=5,
                                         budget=BUDGET)
        assert await unfinished_attempts(session, NOW) == []
        [unfinished] = await unfinished_attempts(session, NOW + timedelta(seconds=1))
        assert (unfinished.attempt_id, unfinished.phone) == (attempt.attempt_id, A)
        context = await attempt_context(session, attempt.attempt_id)
        assert context is not None
        assert (context.phone, context.script, context.language) == (A, "payment_reminder",
                                                                      "it")
        assert context.variables == {"amount": "10.00"}
        assert await attempt_context(session, attempt.attempt_id + 1) is None


async def test_a_campaign_finishes_when_nobody_is_left_to_call(db_session_factory: Sessions
                                                               ) -> None:
    async with db_session_factory() as session:
        campaign = await running_campaign(session, A)
        [attempt] = await claim_attempts(session, campaign.id, engine="e1", now=NOW, limit=5,
                                         budget=BUDGET)
        assert not await finish_if_done(session, campaign.id, now=NOW)
        await finish_attempt(session, attempt.attempt_id,
                             AttemptReport(Disposition.INVALID_NUMBER), now=NOW)
        assert await finish_if_done(session, campaign.id, now=NOW)
        counts = await import_contacts(session, campaign.id, contacts(B), now=NOW)
        assert counts.imported == 1
        assert (await change_state(session, campaign.id, "pause", now=NOW)).state == \
            CampaignState.PAUSED


async def test_one_claim_of_several_contacts_skips_a_listed_an_expired_and_a_spent_number(
        db_session_factory: Sessions) -> None:
    d = "+393334444444"
    async with db_session_factory() as session:
        other = await running_campaign(session, C, name="other")
        assert await claim(session, other.id) == [C]  # C's attempt for today
        campaign = await running_campaign(session, A, B, C)
        await import_contacts(session, campaign.id, contacts(d), now=NOW, expires_at=NOW)
        await add_numbers(session, [B], DncSource.CLI, now=NOW)

        claims = await claim_attempts(session, campaign.id, engine="e1", now=NOW, limit=10,
                                      budget=BUDGET)

        assert [(c.phone, c.campaign_id, c.stage) for c in claims] == [(A, campaign.id, 0)]
        assert (await contact(session, B, campaign.id)).status == ContactStatus.DNC
        spent = await contact(session, C, campaign.id)
        assert (spent.status, spent.next_at) == (ContactStatus.PENDING, NOW + timedelta(days=1))
        assert (await contact(session, d, campaign.id)).status == ContactStatus.EXPIRED
        assert await claim(session, campaign.id) == []


async def test_claims_given_back_undialled_are_due_again_and_spend_no_budget(
        db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        campaign = await running_campaign(session, A, B)
        claims = await claim_attempts(session, campaign.id, engine="e1", now=NOW, limit=10,
                                      budget=BUDGET)
        given_back = [c.attempt_id for c in claims if c.phone == B]
        assert await release_claims(session, given_back) == 1
        assert await release_claims(session, given_back) == 0
        assert (await contact(session, B, campaign.id)).status == ContactStatus.PENDING
        assert [u.attempt_id for u in await unfinished_attempts(
            session, NOW + timedelta(seconds=1))] == [c.attempt_id for c in claims if c.phone == A]
        assert await claim(session, campaign.id) == [B]


async def test_engines_claiming_batches_through_their_group_commits_share_no_contact(
        database_url: str, db_session_factory: Sessions) -> None:
    phones = [f"+3933312345{n:02d}" for n in range(30)]
    async with db_session_factory() as session:
        campaign = await running_campaign(session, *phones)
    writers = [GroupCommit(create_sync_engine(database_url)) for _ in range(2)]
    try:
        stores = [DatabaseAttempts(db_session_factory, f"e{n}", BUDGET, writer=writer)
                  for n, writer in enumerate(writers)]

        async def claims(attempts: DatabaseAttempts) -> list[str]:
            got: list[str] = []
            for _ in range(40):  # a claim can come back empty while the other one writes
                if len(got) >= 20:  # neither can take everybody
                    break
                got += [c.phone for c in await attempts.claim(campaign.id, now=NOW, limit=3)]
                await asyncio.sleep(0)
            return got

        first, second = await asyncio.gather(*(claims(attempts) for attempts in stores))
    finally:
        for writer in writers:
            await writer.close()
    assert sorted(first + second) == sorted(phones)  # everybody, nobody twice


async def test_a_result_stored_through_the_group_commit_counts_once(
        database_url: str, db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        campaign = await running_campaign(session, A)
    writer = GroupCommit(create_sync_engine(database_url))
    try:
        attempts = DatabaseAttempts(db_session_factory, "e1", BUDGET, writer=writer)
        [claimed] = await attempts.claim(campaign.id, now=NOW, limit=5)
        context = await attempts.context(claimed.attempt_id)
        assert context is not None and (context.phone, context.script) == (A,
                                                                             "payment_reminder")
        report = AttemptReport(Disposition.HUMAN, outcome="paid", keys="1")
        results = await asyncio.gather(*(attempts.finish(claimed.attempt_id, report, now=NOW)
                                         for _ in range(2)))
        assert await attempts.context(claimed.attempt_id + 1) is None
    finally:
        await writer.close()
    assert sorted(results) == [False, True]
    async with db_session_factory() as session:
        row = await contact(session, A, campaign.id)
    assert (row.status, row.outcome) == (ContactStatus.DONE, "paid")
