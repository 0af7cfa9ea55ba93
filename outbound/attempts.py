"""The dial loop's view of the campaigns' store (:class:`outbound.service.AttemptStore`): the
engine's name on every claim; claims and results written as units of the engine's group commit
(one thread hand-over per transaction, shared with the calls' own writes) or, without one, each
in a session of its own."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.db import run_write
from centralino.core.group_commit import GroupCommit
from outbound import store
from outbound.rules import Budget
from outbound.service import RunningCampaign
from outbound.terms import CampaignState

T = TypeVar("T")


class DatabaseAttempts:
    """:class:`outbound.service.AttemptStore` on :mod:`outbound.store`."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], engine: str,
                 budget: Budget, *, writer: GroupCommit | None = None,
                 files: store.CampaignFiles | None = None) -> None:
        """``engine``: this engine's name on its claims; ``budget``: the per-number budget;
        ``writer``: the engine's group commit, if claims and results go through it;
        ``files``: the campaigns' files, read once (shared with the answered calls)."""
        self._sessions = sessions
        self._engine = engine
        self._budget = budget
        self._writer = writer
        self.files = files or store.CampaignFiles()

    async def running_campaigns(self) -> list[RunningCampaign]:
        async with self._sessions() as session:
            campaigns = await store.list_campaigns(session, [CampaignState.RUNNING])
        for campaign in campaigns:
            self.files.remember(campaign)
        return [RunningCampaign(c.id, store.campaign_file(c), tuple(c.scripts))
                for c in campaigns]

    async def claim(self, campaign_id: int, *, now: datetime, limit: int) -> list[store.Claim]:
        return await self._write(functools.partial(
            store.claim_due, campaign_id=campaign_id, engine=self._engine, now=now, limit=limit,
            budget=self._budget))

    async def release(self, attempt_ids: Sequence[int]) -> int:
        return await self._write(functools.partial(store.release_undialled,
                                                   attempt_ids=attempt_ids))

    async def finish(self, attempt_id: int, result: store.AttemptReport, *,
                     now: datetime) -> bool:
        return await self._write(functools.partial(
            store.store_result, attempt_id=attempt_id, report=result, now=now,
            files=self.files)) is not None

    async def context(self, attempt_id: int) -> store.AttemptContext | None:
        """What an answered attempt's script needs (one read; with a group commit, in its
        thread: no session, no pooled async connection)."""
        read = functools.partial(store.read_context, attempt_id=attempt_id, files=self.files)
        if self._writer is not None:
            return await self._writer.run(read)
        async with self._sessions() as session:
            return await (await session.connection()).run_sync(read)

    async def unfinished(self, started_before: datetime) -> list[store.Unfinished]:
        async with self._sessions() as session:
            return await store.unfinished_attempts(session, started_before)

    async def finish_if_done(self, campaign_id: int, *, now: datetime) -> bool:
        async with self._sessions() as session:
            return await store.finish_if_done(session, campaign_id, now=now)

    async def _write(self, unit: Callable[[Connection], T]) -> T:
        if self._writer is not None:
            return await self._writer.run(unit)
        async with self._sessions() as session:
            return await run_write(session, unit)
