"""The dial loop's view of the campaigns' store (:class:`outbound.service.AttemptStore`): one
session and one transaction per call, the engine's name on every claim."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from outbound import store
from outbound.rules import Budget
from outbound.service import RunningCampaign
from outbound.terms import CampaignState


class DatabaseAttempts:
    """:class:`outbound.service.AttemptStore` on :mod:`outbound.store`."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], engine: str,
                 budget: Budget) -> None:
        """``engine``: this engine's name on its claims; ``budget``: the per-number budget."""
        self._sessions = sessions
        self._engine = engine
        self._budget = budget

    async def running_campaigns(self) -> list[RunningCampaign]:
        async with self._sessions() as session:
            campaigns = await store.list_campaigns(session, [CampaignState.RUNNING])
        return [RunningCampaign(c.id, store.campaign_file(c), tuple(c.scripts))
                for c in campaigns]

    async def claim(self, campaign_id: int, *, now: datetime, limit: int) -> list[store.Claim]:
        async with self._sessions() as session:
            return await store.claim_attempts(session, campaign_id, engine=self._engine,
                                              now=now, limit=limit, budget=self._budget)

    async def finish(self, attempt_id: int, result: store.AttemptReport, *,
                     now: datetime) -> bool:
        async with self._sessions() as session:
            return await store.finish_attempt(session, attempt_id, result, now=now) is not None

    async def unfinished(self, started_before: datetime) -> list[store.Unfinished]:
        async with self._sessions() as session:
            return await store.unfinished_attempts(session, started_before)

    async def finish_if_done(self, campaign_id: int, *, now: datetime) -> bool:
        async with self._sessions() as session:
            return await store.finish_if_done(session, campaign_id, now=now)
