"""The manual override of the office hours: stored, and cached for the calls that ask.

Same convention as :mod:`cti.tickets.store`: the functions take an :class:`AsyncSession` and commit
their own unit of work. :class:`HoursService` keeps the override in force in memory, refreshed
from the database in the background, so a call asks "are we open?" without a query, and an
override set elsewhere (the CLI, another engine) applies within ``refresh_interval`` seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from centralino.core.db import utcnow
from centralino.core.hours.models import HoursOverride
from centralino.core.hours.rules import (
    CenterStatus,
    OfficeHours,
    Override,
    OverrideMode,
    effective_status,
    status_json,
)
from centralino.core.tasks import cancel_and_wait

log = structlog.get_logger(__name__)

MAX_REASON = 500
MAX_SET_BY = 255


class InvalidOverride(ValueError):
    """An override that cannot be stored; the message says why, for the operator."""


async def set_override(session: AsyncSession, mode: OverrideMode | str, reason: str | None,
                       set_by: str, *, at: datetime | None = None) -> HoursOverride:
    """Store a new override (``auto`` ends the one in force) and return its row.

    Raises :class:`InvalidOverride` for an unknown mode, ``closed`` without a reason, a reason
    longer than 500 characters or an empty ``set_by``.
    """
    try:
        mode = OverrideMode(mode)
    except ValueError:
        raise InvalidOverride(f"mode must be open, closed or auto (got {mode!r})") from None
    reason = (reason or "").strip() or None
    set_by = set_by.strip()
    if mode is OverrideMode.CLOSED and reason is None:
        raise InvalidOverride("closing the center needs a reason, e.g. 'staff meeting'")
    if reason is not None and len(reason) > MAX_REASON:
        raise InvalidOverride(f"the reason is longer than {MAX_REASON} characters")
    if not set_by or len(set_by) > MAX_SET_BY:
        raise InvalidOverride(f"who sets the override must be 1 to {MAX_SET_BY} characters")
    row = HoursOverride(mode=mode.value, reason=reason, set_by=set_by, set_at=at or utcnow())
    session.add(row)
    await session.commit()
    return row


async def current_override(session: AsyncSession) -> HoursOverride | None:
    """The override in force: the newest row, unless there is none or it is ``auto``."""
    newest = await session.scalar(select(HoursOverride).order_by(HoursOverride.id.desc()).limit(1))
    return None if newest is None or newest.mode == OverrideMode.AUTO else newest


async def override_history(session: AsyncSession, limit: int = 50) -> list[HoursOverride]:
    """The ``limit`` most recent overrides, ``auto`` included, newest first."""
    result = await session.scalars(
        select(HoursOverride).order_by(HoursOverride.id.desc()).limit(limit))
    return list(result.all())


def as_override(row: HoursOverride | None) -> Override | None:
    """The in-memory form of an override row (``None`` for no row or ``auto``)."""
    if row is None or row.mode == OverrideMode.AUTO:
        return None
    return Override(OverrideMode(row.mode), row.reason, row.set_by, row.set_at)


def _now() -> datetime:
    return datetime.now(UTC)


class HoursService:
    """The center's state for the engine: office hours plus the cached override.

    ``sessions`` is a session factory (an ``async_sessionmaker``); ``clock`` says the time now.
    ``office_hours`` is replaced when the menu file is reloaded. A database that fails while
    refreshing is logged and the last known override kept.
    """

    def __init__(self, office_hours: OfficeHours, sessions: Callable[[], AsyncSession],
                 *, clock: Callable[[], datetime] = _now, refresh_interval: float = 2.0) -> None:
        self.office_hours = office_hours
        self.clock = clock
        self.refresh_interval = refresh_interval
        self._sessions = sessions
        self._override: Override | None = None
        self._writes = 0  # a refresh that read before a write must not undo it
        self._refresh_failing = False
        self._task: asyncio.Task[None] | None = None

    @property
    def override(self) -> Override | None:
        """The override in force as last known."""
        return self._override

    def status(self) -> CenterStatus:
        """The state now, from memory (no database query)."""
        return effective_status(self.office_hours.status_at(self.clock()), self._override)

    def status_json(self) -> dict[str, Any]:
        """The status document of ``GET /api/hours``."""
        by_clock = self.office_hours.status_at(self.clock())
        return status_json(effective_status(by_clock, self._override), by_clock.state)

    async def set_override(self, mode: OverrideMode | str, reason: str | None,
                           set_by: str) -> CenterStatus:
        """Store an override, apply it at once, and return the new status.

        :class:`InvalidOverride` as :func:`set_override`; database errors propagate.
        """
        async with self._sessions() as session:
            row = await set_override(session, mode, reason, set_by, at=self.clock())
        self._writes += 1
        self._override = as_override(row)
        log.info("hours.override_set", mode=row.mode, reason=row.reason, set_by=row.set_by)
        return self.status()

    async def refresh(self) -> None:
        """Read the override in force from the database; on failure keep the last known one."""
        writes = self._writes
        try:
            async with self._sessions() as session:
                row = await current_override(session)
        except Exception as exc:  # any driver or network error: the engine must go on
            if not self._refresh_failing:
                log.warning("hours.refresh_failed", error=str(exc) or type(exc).__name__,
                            kept=self._override.mode.value if self._override else None)
            self._refresh_failing = True
            return
        if self._refresh_failing:
            log.info("hours.refresh_recovered")
            self._refresh_failing = False
        if writes == self._writes:
            self._override = as_override(row)

    async def start(self) -> None:
        """Read the override once, then keep it fresh every ``refresh_interval`` seconds."""
        if self._task is not None:
            return
        await self.refresh()
        self._task = asyncio.create_task(self._refresh_forever(), name="hours-refresh")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_interval)
            await self.refresh()
