"""The do-not-call list: numbers no campaign may dial, checked when each attempt is claimed
(:func:`outbound.store.claim_attempts`), not only at import. Same convention as the other
stores: each function takes an :class:`AsyncSession` and commits its own unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from centralino.core.db import insert_unless_duplicate, table_of
from outbound.models import DncNumber
from outbound.terms import DncSource

CHUNK = 500  # numbers per INSERT: an opt-out register's extract can hold millions


async def add_numbers(session: AsyncSession, phones: Iterable[str], source: DncSource, *,
                      now: datetime, added_by: str | None = None) -> int:
    """Put the E.164 ``phones`` on the list; returns how many were not on it already."""
    table = table_of(DncNumber)
    insert = insert_unless_duplicate(session, table).returning(table.c.phone)
    rows = [{"phone": phone, "source": source.value, "added_by": added_by, "added_at": now}
            for phone in dict.fromkeys(phones)]
    added = 0
    for start in range(0, len(rows), CHUNK):  # the rows inserted are the ones returned
        added += len((await session.execute(insert, rows[start:start + CHUNK])).all())
    await session.commit()
    return added


async def remove_number(session: AsyncSession, phone: str) -> bool:
    """Take ``phone`` off the list; False if it was not on it."""
    removed = await session.execute(delete(DncNumber).where(DncNumber.phone == phone))
    await session.commit()
    return bool(removed.rowcount)  # type: ignore[attr-defined]


async def list_numbers(session: AsyncSession, limit: int | None = None) -> list[DncNumber]:
    """The list, most recently added first."""
    query = select(DncNumber).order_by(DncNumber.added_at.desc(), DncNumber.phone)
    if limit is not None:
        query = query.limit(limit)
    return list((await session.scalars(query)).all())


async def is_listed(session: AsyncSession, phone: str) -> bool:
    return await session.get(DncNumber, phone) is not None


def number_json(number: DncNumber) -> dict[str, Any]:
    """A listed number as ``dnc list --json`` and ``GET /api/dnc`` show it."""
    return {"phone": number.phone, "source": number.source, "added_by": number.added_by,
            "added_at": number.added_at.isoformat()}
