"""Today's calls hour by hour, counted by the database.

Hours are the local day's (DST days have 23 or 25), so the boundaries are computed here and
the counting stays plain SQL that SQLite and PostgreSQL both run: one query, one conditional
sum per hour and measure (:func:`centralino.core.calls.service.count_calls_by_hour`, the queued
calls picked by the tickets' :func:`cti.tickets.queries.queued_call_linkedids`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from centralino.core.calls.service import count_calls_by_hour
from cti.tickets.queries import queued_call_linkedids


@dataclass(frozen=True, slots=True)
class HourCount:
    start: datetime  # aware, local
    calls: int  # to the toll-free number
    queued: int  # handed to the operators' queue by the IVR


def day_hours(day: date, zone: ZoneInfo) -> list[datetime]:
    """The starts of ``day``'s hours in ``zone``, and the next midnight: 24 hours, 25 boundaries
    (23 or 25 hours on a DST change)."""
    start = datetime.combine(day, time(), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    hours = int((end - start).total_seconds() // 3600)
    return [(start + timedelta(hours=h)).astimezone(zone) for h in range(hours + 1)]


async def calls_by_hour(session: AsyncSession, day: date, zone: ZoneInfo) -> list[HourCount]:
    """Calls, and the callers the IVR queued, in each hour of ``day`` (local to ``zone``), by
    the time the call started."""
    hours = list(itertools.pairwise(day_hours(day, zone)))
    counts = await count_calls_by_hour(session, hours, marked=queued_call_linkedids())
    return [HourCount(lo, calls, queued) for (lo, _), (calls, queued) in zip(hours, counts,
                                                                             strict=True)]
