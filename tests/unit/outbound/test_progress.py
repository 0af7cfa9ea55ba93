"""A campaign's progress and results, on SQLite and PostgreSQL: counts by contact status,
disposition and outcome, the end estimated from the recent attempts, every attempt of every
contact, in a fixed number of queries however many contacts there are."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from outbound.progress import campaign_results, campaign_status, campaigns_status, result_pages
from outbound.rules import Budget
from outbound.store import (
    AttemptReport,
    CampaignNotFound,
    change_state,
    claim_attempts,
    finish_attempt,
    list_campaigns,
)
from outbound.terms import Disposition

from .campaigns import NOW, running_campaign

A, B, C, D = "+393331111111", "+393332222222", "+393333333333", "+393334444444"
Sessions = async_sessionmaker[AsyncSession]
LATER = NOW + timedelta(minutes=1)


async def four_calls(session: AsyncSession) -> int:
    """A answered and pressed 1 (outcome ``works``, a survey answer), B busy, C a machine
    (the message left), D still ringing."""
    campaign = await running_campaign(session, A, B, C, D)
    claims = {c.phone: c.attempt_id for c in await claim_attempts(
        session, campaign.id, engine="e1", now=NOW, limit=10, budget=Budget())}
    await finish_attempt(session, claims[A], AttemptReport(
        Disposition.HUMAN, dial_status="ANSWER", amd_status="HUMAN", answered_at=NOW,
        keys="1", outcome="works", survey={"courtesy": 5}), now=LATER)
    await finish_attempt(session, claims[B], AttemptReport(Disposition.BUSY,
                                                           dial_status="BUSY"), now=LATER)
    await finish_attempt(session, claims[C], AttemptReport(
        Disposition.MACHINE, dial_status="ANSWER", amd_status="MACHINE",
        amd_cause="LONGGREETING", answered_at=NOW), now=LATER)
    return campaign.id


async def test_the_status_counts_contacts_attempts_and_outcomes(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        campaign_id = await four_calls(session)
        status = await campaign_status(session, campaign_id, LATER)
    assert {key: status[key] for key in (
        "id", "name", "state", "contacts", "attempts", "dialled", "answered", "in_flight",
        "completed", "remaining", "outcomes", "dispositions")} == {
        "id": campaign_id, "name": "reminders", "state": "running", "contacts": 4,
        "attempts": 4, "dialled": 4, "answered": 2, "in_flight": 1, "completed": 2,
        "remaining": 2, "outcomes": {"message_left": 1, "works": 1},
        "dispositions": {"busy": 1, "human": 1, "machine": 1}}
    assert status["statuses"] == {"pending": 1, "calling": 1, "done": 2, "opted_out": 0,
                                  "dnc": 0, "expired": 0, "exhausted": 0, "invalid": 0}
    assert status["started_at"] == NOW


async def test_the_end_is_estimated_from_the_recent_attempt_rate(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        campaign_id = await four_calls(session)
        running = await campaign_status(session, campaign_id, LATER)
        much_later = await campaign_status(session, campaign_id, NOW + timedelta(hours=1))
        await change_state(session, campaign_id, "pause", now=LATER)
        paused = await campaign_status(session, campaign_id, LATER)
    # 4 attempts in the last 15 minutes, one per contact so far: 2 to go take 450 s
    assert running["estimated_end"] == LATER + timedelta(seconds=450)
    assert much_later["estimated_end"] is None  # no attempt lately: nothing to go by
    assert paused["estimated_end"] is None


async def test_a_new_campaign_has_nothing_yet(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        campaign = await running_campaign(session, name="empty")
        [status] = await campaigns_status(session, [campaign], NOW)
    assert (status["contacts"], status["attempts"], status["remaining"], status["outcomes"],
            status["estimated_end"]) == (0, 0, 0, {}, None)


async def test_the_results_list_every_attempt_of_every_contact(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        campaign_id = await four_calls(session)
        results = await campaign_results(session, campaign_id)
    assert [(r["phone"], r["status"], r["outcome"]) for r in results] == [
        (A, "done", "works"), (B, "pending", None), (C, "done", "message_left"),
        (D, "calling", None)]
    [answered] = results[0]["attempts"]
    assert {key: answered[key] for key in ("disposition", "amd", "keys", "outcome", "survey")
            } == {"disposition": "human", "amd": "HUMAN", "keys": "1", "outcome": "works",
                  "survey": {"courtesy": 5}}
    assert answered["started_at"] == NOW.isoformat()
    assert results[2]["attempts"][0]["amd_cause"] == "LONGGREETING"
    assert results[3]["attempts"][0]["disposition"] is None  # in flight
    assert results[0]["variables"] == {"amount": "10.00"}


async def test_results_in_pages_are_the_same_results(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        campaign_id = await four_calls(session)
        whole = await campaign_results(session, campaign_id)
        pages = [page async for page in result_pages(session, campaign_id, size=3)]
        first_two = await campaign_results(session, campaign_id, limit=2)
    assert [len(page) for page in pages] == [3, 1]
    assert [r for page in pages for r in page] == whole
    assert first_two == whole[:2]


async def test_an_unknown_campaign_is_not_found(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        with pytest.raises(CampaignNotFound):
            await campaign_status(session, 99, NOW)
        with pytest.raises(CampaignNotFound):
            await campaign_results(session, 99)


@contextmanager
def counted(session: AsyncSession) -> Iterator[list[str]]:
    """The SQL statements the session's engine runs meanwhile."""
    statements: list[str] = []
    engine = session.get_bind()

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_status_and_results_take_as_many_queries_for_3_or_60_contacts(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        small = await running_campaign(session, A, B, C, name="small")
        big = await running_campaign(session, *(f"+39333{n:07d}" for n in range(60)),
                                     name="big")
        for campaign in (small, big):
            await claim_attempts(session, campaign.id, engine="e1", now=NOW, limit=100,
                                 budget=Budget(per_day=10, per_week=10))
        queries = {}
        for campaign in (small, big):
            with counted(session) as statements:
                await campaign_status(session, campaign.id, NOW)
                await campaign_results(session, campaign.id)
            queries[campaign.name] = len(statements)
        with counted(session) as statements:
            await campaigns_status(session, await list_campaigns(session), NOW)
        listing = len(statements)
    assert queries["small"] == queries["big"]
    assert listing <= 5  # the campaigns, then four aggregates for all of them
