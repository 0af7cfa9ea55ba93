"""Today's calls hour by hour, counted by the database.

Hours are the local day's (DST days have 23 or 25), so the boundaries are computed here and
the counting stays plain SQL that SQLite and PostgreSQL both run: one query, one conditional
sum per hour and measure.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from centralino.core.calls.models import Call
from cti.tickets.models import IvrOutcome, Ticket


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
    bounds = day_hours(day, zone)
    started, queued = Call.started_at, Ticket.ivr_outcome == IvrOutcome.QUEUED
    hours = list(itertools.pairwise(bounds))
    row = (await session.execute(
        select(*(_in(started, lo, hi) for lo, hi in hours),
               *(_in(started, lo, hi, queued) for lo, hi in hours))
        .select_from(Call).outerjoin(Ticket, Ticket.call_linkedid == Call.linkedid)
        .where(started >= bounds[0], started < bounds[-1]))).one()
    counts = [int(value or 0) for value in row]
    return [HourCount(lo, counts[n], counts[len(hours) + n]) for n, (lo, _) in enumerate(hours)]


def _in(column: InstrumentedAttribute[datetime], lo: datetime, hi: datetime,
        *also: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows have ``column`` in [lo, hi) (and ``also``)."""
    return func.sum(case((and_(column >= lo, column < hi, *also), 1), else_=0))
