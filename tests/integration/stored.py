"""What the engine stored about a test caller's call."""

from __future__ import annotations

from centralino.core.calls.models import Call
from centralino.core.calls.service import list_calls
from cti.callbacks.models import Callback
from cti.callbacks.store import list_callbacks
from cti.tickets.models import Ticket
from cti.tickets.store import list_tickets

from .conftest import EngineRunner, wait_until


async def ended_call(engine: EngineRunner, caller: str) -> Call:
    """The stored call from ``caller`` once its end is recorded."""

    async def newest() -> Call | None:
        async with engine.sessions() as session:
            calls = [c for c in await list_calls(session, limit=50) if c.caller_id == caller]
        return calls[0] if calls else None

    return await wait_until(newest, lambda call: call is not None and call.ended_at is not None,
                            timeout=15)


async def tickets_of(engine: EngineRunner, linkedid: str) -> list[Ticket]:
    async with engine.sessions() as session:
        return [t for t in await list_tickets(session, limit=500) if t.call_linkedid == linkedid]


async def ticket_of_call_from(engine: EngineRunner, caller: str) -> Ticket:
    """The one ticket of the ended call from ``caller``."""
    call = await ended_call(engine, caller)
    tickets = await tickets_of(engine, call.linkedid)
    assert len(tickets) == 1, tickets
    return tickets[0]


async def callbacks_of(engine: EngineRunner, caller: str) -> list[Callback]:
    """The callback tasks of ``caller`` (in E.164), soonest due first."""
    async with engine.sessions() as session:
        return [task for task in await list_callbacks(session) if task.caller == caller]
