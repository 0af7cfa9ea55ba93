"""What an answered campaign call hears: the script of its contact's stage, walked by
:class:`outbound.runner.ScriptCall`, and the attempt stored with the script's result.

Scripts are loaded and rendered once each, in a thread (:class:`ScriptPlans`), before their
campaign dials (:meth:`ScriptPlans.prepare`), so an answered call goes from its answer to its
first prompt with one database read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

import structlog

from centralino.core.call_session import CallSession
from ivr.prompts import PromptStore
from outbound.dialer import answered_disposition
from outbound.runner import (
    ScriptCall,
    ScriptContact,
    ScriptPlan,
    ScriptServices,
    is_machine,
    load_script_plan,
)
from outbound.store import AttemptContext, AttemptReport

log = structlog.get_logger(__name__)

HUNG_UP = "hung_up"  # the outcome of a call the customer left before the script's end
Finish = Callable[[int, AttemptReport], Awaitable[bool]]
Context = Callable[[int], Awaitable[AttemptContext | None]]


class ScriptPlans:
    """Every script a campaign uses, loaded, checked and rendered once."""

    def __init__(self, store: PromptStore,
                 sounds: tuple[Path | None, Path | None] = (None, None)) -> None:
        self._store = store
        self._sounds = sounds
        self._plans: dict[str, asyncio.Future[ScriptPlan]] = {}

    async def get(self, name_or_path: str) -> ScriptPlan:
        """The plan of a shipped script's name or a script file's absolute path.

        Raises :class:`config.loader.ConfigError` naming a script's errors (tried again next
        time: the file may have been fixed).
        """
        future = self._plans.get(name_or_path)
        if future is None or (future.done() and future.exception() is not None):
            future = self._plans[name_or_path] = asyncio.ensure_future(asyncio.to_thread(
                load_script_plan, name_or_path, self._store, sounds=self._sounds))
        return await asyncio.shield(future)

    async def prepare(self, scripts: Iterable[str]) -> None:
        """Load ``scripts`` now, before their calls are answered."""
        for script in scripts:
            await self.get(script)


class ScriptedCall:
    """``run(session, attempt_id, amd_status, amd_cause)`` of the ``campaign`` Stasis entry
    (:data:`outbound.call.CampaignScript`)."""

    def __init__(self, context: Context, plans: ScriptPlans, services: ScriptServices,
                 finish: Finish) -> None:
        """``context``: reads what an attempt's script needs
        (:meth:`outbound.attempts.DatabaseAttempts.context`); ``finish``: stores the attempt's
        result and frees its slot (:meth:`outbound.service.OutboundService.finish`)."""
        self._context = context
        self._plans = plans
        self._services = services
        self._finish = finish

    async def __call__(self, session: CallSession, attempt_id: int, amd_status: str,
                       amd_cause: str) -> None:
        context = await self._context(attempt_id)
        if context is None:
            log.warning("outbound.unknown_attempt", attempt=attempt_id)
            await session.hangup()
            return
        machine = is_machine(amd_status)
        if machine and context.file.machine != "leave_message":
            await session.hangup()  # the attempt is stored as a machine when the call ends
            return
        plan = await self._plans.get(context.script)
        contact = ScriptContact(context.phone, context.ticket, context.language,
                                context.variables, campaign=context.campaign_name)
        result = await ScriptCall(session, plan, contact, self._services).run(machine)
        outcome = result.outcome or (HUNG_UP if result.hung_up else None)
        await self._finish(attempt_id, AttemptReport(
            answered_disposition(amd_status), "ANSWER", None, amd_status or None,
            amd_cause or None, answered_at=session.answered_at, linkedid=session.linkedid,
            keys=result.keys, outcome=outcome, survey=dict(result.survey),
            opted_out=result.opted_out))
        if context.ticket and result.ticket_action is None and outcome is not None:
            await self._services.note_ticket(
                context.ticket, f"Campaign «{context.campaign_name}»: {outcome}")
