"""The daily retention purge, run by APScheduler 3 with its jobs kept in the database.

The job store is APScheduler's ``SQLAlchemyJobStore`` (table ``apscheduler_jobs``) on the
engine's own database, through a synchronous driver: a purge missed while the engine was down
runs when it starts again (coalesced into one). Its I/O is synchronous, so the scheduler is
started and stopped in a thread; its wake-ups (one a day) query the store in the loop.
Only one scheduler may use a job store: run the purge in one engine of a cluster.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from centralino.core.db import create_engine, session_factory, sync_database_url, utcnow
from config.settings import RetentionDays
from recordings.retention import purge_expired

log = structlog.get_logger(__name__)

JOB_ID = "recordings-retention-purge"
MISFIRE_GRACE_SECONDS = 7 * 24 * 3600  # a purge missed by up to a week still runs


@dataclass(frozen=True)
class PurgeSchedule:
    """What the job needs, all picklable (the job store keeps it)."""

    database_url: str
    recordings_dir: str
    voicemail_days: int
    conversation_days: int
    hour: int = 3
    minute: int = 17


async def run_purge(schedule: PurgeSchedule) -> int:
    """The scheduled job: purge what is past retention now; returns how many were purged."""
    engine = create_engine(schedule.database_url)
    try:
        purged = await purge_expired(
            session_factory(engine), Path(schedule.recordings_dir),
            RetentionDays(voicemail=schedule.voicemail_days,
                          conversation=schedule.conversation_days), utcnow())
    finally:
        await engine.dispose()
    log.info("recordings.purge_done", purged=len(purged))
    return len(purged)


class RetentionScheduler:
    """Schedules :func:`run_purge` daily at ``schedule.hour:minute`` (UTC)."""

    def __init__(self, schedule: PurgeSchedule) -> None:
        self._schedule = schedule
        self._scheduler: AsyncIOScheduler | None = None

    async def start(self) -> None:
        scheduler = AsyncIOScheduler(
            jobstores={"default": SQLAlchemyJobStore(
                url=sync_database_url(self._schedule.database_url))},
            event_loop=asyncio.get_running_loop(), timezone="UTC")
        await asyncio.to_thread(self._start, scheduler)
        self._scheduler = scheduler

    def _start(self, scheduler: AsyncIOScheduler) -> None:
        """Replace the stored job (settings may have changed) without losing a missed run."""
        scheduler.start(paused=True)
        stored = scheduler.get_job(JOB_ID)
        now = datetime.now(UTC)
        missed = stored is not None and stored.next_run_time is not None \
            and stored.next_run_time <= now
        job = scheduler.add_job(
            run_purge, CronTrigger(hour=self._schedule.hour, minute=self._schedule.minute,
                                   timezone="UTC"),
            args=[self._schedule], id=JOB_ID, replace_existing=True, coalesce=True,
            max_instances=1, misfire_grace_time=MISFIRE_GRACE_SECONDS,
            **({"next_run_time": now} if missed else {}))
        scheduler.resume()
        log.info("recordings.purge_scheduled", next_run=str(job.next_run_time), missed=missed)

    async def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            await asyncio.to_thread(self._scheduler.shutdown, False)
        self._scheduler = None
