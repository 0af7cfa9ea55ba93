"""How campaigns are going, read from the database by aggregate queries (GROUP BY, a fixed
number of statements whatever the number of contacts): the status the pages, the API and
``centralino campaigns status`` show, and the results per contact for the exports.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from outbound.models import Campaign, CampaignAttempt, CampaignContact
from outbound.store import CampaignNotFound
from outbound.terms import (
    ANSWERED_DISPOSITIONS,
    OPEN_CONTACT_STATUSES,
    CampaignState,
    ContactStatus,
)

RATE_WINDOW = timedelta(minutes=15)  # the recent attempts the end is estimated from
PAGE = 1000  # contacts per query when results are read in pages


async def campaign_status(session: AsyncSession, campaign_id: int,
                          now: datetime) -> dict[str, Any]:
    """The campaign's progress (see :func:`campaigns_status`); :class:`CampaignNotFound`."""
    campaign = await session.get(Campaign, campaign_id, populate_existing=True)
    if campaign is None:
        raise CampaignNotFound(campaign_id)
    return (await campaigns_status(session, [campaign], now))[0]


async def campaigns_status(session: AsyncSession, campaigns: Sequence[Campaign],
                           now: datetime) -> list[dict[str, Any]]:
    """The progress of each of ``campaigns``, in their order, in four queries:

    ``contacts`` (all), ``statuses`` (status → contacts), ``remaining`` (pending or calling),
    ``completed`` (the others: reached an end), ``outcomes`` (contact outcome → contacts);
    ``attempts`` and ``dialled`` (attempts placed), ``in_flight`` (not ended yet),
    ``answered`` (human or machine), ``dispositions`` (disposition → attempts);
    ``started_at`` and ``estimated_end`` (from the attempts of the last 15 minutes; ``None``
    unless running with attempts to go by).
    """
    ids = [campaign.id for campaign in campaigns]
    statuses = await _counts(session, CampaignContact.status, ids)
    outcomes = await _counts(session, CampaignContact.outcome, ids)
    dispositions = await _counts(session, CampaignAttempt.disposition, ids)
    recent = dict((await session.execute(
        select(CampaignAttempt.campaign_id, func.count())
        .where(CampaignAttempt.campaign_id.in_(ids),
               CampaignAttempt.started_at > now - RATE_WINDOW)
        .group_by(CampaignAttempt.campaign_id))).all())
    return [_status(campaign, statuses[campaign.id], outcomes[campaign.id],
                    dispositions[campaign.id], recent.get(campaign.id, 0), now)
            for campaign in campaigns]


async def _counts(session: AsyncSession, column: Any,
                  ids: Sequence[int]) -> defaultdict[int, dict[str | None, int]]:
    """Rows per value of ``column`` for each campaign of ``ids``."""
    table = column.class_
    rows = await session.execute(select(table.campaign_id, column, func.count())
                                 .where(table.campaign_id.in_(ids))
                                 .group_by(table.campaign_id, column))
    counts: defaultdict[int, dict[str | None, int]] = defaultdict(dict)
    for campaign_id, value, count in rows:
        counts[campaign_id][value] = count
    return counts


def _status(campaign: Campaign, statuses: dict[str | None, int],
            outcomes: dict[str | None, int], dispositions: dict[str | None, int],
            recent_attempts: int, now: datetime) -> dict[str, Any]:
    contacts = sum(statuses.values())
    remaining = sum(statuses.get(status.value, 0) for status in OPEN_CONTACT_STATUSES)
    attempts = sum(dispositions.values())
    answered = sum(dispositions.get(d.value, 0) for d in ANSWERED_DISPOSITIONS)
    return {
        "id": campaign.id, "name": campaign.name, "state": campaign.state,
        "contacts": contacts, "attempts": attempts, "answered": answered,
        "completed": contacts - remaining, "remaining": remaining,
        "outcomes": _named(outcomes),
        "dialled": attempts, "in_flight": dispositions.get(None, 0),
        "dispositions": _named(dispositions),
        "statuses": {status.value: statuses.get(status.value, 0) for status in ContactStatus},
        "created_at": campaign.created_at, "started_at": campaign.started_at,
        "ended_at": campaign.ended_at,
        "estimated_end": _estimated_end(campaign.state, contacts, remaining, attempts,
                                        recent_attempts, now),
    }


def _named(counts: dict[str | None, int]) -> dict[str, int]:
    """The counts of named values, by name (``None``: no outcome, an attempt in flight)."""
    return {key: counts[key] for key in sorted(k for k in counts if k is not None)}


def _estimated_end(state: str, contacts: int, remaining: int, attempts: int,
                   recent_attempts: int, now: datetime) -> datetime | None:
    """When the remaining contacts will have been tried, at the recent attempt rate and as
    many attempts per contact as so far (at least one)."""
    if state != CampaignState.RUNNING.value or not remaining or not recent_attempts:
        return None
    per_contact = max(1.0, attempts / contacts) if contacts else 1.0
    per_second = recent_attempts / RATE_WINDOW.total_seconds()
    return now + timedelta(seconds=round(remaining * per_contact / per_second))


async def campaign_results(session: AsyncSession, campaign_id: int, *,
                           limit: int | None = None) -> list[dict[str, Any]]:
    """One dict per contact, in list order (the first ``limit``): ``phone``, ``ticket``,
    ``language``, ``status``, ``outcome``, ``stage``, ``variables`` and ``attempts`` (each:
    ``started_at``, ``answered_at``, ``ended_at``, ``disposition``, ``amd``, ``amd_cause``,
    ``keys``, ``outcome``, ``survey``...), oldest attempt first. :class:`CampaignNotFound`."""
    if await session.get(Campaign, campaign_id) is None:
        raise CampaignNotFound(campaign_id)
    results: list[dict[str, Any]] = []
    async for page in result_pages(session, campaign_id, min(limit or PAGE, PAGE)):
        results += page
        if limit is not None and len(results) >= limit:
            return results[:limit]
    return results


async def result_pages(session: AsyncSession, campaign_id: int,
                       size: int = PAGE) -> AsyncIterator[list[dict[str, Any]]]:
    """The campaign's results (as :func:`campaign_results`) ``size`` contacts at a time: two
    queries a page, so an export of 100,000 contacts never holds them all."""
    after = 0
    while True:
        contacts = list((await session.scalars(
            select(CampaignContact)
            .where(CampaignContact.campaign_id == campaign_id, CampaignContact.id > after)
            .order_by(CampaignContact.id).limit(size))).all())
        if not contacts:
            return
        attempts: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
        for attempt in await session.scalars(
                select(CampaignAttempt)
                .where(CampaignAttempt.campaign_id == campaign_id,
                       CampaignAttempt.contact_id.between(contacts[0].id, contacts[-1].id))
                .order_by(CampaignAttempt.contact_id, CampaignAttempt.started_at,
                          CampaignAttempt.id)):
            attempts[attempt.contact_id].append(attempt.to_json())
        yield [{"phone": c.phone, "ticket": c.ticket, "language": c.language,
                "status": c.status, "outcome": c.outcome, "stage": c.stage,
                "variables": dict(c.variables or {}), "attempts": attempts[c.id]}
               for c in contacts]
        after = contacts[-1].id
