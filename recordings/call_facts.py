"""What the rest of Centralino knows of a recording's call: its ticket and its caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from centralino.core.calls.service import get_call
from cti.tickets.store import ticket_for_call


@dataclass(frozen=True)
class CallFacts:
    ticket_id: int | None
    caller_id: str | None
    started_at: datetime | None
    in_progress: bool  # the call is known and has not ended


async def call_facts(session: AsyncSession, linkedid: str) -> CallFacts:
    """The ticket, caller and state of call ``linkedid`` (None where unknown)."""
    ticket = await ticket_for_call(session, linkedid)
    call = await get_call(session, linkedid)
    return CallFacts(ticket.id if ticket is not None else None,
                     call.caller_id if call is not None else None,
                     call.started_at if call is not None else None,
                     call is not None and call.ended_at is None)
